"""One sentence and a next step for any error the user sees, including the ones nobody planned for.

``NexusError``s already carry both. File-system faults get the sentence of
``describe_os_error``; a few common Python errors get words a person
understands; anything else keeps its text, and the next step names the log
file with its full path, so "see the log file" is never a dead end.
"""

from __future__ import annotations

from engine import paths
from engine.errors import NexusError, describe_os_error


def log_file() -> str:
    """Where the log is written (the path the app and the CLI log to)."""
    return str(paths.log_dir() / "nexus.log")


def log_hint() -> str:
    """The next step for an unexpected error: try again, then read the log (named with its path)."""
    return f"Try again; if it happens again, the details are in the log file {log_file()}."


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def advice(error: BaseException) -> tuple[str, str]:
    """``(message, hint)`` for ``error``: what went wrong in one sentence and what to do next."""
    if isinstance(error, NexusError):
        return error.message, error.hint or log_hint()
    if isinstance(error, OSError):
        described = describe_os_error(error)
        return described.message, described.hint
    if isinstance(error, MemoryError):
        return ("There is not enough memory for this.",
                "Close other programs (or choose a smaller model or a shorter input) and try again.")
    text = str(error)
    if isinstance(error, ValueError) and "null" in text and ("embedded" in text or "NUL" in text):
        return ("A file name, address or text contains a null character (\\0), which cannot be used.",
                "Remove it (it often comes from text copied out of a PDF or a terminal) and try again.")
    if isinstance(error, UnicodeError):
        return ("The text is not in an encoding Nexus can read.",
                "Save the file as UTF-8 text (or as PDF or DOCX) and try again.")
    if type(error) in (RuntimeError, Exception) and text.strip():
        return _sentence(text), log_hint()  # raised with words meant for people
    detail = f": {text.strip()}" if text.strip() else ""
    return f"Something unexpected went wrong ({type(error).__name__}{detail}).", log_hint()
