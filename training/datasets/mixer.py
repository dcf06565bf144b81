"""Mix dataset folders into train/val/test datasets with a real-vs-synthetic ratio.

A record is synthetic when its source is flagged so by the caller, or (left to
the mixer) when its ``source`` starts with ``nexus-`` (the card's ``sources``
list is the set of those record sources). Each input folder splits into up to
two pools, real and synthetic. The real/synthetic budgets come from the ratio
and the target size; within a class, pools share the budget by weight, capped
at what they hold (the excess goes to the others). Records are drawn without
replacement, so without a target the mix is the largest one that keeps the ratio.

Memory stays flat for big inputs: pass 1 only counts records per pool; the
picks are index masks (a byte per input record); pass 2 streams the inputs
again, writes the picked lines to bucket files per split (copying media), and
pass 3 shuffles each bucket in memory and writes it through ``DatasetWriter``.
Everything is drawn from generators seeded with the mix seed, so the same
inputs and settings give the same output bytes.

Output: ``<root>/train``, ``<root>/val``, ``<root>/test`` (each a dataset, with
text-only and multimodal records in separate shards) and ``<root>/mix_report.json``;
the report is also in each split's card under ``recipe["mix"]``. Media are
copied (hard-linked when possible) to ``media/<source>/...`` in each split, so
files of different sources never collide and paths stay relative. The output
is all or nothing: a cancelled or failed mix removes the split folders it wrote.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from engine.atomic import write_text_atomic
from training.datasets.progress import CancelCheck, Progress, ProgressCallback
from training.datasets.schema import MediaRef, Modalities, Record, Sample, record_from_dict
from training.datasets.store import (
    DEFAULT_SHARD_SIZE,
    MEDIA_DIR,
    SHARD_KINDS,
    DatasetCard,
    DatasetError,
    DatasetWriter,
    shard_paths,
)

SYNTHETIC_PREFIX = "nexus-"
SPLITS = ("train", "val", "test")
CLASSES = ("real", "synthetic")
MIX_REPORT_NAME = "mix_report.json"
_WORK_DIR = ".mix-work"
_PROGRESS_EVERY = 500


@dataclass
class MixSource:
    """One input dataset folder: its weight within its class and, optionally, its class."""

    path: Path
    weight: float = 1.0
    synthetic: bool | None = None
    name: str | None = None


@dataclass
class MixConfig:
    """How to mix: real share, split fractions, seed, target size and output shards."""

    real_fraction: float = 0.3
    split: tuple[float, float, float] = (0.95, 0.025, 0.025)
    seed: int = 0
    target_total: int | None = None
    kinds: tuple[str, ...] = SHARD_KINDS
    shard_size: int = DEFAULT_SHARD_SIZE
    bucket_size: int = 50_000

    def check(self) -> None:
        """Raise ``ValueError`` for settings that cannot work."""
        if not 0.0 <= self.real_fraction <= 1.0:
            raise ValueError("real_fraction must be between 0 and 1")
        parts_ok = len(self.split) == 3 and all(part >= 0 for part in self.split)
        if not parts_ok or not math.isclose(sum(self.split), 1.0):
            raise ValueError("split must be three non-negative fractions (train, val, test) summing to 1")
        if self.target_total is not None and self.target_total <= 0:
            raise ValueError("target_total must be positive")
        if self.bucket_size <= 0:
            raise ValueError("bucket_size must be positive")


@dataclass
class MixResult:
    """The outcome of a mix: the split cards and the report written to ``mix_report.json``."""

    root: Path
    report: dict[str, Any] = field(default_factory=dict)
    cards: dict[str, DatasetCard] = field(default_factory=dict)
    cancelled: bool = False

    def summary(self) -> str:
        """One line for a status bar or log."""
        if self.cancelled:
            return "mix cancelled"
        splits = self.report.get("splits", {})
        return ("mix done: " + ", ".join(f"{split} {splits.get(split, 0)}" for split in SPLITS)
                + f" ({self.report.get('classes', {}).get('real', {}).get('selected', 0)} real)")


@dataclass
class _Pool:
    cls: str
    available: int = 0
    quota: int = 0
    split_counts: tuple[int, int, int] = (0, 0, 0)
    mask: np.ndarray | None = None
    labels: np.ndarray | None = None
    seen: int = 0
    picked: int = 0


class _Cancelled(Exception):
    pass


# ----- allocation -----------------------------------------------------------


def allocate(budget: int, capacities: list[int], weights: list[float]) -> list[int]:
    """Share ``budget`` between pools in proportion to ``weights``, none above its capacity.

    Capped pools give their excess to the others (water-filling); fractions are
    rounded by largest remainder (ties to the earlier pool), so the result sums
    to ``min(budget, total capacity of pools with a positive weight)``.
    """
    count = len(capacities)
    quota = [0.0] * count
    free = [i for i in range(count) if capacities[i] > 0 and weights[i] > 0]
    budget = min(budget, sum(capacities[i] for i in free))
    left = float(budget)
    while free and left > 1e-9:
        total_weight = sum(weights[i] for i in free)
        full = [i for i in free if left * weights[i] / total_weight >= capacities[i]]
        if not full:
            for i in free:
                quota[i] = left * weights[i] / total_weight
            break
        for i in full:
            quota[i] = float(capacities[i])
            left -= capacities[i]
        free = [i for i in free if i not in full]
    result = [min(int(math.floor(value + 1e-9)), capacities[i]) for i, value in enumerate(quota)]
    order = sorted(range(count), key=lambda i: (-(quota[i] - result[i]), i))
    short = budget - sum(result)
    for i in order:
        if short <= 0:
            break
        if result[i] < capacities[i] and weights[i] > 0:
            result[i] += 1
            short -= 1
    return result


def class_budgets(available: dict[str, int], real_fraction: float, target: int | None) -> dict[str, int]:
    """Real and synthetic counts that keep ``real_fraction`` (up to rounding) within what is available."""
    real, synthetic = available["real"], available["synthetic"]
    if real_fraction <= 0.0:
        largest = synthetic
    elif real_fraction >= 1.0:
        largest = real
    else:
        largest = int(math.floor(min(real / real_fraction, synthetic / (1.0 - real_fraction)) + 1e-9))
    total = largest if target is None else min(target, largest)
    chosen_real = min(real, int(round(total * real_fraction)))
    return {"real": chosen_real, "synthetic": min(synthetic, total - chosen_real)}


# ----- reading --------------------------------------------------------------


def _read_lines(path: Path) -> Iterator[tuple[int, bytes, dict]]:
    """(line number, raw line, parsed object) of one shard; broken JSON raises DatasetError."""
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise DatasetError(f"{path} line {number} is not JSON; validate the dataset first") from exc
            if not isinstance(data, dict):
                raise DatasetError(f"{path} line {number} is not a JSON object; validate the dataset first")
            yield number, raw, data


def _is_synthetic(source: MixSource, data: dict) -> bool:
    if source.synthetic is not None:
        return source.synthetic
    return str(data.get("source", "")).startswith(SYNTHETIC_PREFIX)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "source"


def _source_names(sources: list[MixSource]) -> list[str]:
    names: list[str] = []
    for source in sources:
        base = _slug(source.name or Path(source.path).name)
        name, n = base, 2
        while name in names:
            name, n = f"{base}-{n}", n + 1
        names.append(name)
    return names


def _link_or_copy(source: Path, target: Path) -> None:
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


# ----- the mixer ------------------------------------------------------------


class _Mixer:
    """One mix run; holds the pools between the passes."""

    def __init__(self, sources: list[MixSource], root: Path, config: MixConfig,
                 progress: ProgressCallback | None, cancel: CancelCheck | None) -> None:
        self.sources = sources
        self.names = _source_names(sources)
        self.root = Path(root)
        self.config = config
        self.progress = progress
        self.cancel = cancel
        self.pools = {(i, cls): _Pool(cls) for i in range(len(sources)) for cls in CLASSES}
        self.bytes_total = sum(p.stat().st_size for s in sources for p in shard_paths(s.path, config.kinds))
        self.total = 0
        self.split_totals = (0, 0, 0)

    def _tick(self, label: str, rows: int, written: int, bytes_done: int | None = None) -> None:
        if self.cancel is not None and self.cancel():
            raise _Cancelled
        if self.progress is not None:
            limit = self.total if label == "mix: write" else None
            bytes_total = self.bytes_total if bytes_done is not None else None
            self.progress(Progress(label=label, rows=rows, written=written, bytes_done=bytes_done,
                                   bytes_total=bytes_total, limit=limit))

    def _records(self, label: str) -> Iterator[tuple[int, Path, int, dict]]:
        done = rows = 0
        for index, source in enumerate(self.sources):
            for path in shard_paths(source.path, self.config.kinds):
                for number, raw, data in _read_lines(path):
                    done += len(raw)
                    rows += 1
                    if rows % _PROGRESS_EVERY == 0:
                        self._tick(label, rows, 0, done)
                    yield index, path, number, data

    # pass 1 ---------------------------------------------------------------
    def count(self) -> None:
        for index, _, _, data in self._records("mix: count"):
            cls = "synthetic" if _is_synthetic(self.sources[index], data) else "real"
            self.pools[(index, cls)].available += 1

    # planning -------------------------------------------------------------
    def plan(self) -> None:
        weights = {key: float(self.sources[key[0]].weight) for key in self.pools}
        available = {cls: sum(pool.available for key, pool in self.pools.items()
                              if pool.cls == cls and weights[key] > 0) for cls in CLASSES}
        budgets = class_budgets(available, self.config.real_fraction, self.config.target_total)
        self.total = budgets["real"] + budgets["synthetic"]
        if self.total == 0:
            raise DatasetError(
                f"Nothing to mix: {available['real']} real and {available['synthetic']} synthetic records "
                f"are available for a real share of {self.config.real_fraction:.0%}. Add sources of the "
                "missing kind, flag sources as real or synthetic, or change the ratio.")
        for cls in CLASSES:
            keys = [key for key in self.pools if key[1] == cls]
            capacities = [self.pools[key].available for key in keys]
            quotas = allocate(budgets[cls], capacities, [weights[key] for key in keys])
            for key, quota in zip(keys, quotas):
                self.pools[key].quota = quota
        self._plan_splits()
        for (index, cls), pool in self.pools.items():
            generator = np.random.default_rng([self.config.seed, index, CLASSES.index(cls)])
            pool.mask = np.zeros(pool.available, dtype=bool)
            if pool.quota:
                pool.mask[generator.choice(pool.available, size=pool.quota, replace=False)] = True
            labels = np.repeat(np.arange(3, dtype=np.uint8), pool.split_counts)
            generator.shuffle(labels)
            pool.labels = labels

    def _plan_splits(self) -> None:
        keys = list(self.pools)
        quotas = [self.pools[k].quota for k in keys]
        val_total = int(round(self.total * self.config.split[1]))
        test_total = int(round(self.total * self.config.split[2]))
        # Stratified: every pool gives val/test their share, so each split keeps the real/synthetic mix.
        vals = allocate(val_total, quotas, [float(q) for q in quotas])
        tests = allocate(test_total, [q - v for q, v in zip(quotas, vals)], [float(q) for q in quotas])
        for key, quota, val, test in zip(keys, quotas, vals, tests):
            self.pools[key].split_counts = (quota - val - test, val, test)
        self.split_totals = tuple(sum(self.pools[k].split_counts[s] for k in keys) for s in range(3))

    # pass 2 ---------------------------------------------------------------
    def distribute(self, work: Path) -> None:
        buckets = [max(1, math.ceil(n / self.config.bucket_size)) for n in self.split_totals]
        placer = np.random.default_rng([self.config.seed, 1_000_003])
        handles: dict[tuple[int, int], Any] = {}
        try:
            for index, path, number, data in self._records("mix: select"):
                cls = "synthetic" if _is_synthetic(self.sources[index], data) else "real"
                pool = self.pools[(index, cls)]
                position = pool.seen
                pool.seen += 1
                if not pool.mask[position]:
                    continue
                split = int(pool.labels[pool.picked])
                pool.picked += 1
                record = self._parse(data, path, number)
                record = self._move_media(record, index, self.root / SPLITS[split])
                bucket = int(placer.integers(buckets[split]))
                key = (split, bucket)
                if key not in handles:
                    handles[key] = open(work / f"{SPLITS[split]}-{bucket:05d}.jsonl", "w", encoding="utf-8")
                handles[key].write(record.to_json_line() + "\n")
        finally:
            for handle in handles.values():
                handle.close()

    def _parse(self, data: dict, path: Path, number: int) -> Record:
        try:
            return record_from_dict(data)
        except ValidationError as exc:
            raise DatasetError(f"{path} line {number} does not fit the schema; validate the dataset first: "
                               f"{exc.errors()[0]['msg']}") from exc

    def _move_media(self, record: Record, index: int, split_root: Path) -> Record:
        if not isinstance(record, Sample) or not record.is_multimodal():
            return record
        source_root = Path(self.sources[index].path)
        moved: dict[str, list[MediaRef]] = {"image": [], "audio": [], "video": []}
        for kind, ref in record.modalities.all():
            relative = ref.path.replace("\\", "/")
            inner = relative[len(MEDIA_DIR) + 1:] if relative.startswith(f"{MEDIA_DIR}/") else relative
            new_path = f"{MEDIA_DIR}/{self.names[index]}/{inner}"
            origin = source_root / relative
            if not origin.is_file():
                raise DatasetError(f"{origin} is missing (sample {record.id}); validate the dataset first")
            _link_or_copy(origin, split_root / new_path)
            moved[kind].append(ref.model_copy(update={"path": new_path}))
        return record.model_copy(update={"modalities": Modalities(**moved)})

    # pass 3 ---------------------------------------------------------------
    def write(self, work: Path, report: dict[str, Any]) -> dict[str, DatasetCard]:
        cards: dict[str, DatasetCard] = {}
        written = 0
        for split in SPLITS:
            recipe = {"mix": report, "split": split}
            with DatasetWriter(self.root / split, f"{self.root.name}-{split}", recipe=recipe,
                               shard_size=self.config.shard_size) as writer:
                for bucket in sorted(work.glob(f"{split}-*.jsonl")):
                    lines = bucket.read_text(encoding="utf-8").splitlines()
                    random.Random(f"{self.config.seed}:{split}:{bucket.name}").shuffle(lines)
                    for line in lines:
                        writer.write(record_from_dict(json.loads(line)))
                        written += 1
                        if written % _PROGRESS_EVERY == 0:
                            self._tick("mix: write", written, written)
            cards[split] = writer.card
        if self.progress is not None:
            self.progress(Progress(label="mix: write", rows=written, written=written, limit=self.total))
        return cards

    def report(self) -> dict[str, Any]:
        sources = []
        for index, source in enumerate(self.sources):
            pools = {cls: self.pools[(index, cls)] for cls in CLASSES}
            sources.append({
                "name": self.names[index], "path": str(source.path), "weight": source.weight,
                "synthetic": "auto" if source.synthetic is None else source.synthetic,
                "available": {cls: pools[cls].available for cls in CLASSES},
                "selected": {cls: pools[cls].quota for cls in CLASSES},
            })
        classes = {cls: {"available": sum(p.available for p in self.pools.values() if p.cls == cls),
                         "selected": sum(p.quota for p in self.pools.values() if p.cls == cls)}
                   for cls in CLASSES}
        return {
            "seed": self.config.seed,
            "real_fraction": self.config.real_fraction,
            "achieved_real_fraction": round(classes["real"]["selected"] / self.total, 6),
            "target_total": self.config.target_total,
            "total": self.total,
            "split_fractions": dict(zip(SPLITS, self.config.split)),
            "splits": dict(zip(SPLITS, self.split_totals)),
            "classes": classes,
            "sources": sources,
            "synthetic_rule": f"flagged by the caller, else record source starts with {SYNTHETIC_PREFIX!r}",
        }


def mix_datasets(sources: list[MixSource], root: Path, config: MixConfig | None = None, *,
                 overwrite: bool = False, progress: ProgressCallback | None = None,
                 cancel: CancelCheck | None = None) -> MixResult:
    """Mix ``sources`` into ``root/train``, ``root/val`` and ``root/test`` (see the module docstring).

    ``progress`` gets ``Progress`` reports labelled ``mix: count``, ``mix: select``
    (bytes of the inputs) and ``mix: write`` (records of the total). When
    ``cancel()`` turns true the run stops, no split gets a card and the result
    has ``cancelled`` set. Raises ``DatasetError`` for unreadable inputs, an
    output that already holds datasets (unless ``overwrite``) or an empty mix,
    and ``ValueError`` for impossible settings.
    """
    config = config or MixConfig()
    config.check()
    if not sources:
        raise ValueError("give at least one source folder")
    if any(source.weight < 0 for source in sources):
        raise ValueError("source weights must not be negative (0 leaves a source out)")
    root = Path(root)
    for source in sources:
        if not shard_paths(source.path, config.kinds):
            raise DatasetError(f"{source.path} holds no dataset shards of kinds {list(config.kinds)}")
    outputs = [root / split for split in SPLITS]
    busy = [path for path in outputs if path.is_dir() and any(path.iterdir())]
    if busy and not overwrite:
        raise DatasetError(f"{busy[0]} is not empty; choose another folder or allow overwrite")
    mixer = _Mixer(list(sources), root, config, progress, cancel)
    work = root / _WORK_DIR
    result = MixResult(root=root)
    started = False
    try:
        mixer.count()
        mixer.plan()
        result.report = mixer.report()
        started = True
        for path in [*outputs, work]:
            shutil.rmtree(path, ignore_errors=True)
        (root / MIX_REPORT_NAME).unlink(missing_ok=True)
        work.mkdir(parents=True)
        mixer.distribute(work)
        result.cards = mixer.write(work, result.report)
        write_text_atomic(root / MIX_REPORT_NAME, json.dumps(result.report, indent=2, sort_keys=True) + "\n")
    except BaseException as exc:
        # All or nothing: half a mix (train with a card, val without) must not look usable.
        # Before ``started`` nothing was touched, so an earlier mix being overwritten survives.
        if started:
            for path in outputs:
                shutil.rmtree(path, ignore_errors=True)
        if not isinstance(exc, _Cancelled):
            raise
        result.cancelled = True
        result.cards = {}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result
