"""Typed errors that carry a human sentence and a next step.

The GUI shows ``message`` and ``hint``; the CLI prints them and exits non-zero.
"""

from __future__ import annotations


class NexusError(Exception):
    """Base class of every error Nexus reports to a person."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class ConfigError(NexusError):
    """The settings file or an override could not be read or is invalid."""


class ModelNotFound(NexusError):
    """A model is neither in a local folder nor in the cache."""


class DownloadError(NexusError):
    """A model download failed (network, disk, server)."""


class DownloadCancelled(NexusError):
    """The user cancelled a download; partial files are kept for resume."""


class OfflineError(DownloadError):
    """The model hub cannot be reached and the files are not on disk."""


class VerificationError(NexusError):
    """A downloaded file does not match its expected size or hash."""


class AudioDeviceError(NexusError):
    """An audio device is missing, busy or disappeared."""


class DisplayError(NexusError):
    """No screen is available to capture or to show the window."""


def describe_os_error(exc: OSError, path: object = None) -> NexusError:
    """One sentence naming the path and a next step for a file-system fault (disk full, read-only …).

    ``path`` names the file or folder when the exception does not (a failed
    ``write`` on a full disk carries no file name).
    """
    import errno

    where = exc.filename if exc.filename is not None else path
    target = f" {where}" if where is not None else ""
    code = exc.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        return NexusError(
            f"The disk is full: could not write{target or ' a file'}.",
            "Free some space on that disk (or choose a folder on another disk) and run the command again.",
        )
    if code == errno.EROFS:
        return NexusError(
            f"Could not write{target or ' a file'}: it is on a read-only file system.",
            "Choose a folder on a writable disk (Settings → Folders, or another output path).",
        )
    if code in (errno.EACCES, errno.EPERM):
        return NexusError(
            f"Permission denied for{target or ' a file'}.",
            "Check the permissions of that file and its folder, or choose another folder.",
        )
    if code == errno.ENOENT:
        return NexusError(f"{(str(where) if where is not None else 'A file')} does not exist.",
                          "Check the path and try again.")
    if code == errno.EISDIR:
        return NexusError(f"{where if where is not None else 'The path'} is a folder, not a file.",
                          "Give a file name inside that folder.")
    if code == errno.ENOTDIR:
        return NexusError(f"A part of {where if where is not None else 'the path'} is a file, not a folder.",
                          "Check the path and try again.")
    reason = exc.strerror or str(exc) or exc.__class__.__name__
    return NexusError(f"{reason}{':' + target if target else ''}.",
                      "Check the path, the disk and its permissions, then run the command again.")
