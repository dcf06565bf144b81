"""Export a schema dataset folder to the formats trainers read: LLaMA-Factory (sharegpt-style
``messages`` with media placeholders and lists, alpaca-style for single-turn samples, ranking
pairs, plus its ``dataset_info.json``), ShareGPT ``conversations`` and TRL DPO.

Every exported row also carries ``nexus_*`` columns (id, domain, category, source, media
types, fps, ...). LLaMA-Factory and TRL ignore them; :mod:`training.datasets.normalize`
reads them back, so schema → export → schema gives the same records.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from engine.atomic import write_text_atomic
from training.datasets.formats.common import (
    MEDIA_COLUMNS,
    MEDIA_KINDS,
    NEXUS_CATEGORY,
    NEXUS_DOMAIN,
    NEXUS_ID,
    NEXUS_INSERTED,
    NEXUS_PAIR_STYLE,
    NEXUS_REPETITION,
    NEXUS_SOURCE,
    NEXUS_TRAINING_MODE,
    NEXUS_TYPES,
    NEXUS_VIDEO_FPS,
    PLACEHOLDERS,
)
from training.datasets.formats.llamafactory import DATASET_INFO
from training.datasets.progress import CancelCheck, Progress, ProgressCallback
from training.datasets.schema import Message, PreferencePair, Sample
from training.datasets.store import DatasetError, iter_pairs, iter_samples, read_card

__all__ = ["ExportError", "ExportReport", "export_llamafactory", "export_sharegpt", "export_trl_dpo"]

_OPENAI_TAGS = {"role_tag": "role", "content_tag": "content", "user_tag": "user",
                "assistant_tag": "assistant", "system_tag": "system"}
_SHAREGPT_FROM = {"system": "system", "user": "human", "assistant": "gpt"}


class ExportError(Exception):
    """An export that cannot be done (unreadable source, unwritable target); the message says why."""


class _Skip(Exception):
    """A record the target format cannot express; the message is the reason."""


@dataclass
class ExportReport:
    """What an export wrote and what it had to leave out."""

    out_dir: Path
    files: list[str] = field(default_factory=list)
    written: int = 0
    skipped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    media_copied: int = 0
    cancelled: bool = False

    def summary(self) -> str:
        """One line for a status bar or log."""
        state = "cancelled" if self.cancelled else "done"
        return f"export {state}: {self.written} records in {len(self.files)} file(s), {self.skipped} skipped"


class _Sink:
    """A JSONL output file written under a temporary name and renamed when complete."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self.kinds: set[str] = set()
        self._handle: IO[str] | None = None

    def write(self, row: dict[str, Any]) -> None:
        """Append one row (the file is opened on the first row)."""
        if self._handle is None:
            self._handle = open(self.path.with_name(self.path.name + ".partial"), "w", encoding="utf-8")
        self._handle.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
        self._handle.write("\n")
        self.count += 1
        self.kinds.update(kind for kind in MEDIA_KINDS if row.get(MEDIA_COLUMNS[kind]))

    def discard(self) -> None:
        """Close and remove the unfinished file, whatever state the disk is in."""
        partial = self.path.with_name(self.path.name + ".partial")
        if self._handle is not None:
            try:
                self._handle.close()
            except OSError:
                pass  # the buffered tail cannot be written (disk full): the file goes anyway
            self._handle = None
        partial.unlink(missing_ok=True)

    def finish(self, keep: bool) -> bool:
        """Close; rename into place when ``keep`` and rows were written. True when the file exists."""
        if self._handle is None:
            return False
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        partial = self.path.with_name(self.path.name + ".partial")
        if keep:
            os.replace(partial, self.path)
        else:
            partial.unlink(missing_ok=True)
        return keep


class _Exporter:
    """The loop every export shares: progress, cancel, skip counting and media copying."""

    def __init__(self, src_root: Path, dst_dir: Path, progress: ProgressCallback | None,
                 cancel: CancelCheck | None) -> None:
        self.src_root = Path(src_root)
        try:
            self.total = read_card(self.src_root).total
        except DatasetError as exc:
            raise ExportError(str(exc)) from exc
        self.dst_dir = Path(dst_dir)
        self._created = not self.dst_dir.exists()
        self.dst_dir.mkdir(parents=True, exist_ok=True)
        self.report = ExportReport(out_dir=self.dst_dir)
        self.progress = progress
        self.cancel = cancel
        self._reasons: Counter[str] = Counter()
        self._rows = 0
        self._sinks: list[_Sink] = []

    def sink(self, file_name: str) -> _Sink:
        """A new output file in the export folder, removed again if the export fails."""
        sink = _Sink(self.dst_dir / file_name)
        self._sinks.append(sink)
        return sink

    def __enter__(self) -> "_Exporter":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        """On a failure (a full disk, a damaged source) remove what this export wrote: no half export is left."""
        if exc_type is None:
            return
        for sink in self._sinks:
            sink.discard()
            if sink.path.name in self.report.files:
                sink.path.unlink(missing_ok=True)
        if self._created:
            shutil.rmtree(self.dst_dir, ignore_errors=True)

    def records(self, iterator: Iterator[Any]) -> Iterator[Any]:
        """Yield records until cancelled, reporting progress after each."""
        for record in iterator:
            if self.cancel is not None and self.cancel():
                self.report.cancelled = True
                return
            yield record
            self._rows += 1
            if self.progress is not None:
                self.progress(Progress(label="export", rows=self._rows, written=self.report.written,
                                       limit=self.total or None))

    def emit(self, sink: _Sink, build: Any, record: Any) -> None:
        """Write ``build(record)`` to ``sink``, or count the reason it was skipped."""
        try:
            row = build(record)
        except _Skip as skip:
            self.report.skipped += 1
            self._reasons[str(skip)] += 1
            return
        sink.write(row)
        self.report.written += 1

    def copy_media(self, sample: Sample) -> None:
        """Copy a sample's media to the same relative paths under the export folder."""
        if sample.modalities is None:
            return
        for _, ref in sample.modalities.all():
            source, target = self.src_root / ref.path, self.dst_dir / ref.path
            if not source.is_file():
                raise _Skip(f"media file missing in the source dataset: {ref.path}")
            if target.exists() and target.stat().st_size == source.stat().st_size:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            self.report.media_copied += 1

    def finish(self, sinks: list[_Sink]) -> None:
        """Move finished files into place (none when cancelled) and fill the report."""
        for sink in sinks:
            if sink.finish(keep=not self.report.cancelled):
                self.report.files.append(sink.path.name)
        self.report.reasons = dict(self._reasons.most_common())


def _sample_tags(sample: Sample) -> dict[str, Any]:
    tags: dict[str, Any] = {NEXUS_ID: sample.id, NEXUS_DOMAIN: sample.domain,
                            NEXUS_CATEGORY: sample.category, NEXUS_SOURCE: sample.source}
    if sample.repetition_style:
        tags[NEXUS_REPETITION] = sample.repetition_style
    if sample.modalities is not None:
        for kind in MEDIA_KINDS:
            refs = getattr(sample.modalities, kind)
            if refs:
                tags[NEXUS_TYPES[kind]] = [ref.type for ref in refs]
        if sample.modalities.video:
            tags[NEXUS_VIDEO_FPS] = [ref.fps for ref in sample.modalities.video]
    return tags


def _media_columns(sample: Sample) -> dict[str, list[str]]:
    modalities = sample.modalities
    return {MEDIA_COLUMNS[kind]: [ref.path for ref in getattr(modalities, kind)] if modalities else []
            for kind in MEDIA_KINDS}


def _placed_messages(sample: Sample) -> tuple[list[Message], str]:
    """Messages with one placeholder per media item; media without placeholders are put before the
    first user text (the schema's convention). Returns the messages and the prefix that was added."""
    text = "".join(message.content for message in sample.messages)
    prefix = ""
    for kind in MEDIA_KINDS:
        count = len(getattr(sample.modalities, kind)) if sample.modalities else 0
        marks = text.count(PLACEHOLDERS[kind])
        if marks == count:
            continue
        if marks:
            raise _Skip(f"{PLACEHOLDERS[kind]} placeholders do not match the {kind} files")
        prefix += PLACEHOLDERS[kind] * count
    if not prefix:
        return list(sample.messages), ""
    messages = list(sample.messages)
    for index, message in enumerate(messages):
        if message.role == "user":
            messages[index] = Message(role="user", content=prefix + message.content)
            break
    return messages, prefix


def _is_single_turn(sample: Sample) -> bool:
    roles = [message.role for message in sample.messages]
    return roles in (["user", "assistant"], ["system", "user", "assistant"])


def _write_dataset_info(dst_dir: Path, entries: dict[str, dict[str, Any]]) -> None:
    write_text_atomic(dst_dir / DATASET_INFO, json.dumps(entries, indent=2, ensure_ascii=False) + "\n")


def _media_mapping(kinds: set[str]) -> dict[str, str]:
    return {MEDIA_COLUMNS[kind]: MEDIA_COLUMNS[kind] for kind in MEDIA_KINDS if kind in kinds}


def _lf_messages_row(exporter: _Exporter, sample: Sample) -> dict[str, Any]:
    messages, prefix = _placed_messages(sample)
    exporter.copy_media(sample)
    row: dict[str, Any] = {"messages": [m.model_dump() for m in messages], **_media_columns(sample)}
    row.update(_sample_tags(sample))
    if prefix:
        row[NEXUS_INSERTED] = prefix
    return row


def _lf_alpaca_row(exporter: _Exporter, sample: Sample) -> dict[str, Any]:
    messages, prefix = _placed_messages(sample)
    exporter.copy_media(sample)
    system = messages[0].content if messages[0].role == "system" else ""
    user, assistant = messages[-2], messages[-1]
    row: dict[str, Any] = {"instruction": user.content, "input": "", "output": assistant.content,
                           "system": system, **_media_columns(sample)}
    row.update(_sample_tags(sample))
    if prefix:
        row[NEXUS_INSERTED] = prefix
    return row


def _pair_messages(value: str | list[Message], role: str) -> list[Message]:
    return [Message(role=role, content=value)] if isinstance(value, str) else list(value)  # type: ignore[arg-type]


def _pair_tags(pair: PreferencePair) -> dict[str, Any]:
    return {NEXUS_ID: pair.id, NEXUS_DOMAIN: pair.domain, NEXUS_CATEGORY: pair.category,
            NEXUS_SOURCE: pair.source, NEXUS_TRAINING_MODE: pair.training_mode,
            NEXUS_PAIR_STYLE: "plain" if isinstance(pair.prompt, str) else "conversational"}


def _lf_pair_row(pair: PreferencePair) -> dict[str, Any]:
    chosen, rejected = _pair_messages(pair.chosen, "assistant"), _pair_messages(pair.rejected, "assistant")
    if len(chosen) != 1 or len(rejected) != 1:
        raise _Skip("LLaMA-Factory ranking rows take one chosen and one rejected message")
    return {"messages": [m.model_dump() for m in _pair_messages(pair.prompt, "user")],
            "chosen": chosen[0].model_dump(), "rejected": rejected[0].model_dump(), **_pair_tags(pair)}


def export_llamafactory(src_root: Path, dst_dir: Path, *, name: str = "nexus", alpaca_single_turn: bool = False,
                        progress: ProgressCallback | None = None, cancel: CancelCheck | None = None) -> ExportReport:
    """Write ``<name>.jsonl`` (sharegpt-style ``messages`` + ``images``/``audios``/``videos``),
    ``<name>_alpaca.jsonl`` (single-turn samples, when ``alpaca_single_turn``), ``<name>_pairs.jsonl``
    (ranking) and a ``dataset_info.json`` describing them; media are copied to the same relative paths."""
    with _Exporter(src_root, dst_dir, progress, cancel) as exporter:
        return _export_llamafactory(exporter, name, alpaca_single_turn)


def _export_llamafactory(exporter: _Exporter, name: str, alpaca_single_turn: bool) -> ExportReport:
    out = exporter.dst_dir
    chat = exporter.sink(f"{name}.jsonl")
    alpaca = exporter.sink(f"{name}_alpaca.jsonl")
    pairs = exporter.sink(f"{name}_pairs.jsonl")
    for sample in exporter.records(iter_samples(exporter.src_root)):
        if alpaca_single_turn and _is_single_turn(sample):
            exporter.emit(alpaca, lambda s: _lf_alpaca_row(exporter, s), sample)
        else:
            exporter.emit(chat, lambda s: _lf_messages_row(exporter, s), sample)
    if not exporter.report.cancelled:
        for pair in exporter.records(iter_pairs(exporter.src_root)):
            exporter.emit(pairs, _lf_pair_row, pair)
    exporter.finish([chat, alpaca, pairs])
    if exporter.report.cancelled:
        return exporter.report
    entries: dict[str, dict[str, Any]] = {}
    if chat.count:
        entries[name] = {"file_name": chat.path.name, "formatting": "sharegpt",
                         "columns": {"messages": "messages", **_media_mapping(chat.kinds)}, "tags": dict(_OPENAI_TAGS)}
    if alpaca.count:
        entries[f"{name}_alpaca"] = {"file_name": alpaca.path.name, "formatting": "alpaca",
                                     "columns": {"prompt": "instruction", "query": "input", "response": "output",
                                                 "system": "system", **_media_mapping(alpaca.kinds)}}
    if pairs.count:
        entries[f"{name}_pairs"] = {"file_name": pairs.path.name, "formatting": "sharegpt", "ranking": True,
                                    "columns": {"messages": "messages", "chosen": "chosen", "rejected": "rejected"},
                                    "tags": dict(_OPENAI_TAGS)}
    _write_dataset_info(out, entries)
    exporter.report.files.append(DATASET_INFO)
    return exporter.report


def _sharegpt_row(exporter: _Exporter, sample: Sample) -> dict[str, Any]:
    messages, prefix = _placed_messages(sample)
    exporter.copy_media(sample)
    row: dict[str, Any] = {"conversations": [{"from": _SHAREGPT_FROM[m.role], "value": m.content} for m in messages],
                           **_media_columns(sample)}
    row.update(_sample_tags(sample))
    if prefix:
        row[NEXUS_INSERTED] = prefix
    return row


def export_sharegpt(src_root: Path, dst_dir: Path, *, name: str = "nexus", progress: ProgressCallback | None = None,
                    cancel: CancelCheck | None = None) -> ExportReport:
    """Write the SFT samples as ShareGPT ``conversations`` (human/gpt/system) to ``<name>_sharegpt.jsonl``
    with media lists and placeholders, media copied, and a ``dataset_info.json`` so LLaMA-Factory reads
    it too. Preference pairs are not part of ShareGPT and are left out."""
    with _Exporter(src_root, dst_dir, progress, cancel) as exporter:
        sink = exporter.sink(f"{name}_sharegpt.jsonl")
        for sample in exporter.records(iter_samples(exporter.src_root)):
            exporter.emit(sink, lambda s: _sharegpt_row(exporter, s), sample)
        exporter.finish([sink])
        if sink.count and not exporter.report.cancelled:
            _write_dataset_info(exporter.dst_dir, {f"{name}_sharegpt": {
                "file_name": sink.path.name, "formatting": "sharegpt",
                "columns": {"messages": "conversations", **_media_mapping(sink.kinds)}}})
            exporter.report.files.append(DATASET_INFO)
        return exporter.report


def _is_plain(pair: PreferencePair) -> bool:
    return all(isinstance(value, str) for value in (pair.prompt, pair.chosen, pair.rejected))


def _plain_texts(pair: PreferencePair) -> tuple[str, str, str]:
    prompt = _pair_messages(pair.prompt, "user")
    chosen, rejected = _pair_messages(pair.chosen, "assistant"), _pair_messages(pair.rejected, "assistant")
    if len(prompt) != 1 or prompt[0].role != "user" or len(chosen) != 1 or len(rejected) != 1:
        raise _Skip("a multi-turn pair cannot be written as plain text; export it conversational")
    return prompt[0].content, chosen[0].content, rejected[0].content


def _dpo_row(pair: PreferencePair, conversational: bool, with_tags: bool) -> dict[str, Any]:
    if conversational:
        row: dict[str, Any] = {key: [m.model_dump() for m in _pair_messages(getattr(pair, key), role)]
                               for key, role in (("prompt", "user"), ("chosen", "assistant"), ("rejected", "assistant"))}
    else:
        prompt, chosen, rejected = _plain_texts(pair)
        row = {"prompt": prompt, "chosen": chosen, "rejected": rejected}
    if with_tags:
        row.update(_pair_tags(pair))
    return row


def export_trl_dpo(src_root: Path, dst_dir: Path, *, name: str = "nexus", conversational: bool | None = None,
                   with_tags: bool = True, progress: ProgressCallback | None = None,
                   cancel: CancelCheck | None = None) -> ExportReport:
    """Write the preference pairs in TRL's DPO format to ``<name>_dpo.jsonl``.

    ``conversational`` None keeps plain strings when every pair is plain and otherwise writes
    message lists for all (TRL needs one shape per dataset). ``with_tags`` adds the ``nexus_*``
    columns that make the file importable without loss.
    """
    with _Exporter(src_root, dst_dir, progress, cancel) as exporter:
        if conversational is None:
            conversational = not all(_is_plain(pair) for pair in iter_pairs(exporter.src_root))
        sink = exporter.sink(f"{name}_dpo.jsonl")
        for pair in exporter.records(iter_pairs(exporter.src_root)):
            exporter.emit(sink, lambda p: _dpo_row(p, conversational, with_tags), pair)
        exporter.finish([sink])
        return exporter.report
