"""Logging to a rotating file in the user log dir and to the console."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from engine import paths

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class _QuietFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file that stops writing, silently, once its disk is full or gone.

    The standard handler prints a traceback on stderr for every record it
    cannot write; a full disk would then bury the one-sentence error the
    user needs under pages of logging tracebacks.
    """

    failed = False

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        """Drop the record and stop writing: the log is best effort, never a second fault."""
        self.failed = True

    def emit(self, record: logging.LogRecord) -> None:
        """Write ``record`` unless an earlier write failed."""
        if not self.failed:
            super().emit(record)


def setup_logging(level: int = logging.INFO, console: bool = True) -> Path:
    """Install the file and console handlers once; return the log file path.

    When the log folder cannot be created or written (read-only or full disk),
    logging goes to the console handler only and nothing is raised.
    """
    root = logging.getLogger()
    log_file = paths.log_dir() / "nexus.log"
    if any(getattr(h, "_nexus", False) for h in root.handlers):
        return log_file
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler: logging.Handler | None = _QuietFileHandler(
            log_file, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError:
        file_handler = None
    if file_handler is not None:
        file_handler.setFormatter(logging.Formatter(_FORMAT))
        file_handler._nexus = True  # type: ignore[attr-defined]
        root.addHandler(file_handler)
    if console:
        stream = logging.StreamHandler()
        stream.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        stream.setLevel(logging.WARNING)
        stream._nexus = True  # type: ignore[attr-defined]
        root.addHandler(stream)
    root.setLevel(level)
    return log_file
