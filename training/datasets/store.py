"""A dataset on disk: JSONL shards, a ``media/`` tree and a ``dataset.json`` card.

Layout of a dataset folder::

    dataset.json                 the card: sources, counts, recipe, content hash
    text-00000.jsonl             text-only samples
    multimodal-00000.jsonl       samples with media
    pairs-00000.jsonl            preference pairs
    media/...                    files referenced by samples (paths relative to the folder)

``DatasetWriter`` streams records to shards (memory stays flat however many
are written); each shard is written under a temporary name and renamed when
complete, and the card is written last, atomically, so a cancelled or crashed
write never leaves a folder that looks finished.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from engine.atomic import write_text_atomic
from training.datasets.schema import SCHEMA_VERSION, PreferencePair, Record, Sample, record_from_dict

CARD_NAME = "dataset.json"
# Present while a writer works in the folder; a folder with it and no card was left by a killed write.
WRITING_MARKER = ".writing"
MEDIA_DIR = "media"
SHARD_KINDS = ("text", "multimodal", "pairs")
DEFAULT_SHARD_SIZE = 10_000


class DatasetError(Exception):
    """A dataset folder that cannot be read or written; the message says why, ``hint`` what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


def shard_kind(record: Record) -> str:
    """Which shard family a record belongs to."""
    if isinstance(record, PreferencePair):
        return "pairs"
    return "multimodal" if record.is_multimodal() else "text"


@dataclass
class DatasetCard:
    """What a dataset folder holds and how it was made."""

    name: str
    schema_version: int = SCHEMA_VERSION
    created: str = ""
    sources: list[str] = field(default_factory=list)
    recipe: dict[str, Any] = field(default_factory=dict)
    total: int = 0
    counts_by_kind: dict[str, int] = field(default_factory=dict)
    counts_by_domain: dict[str, int] = field(default_factory=dict)
    counts_by_category: dict[str, int] = field(default_factory=dict)
    counts_by_source: dict[str, int] = field(default_factory=dict)
    shards: list[str] = field(default_factory=list)
    content_sha256: str = ""

    def to_json(self) -> str:
        """The card as pretty JSON."""
        return json.dumps(self.__dict__, indent=2, ensure_ascii=False, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "DatasetCard":
        """Parse a card; unknown keys are ignored so newer cards still open."""
        data = json.loads(text)
        known = {key: value for key, value in data.items() if key in cls.__dataclass_fields__}
        return cls(**known)


class DatasetWriter:
    """Streams records into a dataset folder; use as a context manager.

    Leaving the block normally finalises the shards and writes the card;
    leaving it with an exception removes the unfinished shard and writes no card.
    """

    def __init__(self, root: Path, name: str | None = None, *, recipe: dict[str, Any] | None = None,
                 shard_size: int = DEFAULT_SHARD_SIZE, overwrite: bool = False) -> None:
        self.root = Path(root)
        if (self.root / CARD_NAME).exists() and not overwrite:
            raise DatasetError(f"{self.root} already holds a dataset; choose another folder or allow overwrite")
        # A folder this writer creates is removed again when the write is aborted.
        self._created = not self.root.exists()
        self._open: dict[str, tuple[IO[str], Path, int]] = {}
        self._finished: list[Path] = []
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            if overwrite or is_unfinished(self.root):
                # A killed earlier write left shards without a card: they are not a dataset, start again.
                for old in [*self.root.glob("*.jsonl"), *self.root.glob("*.jsonl.partial")]:
                    old.unlink()
                (self.root / CARD_NAME).unlink(missing_ok=True)
            (self.root / WRITING_MARKER).write_text(f"{os.getpid()}\n", encoding="utf-8")
        except BaseException:
            self.abort()
            raise
        self.card = DatasetCard(name=name or self.root.name, recipe=dict(recipe or {}))
        self.shard_size = shard_size
        self._next_index: Counter[str] = Counter()
        self._sources: dict[str, None] = {}
        self._kinds: Counter[str] = Counter()
        self._domains: Counter[str] = Counter()
        self._categories: Counter[str] = Counter()
        self._by_source: Counter[str] = Counter()

    @property
    def media_dir(self) -> Path:
        """Where media files of this dataset go (create sub-folders as needed)."""
        path = self.root / MEDIA_DIR
        path.mkdir(parents=True, exist_ok=True)
        return path

    def write(self, record: Record) -> None:
        """Append one record to its shard family."""
        kind = shard_kind(record)
        handle, path, count = self._open.get(kind, (None, None, 0))  # type: ignore[assignment]
        if handle is None or count >= self.shard_size:
            if handle is not None:
                self._close_shard(kind)
            path = self.root / f"{kind}-{self._next_index[kind]:05d}.jsonl"
            self._next_index[kind] += 1
            handle = open(path.with_suffix(".jsonl.partial"), "w", encoding="utf-8")
            count = 0
        handle.write(record.to_json_line())
        handle.write("\n")
        self._open[kind] = (handle, path, count + 1)
        self._kinds[kind] += 1
        self._domains[record.domain] += 1
        self._categories[record.category] += 1
        self._by_source[record.source] += 1
        self._sources.setdefault(record.source, None)

    def write_all(self, records: Iterable[Record]) -> int:
        """Write every record; returns how many were written."""
        written = 0
        for record in records:
            self.write(record)
            written += 1
        return written

    def _close_shard(self, kind: str) -> None:
        handle, path, _ = self._open.pop(kind)
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        os.replace(path.with_suffix(".jsonl.partial"), path)
        self._finished.append(path)

    def close(self) -> DatasetCard:
        """Finalise the open shards and write the card; returns the card."""
        for kind in list(self._open):
            self._close_shard(kind)
        shards = sorted(self._finished, key=lambda p: p.name)
        card = self.card
        card.created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        card.sources = list(self._sources)
        card.total = sum(self._kinds.values())
        card.counts_by_kind = dict(sorted(self._kinds.items()))
        card.counts_by_domain = dict(sorted(self._domains.items()))
        card.counts_by_category = dict(sorted(self._categories.items()))
        card.counts_by_source = dict(sorted(self._by_source.items()))
        card.shards = [path.name for path in shards]
        card.content_sha256 = content_hash(self.root, card.shards)
        write_text_atomic(self.root / CARD_NAME, card.to_json())
        (self.root / WRITING_MARKER).unlink(missing_ok=True)
        return card

    def abort(self) -> None:
        """Drop every shard of this write and write no card: nothing partial is left looking finished.

        Works on a full or failing disk too (a shard that cannot be flushed is
        still removed), and removes the folder itself when this writer created it.
        """
        for kind, (handle, path, _) in list(self._open.items()):
            try:
                handle.close()
            except OSError:
                pass  # the buffered tail cannot be written (disk full): the shard goes anyway
            _unlink_quietly(path.with_suffix(".jsonl.partial"))
            del self._open[kind]
        for path in self._finished:
            _unlink_quietly(path)
        self._finished.clear()
        _unlink_quietly(self.root / WRITING_MARKER)
        if self._created:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "DatasetWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()
            return
        try:
            self.close()
        except BaseException:
            self.abort()
            raise


def _unlink_quietly(path: Path | None) -> None:
    """Remove ``path`` if it exists; a file that cannot be removed is left (the card is never written)."""
    if path is None:
        return
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def content_hash(root: Path, shard_names: Iterable[str]) -> str:
    """SHA-256 over the shards' bytes in name order (media are not included)."""
    digest = hashlib.sha256()
    for name in sorted(shard_names):
        with open(Path(root) / name, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def read_card(root: Path) -> DatasetCard:
    """The card of a dataset folder (DatasetError when missing or unreadable)."""
    path = Path(root) / CARD_NAME
    if is_unfinished(Path(root)):
        raise _unfinished(Path(root))
    if not path.is_file():
        raise DatasetError(f"{root} is not a dataset folder: {CARD_NAME} is missing")
    try:
        return DatasetCard.from_json(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise DatasetError(f"{path} is damaged: it is not UTF-8 text", _DAMAGED_HINT) from None
    except (json.JSONDecodeError, TypeError, AttributeError) as exc:
        raise DatasetError(f"{path} is not a valid dataset card: {exc}", _DAMAGED_HINT) from exc


_DAMAGED_HINT = "Build the dataset again with the command that made it, or delete the folder."


def _unfinished(root: Path) -> DatasetError:
    return DatasetError(
        f"{root} is an unfinished dataset: the command that wrote it stopped before it finished "
        f"(no {CARD_NAME}). Run that command again to rebuild it, or delete the folder."
    )


def is_unfinished(root: Path) -> bool:
    """Whether ``root`` holds what a killed or failed write left: shards but no card."""
    root = Path(root)
    if (root / CARD_NAME).is_file():
        return False
    return (root / WRITING_MARKER).exists() or any(root.glob("*.jsonl.partial"))


def shard_paths(root: Path, kinds: Iterable[str] = SHARD_KINDS) -> list[Path]:
    """The finished shards of a folder, for the given kinds, in name order.

    With a card, only the shards it lists count: shards left by an aborted
    write are never read back as part of the dataset. A folder that a write
    left unfinished (no card) raises ``DatasetError`` rather than pass as data.
    """
    wanted = set(kinds)
    root = Path(root)
    if is_unfinished(root):
        raise _unfinished(root)
    if (root / CARD_NAME).is_file():
        names = read_card(root).shards
        candidates = [root / name for name in names]
    else:
        candidates = list(root.glob("*.jsonl"))
    return sorted(p for p in candidates if p.name.split("-", 1)[0] in wanted)


def iter_raw(root: Path, kinds: Iterable[str] = SHARD_KINDS) -> Iterator[tuple[Path, int, dict]]:
    """Yield (shard, line number, parsed dict) for every line; broken JSON raises DatasetError."""
    for path in shard_paths(root, kinds):
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise DatasetError(f"{path} line {number} is not UTF-8 text (a damaged shard)",
                                       "Run `nexus-cli data validate` on the folder to keep its good rows.") from None
                if not line.strip():
                    continue
                try:
                    yield path, number, json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DatasetError(f"{path.name} line {number}: not JSON ({exc.msg})",
                                       "Run `nexus-cli data validate` on the folder to keep its good rows.") from exc


def iter_records(root: Path, kinds: Iterable[str] = SHARD_KINDS) -> Iterator[Record]:
    """Yield every record of a dataset folder as a schema model."""
    for _, _, data in iter_raw(root, kinds):
        yield record_from_dict(data)


def iter_samples(root: Path) -> Iterator[Sample]:
    """Yield the SFT samples (text and multimodal shards)."""
    for record in iter_records(root, ("text", "multimodal")):
        assert isinstance(record, Sample)
        yield record


def iter_pairs(root: Path) -> Iterator[PreferencePair]:
    """Yield the preference pairs."""
    for record in iter_records(root, ("pairs",)):
        assert isinstance(record, PreferencePair)
        yield record
