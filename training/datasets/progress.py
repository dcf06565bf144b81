"""Progress reports and cancellation shared by importers, exporters and the hub loader."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """Where a long dataset job stands.

    ``rows`` counts input rows consumed (good and bad), ``written`` the records
    written; ``bytes_done``/``bytes_total`` are set when the size is known
    (local files), otherwise ``None``.
    """

    label: str
    rows: int
    written: int
    bytes_done: int | None = None
    bytes_total: int | None = None
    limit: int | None = None

    @property
    def fraction(self) -> float | None:
        """Share done in [0, 1] when it can be told (a row limit or a byte total), else None."""
        if self.limit:
            return min(1.0, self.written / self.limit)
        if self.bytes_total:
            return min(1.0, (self.bytes_done or 0) / self.bytes_total)
        return None


ProgressCallback = Callable[[Progress], None]
CancelCheck = Callable[[], bool]


def never_cancelled() -> bool:
    """The default cancel check: the job runs to the end."""
    return False


def ignore_progress(_progress: Progress) -> None:
    """The default progress callback: reports go nowhere."""
