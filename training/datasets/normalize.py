"""Convert records from the common public dataset formats into the Nexus schema, and
import local files (JSON, JSONL, Parquet, CSV, LLaMA-Factory folders) into a dataset folder.

The formats (see :data:`training.datasets.formats.registry.FORMATS`): OpenAI ``messages``;
Alpaca ``instruction``/``input``/``output`` (+ ``system``, ``history``); ShareGPT
``conversations``; ``prompt``+``completion``/``solution``; ``question``+``answer``;
``problem``+``solution``; OpenMathInstruct; multiple choice (MMLU); CommitPackFT;
preference ``prompt``/``chosen``/``rejected`` (plain or conversational), Anthropic HH,
Nectar, UltraFeedback, PKU-SafeRLHF; rated HelpSteer/BeaverTails rows; and LLaMA-Factory
multimodal data (``images``/``audios``/``videos`` lists with text placeholders) described
by a ``dataset_info.json``. A bad row never stops an import: it is counted and reported.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.datasets.formats.common import NormalizeError, RecordContext
from training.datasets.formats.llamafactory import DATASET_INFO, entry_files, read_dataset_info, remap_row
from training.datasets.formats.media import MediaPlacer
from training.datasets.formats.readers import BadRow, is_data_file, iter_rows
from training.datasets.formats.registry import detect, known_formats, lookup
from training.datasets.progress import CancelCheck, Progress, ProgressCallback
from training.datasets.schema import Record, TrainingMode
from training.datasets.store import DatasetCard, DatasetWriter

__all__ = [
    "ImportReport", "NormalizeError", "FileReport", "RowError", "detect_format", "import_files",
    "known_formats", "normalize_record", "slug",
]

MAX_ROW_ERRORS_KEPT = 200


def slug(text: str) -> str:
    """A file- and id-friendly form of a name (``openbmb/UltraFeedback`` → ``openbmb_ultrafeedback``)."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "dataset"


def detect_format(record: Mapping[str, Any]) -> str:
    """The name of the format ``record`` is in; NormalizeError listing its keys and the known formats."""
    return detect(record).name


def normalize_record(record: Mapping[str, Any], fmt: str | None = None, *, domain: str, category: str,
                     source: str, id: str, media: MediaPlacer | None = None,
                     media_types: Mapping[str, str] | None = None, video_fps: float | None = None,
                     training_mode: TrainingMode = "censored") -> Record:
    """Convert one record (format ``fmt``, detected when None) into a Sample or PreferencePair.

    ``media`` copies/writes media into a dataset's ``media/`` tree; without it media entries
    must already be paths relative to the dataset root. ``media_types`` overrides the default
    type tag per kind (image → screenshot, audio → speech, video → coding_session).
    Raises NormalizeError with the reason when the record cannot be converted.
    """
    converter = lookup(fmt) if fmt else detect(record)
    ctx = RecordContext(domain=domain, category=category, source=source, id=id, media=media,
                        media_types=dict(media_types or {}), video_fps=video_fps, training_mode=training_mode)
    return converter.convert(record, ctx)


@dataclass(frozen=True)
class RowError:
    """A row that was skipped: where it was and why."""

    file: str
    row: int
    message: str


@dataclass
class FileReport:
    """What one data file (or LLaMA-Factory entry) gave."""

    path: str
    entry: str | None = None
    formats: dict[str, int] = field(default_factory=dict)
    imported: int = 0
    skipped: int = 0
    error: str | None = None


@dataclass
class ImportReport:
    """The outcome of :func:`import_files`: counts, per-file results and skip reasons."""

    dataset_root: Path
    files: list[FileReport] = field(default_factory=list)
    imported: int = 0
    skipped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    cancelled: bool = False
    card: DatasetCard | None = None

    def summary(self) -> str:
        """One line for a status bar or log."""
        state = "cancelled" if self.cancelled else "done"
        failed = sum(1 for f in self.files if f.error)
        text = f"import {state}: {self.imported} records from {len(self.files)} file(s), {self.skipped} rows skipped"
        return text + (f", {failed} file(s) unreadable" if failed else "")

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "dataset_root": str(self.dataset_root), "imported": self.imported, "skipped": self.skipped,
            "cancelled": self.cancelled, "reasons": dict(self.reasons),
            "files": [f.__dict__ for f in self.files], "errors": [e.__dict__ for e in self.errors],
        }


@dataclass(frozen=True)
class _Job:
    """One data file to import, with how its rows are read."""

    path: Path
    source: str
    search_root: Path
    entry: Any = None  # a LlamaFactoryEntry when the file comes from a dataset_info.json


def _reason(message: str) -> str:
    return re.sub(r"\d+", "N", message)


def _jobs(paths: Iterable[Path], source: str | None, media_root: Path | None,
          report: ImportReport) -> Iterator[_Job]:
    for raw in paths:
        path = Path(raw).expanduser()
        folder = path.parent if path.name == DATASET_INFO else path
        if (folder / DATASET_INFO).is_file():
            try:
                entries = read_dataset_info(folder)
            except NormalizeError as exc:
                report.files.append(FileReport(path=str(folder / DATASET_INFO), error=str(exc)))
                continue
            for entry in entries:
                try:
                    files = entry_files(folder, entry)
                except NormalizeError as exc:
                    report.files.append(FileReport(path=str(folder / DATASET_INFO), entry=entry.name, error=str(exc)))
                    continue
                for file in files:
                    yield _Job(file, source or entry.name, media_root or folder, entry)
        elif path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and is_data_file(p))
            if not files:
                report.files.append(FileReport(path=str(path), error="folder holds no JSON/JSONL/Parquet/CSV files"))
            for file in files:
                yield _Job(file, source or file.stem, media_root or file.parent)
        elif path.is_file():
            yield _Job(path, source or path.stem, media_root or path.parent)
        else:
            report.files.append(FileReport(path=str(path), error="no such file or folder"))


def import_files(paths: Iterable[Path | str], dst_root: Path, *, domain: str, category: str,
                 source: str | None = None, media_root: Path | None = None, fmt: str | None = None,
                 media_types: Mapping[str, str] | None = None, training_mode: TrainingMode = "censored",
                 progress: ProgressCallback | None = None, cancel: CancelCheck | None = None,
                 overwrite: bool = False) -> ImportReport:
    """Import data files and LLaMA-Factory folders into a new dataset folder at ``dst_root``.

    Each row is detected (or read as ``fmt``) and converted; media are copied under
    ``dst_root/media`` (relative media paths resolve against ``media_root``, else the
    file's folder). ``source`` defaults to the file stem or the dataset_info entry name.
    On cancel, or when no row could be imported, the writer is aborted (no card is
    written; ``report.card`` stays None) and the report says so. Raises
    DatasetError when ``dst_root`` already holds a dataset and ``overwrite`` is false.
    """
    report = ImportReport(dataset_root=Path(dst_root))
    jobs = list(_jobs([Path(p) for p in paths], source, Path(media_root) if media_root else None, report))
    bytes_total = sum(job.path.stat().st_size for job in jobs)
    bytes_before = 0
    reasons: Counter[str] = Counter()
    writer = DatasetWriter(Path(dst_root), recipe={"import": [str(job.path) for job in jobs]}, overwrite=overwrite)
    counters: Counter[str] = Counter()
    try:
        for job in jobs:
            file_report = FileReport(path=str(job.path), entry=job.entry.name if job.entry else None)
            report.files.append(file_report)
            placer = MediaPlacer(writer.root, search_roots=[job.search_root], namespace=slug(job.source))
            formats: Counter[str] = Counter()
            try:
                for row in iter_rows(job.path):
                    if cancel is not None and cancel():
                        report.cancelled = True
                        break
                    counters[job.source] += 1
                    record_id = f"{slug(job.source)}_{counters[job.source]:06d}"
                    try:
                        if isinstance(row.value, BadRow):
                            raise NormalizeError(row.value.message)
                        row_fmt, data = (remap_row(row.value, job.entry) if job.entry else (fmt, row.value))
                        record = normalize_record(
                            data, row_fmt, domain=domain, category=category, source=job.source, id=record_id,
                            media=placer, media_types=media_types, training_mode=training_mode)
                        writer.write(record)
                        formats[row_fmt or detect_format(data)] += 1
                        file_report.imported += 1
                        report.imported += 1
                    except NormalizeError as exc:
                        file_report.skipped += 1
                        report.skipped += 1
                        reasons[_reason(str(exc))] += 1
                        if len(report.errors) < MAX_ROW_ERRORS_KEPT:
                            report.errors.append(RowError(str(job.path), row.number, str(exc)))
                    if progress is not None:
                        progress(Progress(label=job.path.name, rows=report.imported + report.skipped,
                                          written=report.imported, bytes_done=bytes_before + row.bytes_done,
                                          bytes_total=bytes_total))
            except NormalizeError as exc:
                file_report.error = str(exc)
            file_report.formats = dict(formats)
            bytes_before += job.path.stat().st_size
            if report.cancelled:
                break
    except BaseException:
        writer.abort()
        raise
    report.reasons = dict(reasons.most_common())
    if report.cancelled or report.imported == 0:
        # An import that kept no row is not a dataset: leave no card that would pass for one.
        writer.abort()
    else:
        try:
            report.card = writer.close()
        except BaseException:
            writer.abort()
            raise
    return report
