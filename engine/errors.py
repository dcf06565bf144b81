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
