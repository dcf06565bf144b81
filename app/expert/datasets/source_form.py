"""What every source of the Build area offers the panel: a default name, a job and a summary."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Protocol

from app.expert.datasets.bridge import Job


class SourceForm(Protocol):
    """A form of the Build area (also a QWidget)."""

    title: str
    """The name in the source list."""
    resumable: bool
    """Whether building into an unfinished folder of the same name continues it (Hub downloads)."""

    def default_name(self) -> str:
        """A name for the new dataset."""
        ...

    def job(self, dst: Path) -> Job:
        """The job that builds into ``dst``; ValueError with a sentence when the form is incomplete."""
        ...

    def summary(self, result: Any) -> str:
        """One line about what the job made."""
        ...


def stamped(prefix: str) -> str:
    """``prefix-YYYYmmdd-HHMMSS``: a default dataset name that does not clash."""
    return f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}"
