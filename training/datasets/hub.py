"""Build a dataset folder from a recipe: stream each Hub dataset (or clone each git repository),
take its share of the total, normalize every row and write the schema records.

Resume: progress is kept in ``<dst>/.hub-state.json`` (rows consumed, records written and
whether each entry is finished). Records go to per-entry chunk folders under ``<dst>/.parts``
that are closed on cancel or error, so a rerun skips finished entries, continues the others
with ``IterableDataset.skip(rows)`` and never writes a row twice. When every entry is done
the chunks are merged into the destination and the card is written.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.atomic import write_text_atomic
from engine.paths import cache_dir as nexus_cache_dir
from training.datasets.formats.columns import apply_columns
from training.datasets.formats.media import MediaPlacer
from training.datasets.git_source import CLONE_TIMEOUT_S, GitSourceError, clone_shallow, file_sample, iter_repo_files
from training.datasets.hub_recipes import Recipe, RecipeEntry
from training.datasets.normalize import NormalizeError, normalize_record
from training.datasets.progress import CancelCheck, Progress, ProgressCallback
from training.datasets.schema import Record
from training.datasets.store import CARD_NAME, DatasetCard, DatasetWriter, iter_records

STATE_NAME = ".hub-state.json"
PARTS_DIR = ".parts"
MAX_REASONS = 50


class HubError(Exception):
    """A Hub dataset or repository that cannot be loaded; the message names it and says why."""


def hub_offline() -> bool:
    """Whether Hugging Face offline mode is on (``HF_HUB_OFFLINE``/``HF_DATASETS_OFFLINE``)."""
    return any(os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")
               for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"))


def _looks_local(hub_id: str) -> bool:
    return hub_id.startswith(("/", "./", "../", "~")) or Path(hub_id).expanduser().exists()


def explain_load_error(hub_id: str, exc: BaseException) -> str:
    """A user-facing sentence for a failure of ``load_dataset``/streaming (offline, wrong id, gated, ...)."""
    from datasets.exceptions import DataFilesNotFoundError, DatasetNotFoundError
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError

    if isinstance(exc, GatedRepoError):
        return (f"Dataset '{hub_id}' is gated: accept its terms on huggingface.co and log in "
                "(hf auth login) before loading it.")
    if isinstance(exc, (ConnectionError, TimeoutError, LocalEntryNotFoundError)):
        if hub_offline():
            return (f"Cannot load dataset '{hub_id}': the machine is offline (HF_HUB_OFFLINE=1) and the dataset "
                    "is not in the local cache. Connect and unset HF_HUB_OFFLINE, or check that the id is right.")
        return (f"Cannot reach the Hugging Face Hub for dataset '{hub_id}': the machine is offline or the "
                f"id is wrong ({exc}).")
    if isinstance(exc, (DatasetNotFoundError, RepositoryNotFoundError)):
        return (f"Dataset '{hub_id}' was not found on the Hugging Face Hub: check the id "
                "(private and gated datasets also need you to log in).")
    if isinstance(exc, DataFilesNotFoundError):
        return f"Dataset '{hub_id}' has no data files for this config/split: {exc}"
    if isinstance(exc, HfHubHTTPError):
        return f"The Hugging Face Hub refused dataset '{hub_id}': {exc}"
    return f"Dataset '{hub_id}' could not be loaded: {exc}"


def _load_errors() -> tuple[type[BaseException], ...]:
    from datasets.exceptions import DatasetsError
    from huggingface_hub.errors import HfHubHTTPError

    # ValueError: unknown config or split; RuntimeError: script-based datasets datasets no longer runs.
    return (DatasetsError, HfHubHTTPError, OSError, ValueError, RuntimeError)


def open_hub_stream(entry: RecipeEntry, skip: int = 0) -> Iterator[dict[str, Any]]:
    """Stream the rows of a recipe entry's Hub dataset (or local dataset folder) from row ``skip`` on,
    with media left undecoded (``{"bytes", "path"}``); HubError on any loading failure."""
    import datasets

    hub_id = entry.hub_id or ""
    source = hub_id
    if _looks_local(hub_id):
        local = Path(hub_id).expanduser()
        if not local.exists():
            raise HubError(f"Local dataset folder '{hub_id}' does not exist.")
        source = str(local.resolve())
    errors = _load_errors()
    try:
        stream = datasets.load_dataset(source, entry.config, split=entry.split, data_files=entry.data_files,
                                       revision=entry.revision, streaming=True)
        stream = stream.decode(False)
        if skip:
            stream = stream.skip(skip)
        rows = iter(stream)
    except errors as exc:
        raise HubError(explain_load_error(hub_id, exc)) from exc
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except errors as exc:
            raise HubError(explain_load_error(hub_id, exc)) from exc
        yield row


@dataclass
class EntryState:
    """Resume state of one recipe entry."""

    rows: int = 0
    written: int = 0
    skipped: int = 0
    finished: bool = False
    error: str | None = None
    chunks: list[str] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)


@dataclass
class HubState:
    """The resume file of a destination folder."""

    recipe: str
    total: int
    entries: dict[str, EntryState] = field(default_factory=dict)
    complete: bool = False

    @classmethod
    def load(cls, root: Path) -> "HubState | None":
        """The state saved in ``root``, or None when there is none."""
        path = root / STATE_NAME
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = {key: EntryState(**value) for key, value in data.get("entries", {}).items()}
            return cls(recipe=data["recipe"], total=int(data["total"]), entries=entries,
                       complete=bool(data.get("complete")))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise HubError(f"{path} is damaged ({exc}); delete it to start this download again") from exc

    def save(self, root: Path) -> None:
        """Write the state atomically."""
        data = {"recipe": self.recipe, "total": self.total, "complete": self.complete,
                "entries": {key: value.__dict__ for key, value in self.entries.items()}}
        write_text_atomic(root / STATE_NAME, json.dumps(data, indent=2, sort_keys=True) + "\n")


@dataclass
class EntryReport:
    """What one recipe entry gave."""

    name: str
    target: int
    rows: int
    written: int
    skipped: int
    finished: bool
    error: str | None = None
    reasons: dict[str, int] = field(default_factory=dict)


@dataclass
class HubReport:
    """The outcome of :func:`build_from_recipe`."""

    dataset_root: Path
    recipe: str
    total: int
    entries: list[EntryReport] = field(default_factory=list)
    cancelled: bool = False
    complete: bool = False
    card: DatasetCard | None = None

    @property
    def written(self) -> int:
        """Records written so far over all entries."""
        return sum(entry.written for entry in self.entries)

    def summary(self) -> str:
        """One line for a status bar or log."""
        state = "complete" if self.complete else "cancelled" if self.cancelled else "incomplete"
        return f"recipe {self.recipe}: {state}, {self.written} records from {len(self.entries)} source(s)"


# A stream of items from a source, and how one item at a stream position becomes a record.
_Source = tuple[Iterator[Any], Callable[[Any, int], Record]]


def _hub_source(entry: RecipeEntry, dst: Path, skip: int) -> _Source:
    local = entry.hub_id and _looks_local(entry.hub_id)
    placer = MediaPlacer(dst, search_roots=[Path(entry.hub_id).expanduser()] if local else [], namespace=entry.key)

    def convert(row: Any, position: int) -> Record:
        """Map the entry's columns, then normalize; the id comes from the stream position."""
        data = apply_columns(row, entry.columns, entry.instruction)
        return normalize_record(data, entry.format, domain=entry.domain, category=entry.category,
                                source=entry.hub_id or entry.name, id=f"{entry.key}_{position:07d}",
                                media=placer, media_types=entry.media_types, video_fps=entry.video_fps,
                                training_mode=entry.training_mode or "censored")  # type: ignore[arg-type]

    return open_hub_stream(entry, skip), convert


def _git_source(entry: RecipeEntry, skip: int, cache: Path, timeout_s: float) -> _Source:
    url = entry.git or ""
    try:
        repo_dir = clone_shallow(url, cache, revision=entry.revision, timeout_s=timeout_s)
    except GitSourceError as exc:
        raise HubError(f"Repository '{url}' could not be cloned: {exc}") from exc
    files = iter_repo_files(repo_dir, entry.include, entry.exclude, entry.min_chars, entry.max_chars)
    repo_name = url.rstrip("/").removesuffix(".git").split("github.com/")[-1]

    def convert(item: Any, position: int) -> Record:
        """A sample from one repository file (or the reason the file was left out)."""
        if isinstance(item, NormalizeError):
            raise item
        return file_sample(item, repo=repo_name, kind=entry.sample_kind, domain=entry.domain,
                           category=entry.category, source=url, id=f"{entry.key}_{position:07d}")

    return itertools.islice(files, skip, None), convert


def _run_entry(entry: RecipeEntry, state: EntryState, target: int, dst: Path, *, cache: Path,
               timeout_s: float, progress: ProgressCallback | None, cancel: CancelCheck | None) -> bool:
    """Continue one entry into a new chunk; True when cancelled. HubError propagates after the
    chunk is closed and the state updated, so nothing consumed is lost."""
    chunk = f"{entry.key}-{len(state.chunks):03d}"
    writer = DatasetWriter(dst / PARTS_DIR / chunk, name=chunk, overwrite=True)
    reasons = Counter(state.reasons)
    cancelled = False
    try:
        items, convert = (_git_source(entry, state.rows, cache, timeout_s) if entry.git
                          else _hub_source(entry, dst, state.rows))
        while state.written < target:
            if cancel is not None and cancel():
                cancelled = True
                break
            try:
                item = next(items)
            except StopIteration:
                break
            position = state.rows
            state.rows += 1
            try:
                writer.write(convert(item, position))
                state.written += 1
            except NormalizeError as exc:
                state.skipped += 1
                if len(reasons) < MAX_REASONS or str(exc) in reasons:
                    reasons[str(exc)] += 1
            if progress is not None:
                progress(Progress(label=entry.name, rows=state.rows, written=state.written, limit=target))
        state.finished = not cancelled
    finally:
        writer.close()
        state.chunks.append(chunk)
        state.reasons = dict(reasons.most_common(MAX_REASONS))
    return cancelled


def _drop_stray_chunks(dst: Path, state: HubState) -> None:
    """Remove chunk folders the state does not list (left by a crash before the state was saved)."""
    parts = dst / PARTS_DIR
    if not parts.is_dir():
        return
    listed = {chunk for entry in state.entries.values() for chunk in entry.chunks}
    for folder in parts.iterdir():
        if folder.name not in listed:
            shutil.rmtree(folder, ignore_errors=True)


def _merge(recipe: Recipe, state: HubState, dst: Path) -> DatasetCard:
    card_recipe = {**recipe.to_dict(), "total": state.total}
    with DatasetWriter(dst, name=recipe.name, recipe=card_recipe) as writer:
        for entry in recipe.entries:
            for chunk in state.entries[entry.key].chunks:
                writer.write_all(iter_records(dst / PARTS_DIR / chunk))
    card = writer.card
    shutil.rmtree(dst / PARTS_DIR, ignore_errors=True)
    return card


def _report(recipe: Recipe, state: HubState, dst: Path) -> HubReport:
    report = HubReport(dataset_root=dst, recipe=recipe.name, total=state.total, complete=state.complete)
    for entry in recipe.entries:
        est = state.entries.get(entry.key, EntryState())
        report.entries.append(EntryReport(name=entry.name, target=entry.target(state.total), rows=est.rows,
                                          written=est.written, skipped=est.skipped, finished=est.finished,
                                          error=est.error, reasons=dict(est.reasons)))
    return report


def build_from_recipe(recipe: Recipe, dst_root: Path, *, total: int | None = None, cache_dir: Path | None = None,
                      progress: ProgressCallback | None = None, cancel: CancelCheck | None = None,
                      skip_failed: bool = False, clone_timeout_s: float = CLONE_TIMEOUT_S) -> HubReport:
    """Stream every entry of ``recipe`` into a dataset folder at ``dst_root`` (resuming a previous run).

    Each entry takes ``limit`` records, or ``share × total`` (``total`` defaults to the recipe's).
    Returns a report; ``report.cancelled`` when ``cancel()`` turned true (rerun to continue).
    A source that cannot be loaded raises HubError, or with ``skip_failed`` is recorded in the
    report and left out. ``cache_dir`` holds git clones (default: the Nexus cache).
    """
    dst = Path(dst_root)
    total = total or recipe.total
    state = HubState.load(dst)
    if state is None:
        if (dst / CARD_NAME).exists():
            raise HubError(f"{dst} already holds a dataset; choose an empty folder")
        state = HubState(recipe=recipe.name, total=total)
    elif (state.recipe, state.total) != (recipe.name, total):
        raise HubError(f"{dst} holds an unfinished download of recipe '{state.recipe}' with total {state.total}; "
                       "resume it with the same recipe and total, or choose another folder")
    if state.complete:
        return _report(recipe, state, dst)
    dst.mkdir(parents=True, exist_ok=True)
    _drop_stray_chunks(dst, state)
    cache = Path(cache_dir) if cache_dir else nexus_cache_dir() / "datasets" / "git"
    cancelled = False
    for entry in recipe.entries:
        est = state.entries.setdefault(entry.key, EntryState())
        if est.finished:
            continue
        est.error = None
        try:
            cancelled = _run_entry(entry, est, entry.target(total), dst, cache=cache, timeout_s=clone_timeout_s,
                                   progress=progress, cancel=cancel)
        except HubError as exc:
            est.error = str(exc)
            est.finished = skip_failed
            state.save(dst)
            if not skip_failed:
                raise
            continue
        state.save(dst)
        if cancelled:
            break
    report = _report(recipe, state, dst)
    report.cancelled = cancelled
    if cancelled:
        return report
    report.card = _merge(recipe, state, dst)
    state.complete = True
    state.save(dst)
    report.complete = True
    return report
