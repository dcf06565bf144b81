"""Reading a job's folder from the GUI thread in small, bounded bites.

The page looks at the selected job twice a second. Each look reads only what
was appended since the last one (a byte offset per file) and at most
``MAX_READ_BYTES``, so even a long job's progress file is caught up over a
few looks instead of freezing the window once.
"""

from __future__ import annotations

import codecs
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.jobs.spec import SpecError, load_spec
from training.jobs.state import JobState, read_state

# About 1000 progress lines: parsed in a few milliseconds.
MAX_READ_BYTES = 256 * 1024
# Enough for the last ~200 lines of a runner log.
LOG_TAIL_BYTES = 48 * 1024
LAST_LOSS_BYTES = 8 * 1024


@dataclass
class ProgressTail:
    """The progress records of one job read so far, and where the next read starts."""

    job_dir: Path
    rows: list[dict[str, Any]] = field(default_factory=list)
    offset: int = 0

    def read_new(self) -> list[dict[str, Any]]:
        """Records appended since the last call (a half-written last line waits for the next)."""
        path = self.job_dir / "progress.jsonl"
        try:
            size = path.stat().st_size
        except OSError:
            return []
        if size < self.offset:
            # The file was replaced; start over.
            self.rows.clear()
            self.offset = 0
        if size == self.offset:
            return []
        with open(path, "rb") as handle:
            handle.seek(self.offset)
            chunk = handle.read(MAX_READ_BYTES)
        end = chunk.rfind(b"\n")
        if end < 0:
            if len(chunk) == MAX_READ_BYTES:
                # No line is that long: skip the garbage rather than wait on it for ever.
                self.offset += len(chunk)
            return []
        self.offset += end + 1
        new: list[dict[str, Any]] = []
        for line in chunk[: end + 1].splitlines():
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
            if isinstance(record, dict):
                new.append(record)
        self.rows.extend(new)
        return new


class LogTail:
    """The new text of a job's ``runner.log``; the first read starts near the end."""

    def __init__(self, job_dir: Path) -> None:
        self.path = Path(job_dir) / "runner.log"
        self.offset: int | None = None
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def read_new(self) -> str:
        """Text appended since the last call (the last ``LOG_TAIL_BYTES`` the first time)."""
        try:
            size = self.path.stat().st_size
        except OSError:
            return ""
        if self.offset is None or size < self.offset or size - self.offset > MAX_READ_BYTES:
            # First look, a replaced file, or too far behind: only the end is worth showing.
            self.offset = max(0, size - LOG_TAIL_BYTES)
            self._decoder.reset()
            skip_partial_line = self.offset > 0
        else:
            skip_partial_line = False
        if size == self.offset:
            return ""
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            chunk = handle.read(size - self.offset)
        self.offset += len(chunk)
        if skip_partial_line:
            newline = chunk.find(b"\n")
            chunk = chunk[newline + 1 :] if newline >= 0 else b""
        return self._decoder.decode(chunk).replace("\r\n", "\n").replace("\r", "\n")


def last_loss(job_dir: Path) -> float | None:
    """The newest training loss in the job's progress file (reads only its end)."""
    path = Path(job_dir) / "progress.jsonl"
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            handle.seek(max(0, size - LAST_LOSS_BYTES))
            lines = handle.read().splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        try:
            loss = json.loads(line).get("loss")
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
            continue
        if loss is not None:
            return float(loss)
    return None


@dataclass(frozen=True)
class JobRow:
    """What the job list shows about one job."""

    path: Path
    name: str
    method: str
    base_model: str
    state: JobState
    loss: float | None


class JobCatalog:
    """The jobs under a queue's folder; each spec is read once, states and losses on every look."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._specs: dict[Path, tuple[str, str, str]] = {}

    def rows(self) -> list[JobRow]:
        """Every job folder, newest first."""
        rows: list[JobRow] = []
        try:
            folders = [f for f in self.root.iterdir() if (f / "job.yaml").is_file()]
        except OSError:
            folders = []
        for folder in folders:
            row = self.row(folder)
            if row is not None:
                rows.append(row)
        self._specs = {path: spec for path, spec in self._specs.items() if path in {r.path for r in rows}}
        return sorted(rows, key=lambda r: r.state.created, reverse=True)

    def row(self, folder: Path) -> JobRow | None:
        """The job in ``folder`` as it is now, or ``None`` when it is no job (any more)."""
        folder = Path(folder)
        spec = self._specs.get(folder)
        if spec is None:
            try:
                loaded = load_spec(folder / "job.yaml")
            except SpecError:
                return None
            spec = self._specs[folder] = (loaded.name, loaded.method, loaded.base_model)
        name, method, base = spec
        return JobRow(folder, name, method, base, read_state(folder), last_loss(folder))

    def known(self, folder: Path) -> bool:
        """Whether ``folder`` was seen by the last ``rows``/``row``."""
        return Path(folder) in self._specs


def duration(seconds: float | None) -> str:
    """``m:ss`` or ``h:mm:ss``; an em dash when unknown."""
    if seconds is None or seconds < 0:
        return "—"
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def when(stamp: float | None) -> str:
    """A start time: clock time today, day and time before."""
    if not stamp:
        return "—"
    local = time.localtime(stamp)
    if time.strftime("%Y%m%d", local) == time.strftime("%Y%m%d"):
        return time.strftime("%H:%M", local)
    return time.strftime("%d %b %H:%M", local)
