"""Read a dataset's rows for the preview, a batch at a time, in a worker thread (no Qt here).

``PreviewCursor`` walks the shards line by line and keeps its place between
batches, so the table can show the first rows of a 100k-row dataset at once
and read further only when the user scrolls there. The filters apply while
reading, so a filtered view also fills a batch at a time. A line that is not
JSON is shown as a broken row instead of ending the preview.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.datasets.store import shard_paths

MODALITIES = ("text", "image", "audio", "video")
SUMMARY_CHARS = 160
# How many lines are read between two looks at the stop flag.
STOP_CHECK_EVERY = 256


@dataclass(frozen=True)
class PreviewFilter:
    """What the preview shows: one domain, category and modality, or all (None)."""

    domain: str | None = None
    category: str | None = None
    modality: str | None = None

    def accepts(self, row: "PreviewRow") -> bool:
        """Whether ``row`` passes every set filter (a broken row passes only with no filter)."""
        if row.broken:
            return self == PreviewFilter()
        if self.domain is not None and row.domain != self.domain:
            return False
        if self.category is not None and row.category != self.category:
            return False
        if self.modality == "text":
            return not row.media_kinds
        if self.modality is not None:
            return self.modality in row.media_kinds
        return True


@dataclass
class PreviewRow:
    """One line of a shard as the table shows it; ``data`` is the parsed record for the detail pane."""

    number: int
    shard: str
    line: int
    id: str
    kind: str
    domain: str
    category: str
    source: str
    summary: str
    media_kinds: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)
    broken: str = ""

    @property
    def kind_text(self) -> str:
        """``text``, ``pair``, ``image + audio``, or ``broken``."""
        if self.broken:
            return "broken"
        return " + ".join(self.media_kinds) if self.media_kinds else self.kind


def _first_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        for message in value:
            if isinstance(message, dict) and message.get("role") == "user":
                return str(message.get("content", ""))
        if value and isinstance(value[0], dict):
            return str(value[0].get("content", ""))
    return ""


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SUMMARY_CHARS else flat[: SUMMARY_CHARS - 1] + "…"


def make_row(number: int, shard: str, line: int, data: Any) -> PreviewRow:
    """A table row for one parsed shard line (rows that do not look like records are marked broken)."""
    if not isinstance(data, dict):
        return PreviewRow(number, shard, line, "", "broken", "", "", "", _one_line(json.dumps(data)),
                          broken="not a JSON object")
    modalities = data.get("modalities") if isinstance(data.get("modalities"), dict) else {}
    media_kinds = tuple(kind for kind in MODALITIES[1:] if modalities.get(kind))
    is_pair = "chosen" in data or "rejected" in data
    text = _first_text(data.get("prompt")) if is_pair else _first_text(data.get("messages"))
    return PreviewRow(
        number=number, shard=shard, line=line, id=str(data.get("id", "")),
        kind="pair" if is_pair else "text", domain=str(data.get("domain", "preference" if is_pair else "")),
        category=str(data.get("category", "")), source=str(data.get("source", "")),
        summary=_one_line(text), media_kinds=media_kinds, data=data,
    )


def iter_rows(root: Path) -> Iterator[PreviewRow]:
    """Every line of the dataset's shards as a ``PreviewRow``, in shard order."""
    number = 0
    for path in shard_paths(Path(root)):
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line_number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                number += 1
                try:
                    data = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield PreviewRow(number, path.name, line_number, "", "broken", "", "", "",
                                     _one_line(line), broken=f"not JSON ({exc.msg})")
                    continue
                yield make_row(number, path.name, line_number, data)


@dataclass
class PreviewBatch:
    """Rows read by one ``next_batch`` call, and whether the dataset has more."""

    rows: list[PreviewRow]
    scanned: int
    exhausted: bool


class PreviewCursor:
    """Reads the rows of ``root`` that pass ``filters``, a batch at a time.

    Used by one worker at a time (the table asks for the next batch only when
    the previous one has arrived).
    """

    def __init__(self, root: Path, filters: PreviewFilter) -> None:
        self.root = Path(root)
        self.filters = filters
        self.scanned = 0
        self.exhausted = False
        self._rows: Iterator[PreviewRow] | None = None

    def next_batch(self, count: int, stop: Callable[[], bool] | None = None) -> PreviewBatch:
        """Up to ``count`` more matching rows; stops early (keeping its place) when ``stop()`` is true."""
        if self._rows is None:
            self._rows = iter_rows(self.root)
        found: list[PreviewRow] = []
        while len(found) < count:
            if stop is not None and self.scanned % STOP_CHECK_EVERY == 0 and stop():
                break
            row = next(self._rows, None)
            if row is None:
                self.exhausted = True
                break
            self.scanned += 1
            if self.filters.accepts(row):
                found.append(row)
        return PreviewBatch(found, self.scanned, self.exhausted)
