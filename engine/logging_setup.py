"""Logging to a rotating file in the user log dir and to the console."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from engine import paths

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def setup_logging(level: int = logging.INFO, console: bool = True) -> Path:
    """Install the file and console handlers once; return the log file path."""
    root = logging.getLogger()
    log_file = paths.log_dir() / "nexus.log"
    if any(getattr(h, "_nexus", False) for h in root.handlers):
        return log_file
    log_file.parent.mkdir(parents=True, exist_ok=True)
    file_handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
    )
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
