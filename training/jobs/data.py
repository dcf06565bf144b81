"""The job's data: dataset folders read into train/eval records, checked before the job starts.

A dataset argument is a workbench folder (``dataset.json`` + shards) or a
mixer output with ``train/``, ``val/``, ``test/`` sub-folders; the split
names pick those. The data hash (of the cards' content hashes) goes into the
job card so a result can be traced to its data.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from training.datasets.schema import PreferencePair, Sample
from training.datasets.store import DatasetError, iter_pairs, iter_samples, read_card
from training.jobs.spec import JobSpec, SpecError


@dataclass
class JobData:
    """Records for training and evaluation, each with the folder its media are relative to."""

    train: list[tuple[Path, Sample | PreferencePair]]
    eval: list[tuple[Path, Sample | PreferencePair]]
    data_hash: str


def _split_folder(root: Path, split: str | None) -> Path | None:
    if split is None:
        return None
    if (root / split / "dataset.json").is_file():
        return root / split
    return root if split == "train" and (root / "dataset.json").is_file() else None


def _records(folder: Path, method: str) -> list[tuple[Path, Sample | PreferencePair]]:
    try:
        records = list(iter_pairs(folder)) if method == "dpo" else list(iter_samples(folder))
    except (DatasetError, ValidationError, ValueError) as exc:
        raise SpecError(f"The dataset {folder} cannot be read: {exc}",
                        "Run it through the validator (Expert → Datasets → Validate) and train on its output.") from exc
    return [(folder, record) for record in records]


def load_job_data(spec: JobSpec) -> JobData:
    """Read the spec's datasets; SpecError when one is missing, unreadable or empty for this method."""
    train: list[tuple[Path, Sample | PreferencePair]] = []
    evaluation: list[tuple[Path, Sample | PreferencePair]] = []
    digest = hashlib.sha256()
    for name in spec.datasets:
        root = Path(name).expanduser()
        folder = _split_folder(root, spec.train_split)
        if folder is None:
            raise SpecError(f"{root} is not a dataset folder (no dataset.json, no '{spec.train_split}' split).",
                            "Choose a folder made by the dataset workbench.")
        try:
            digest.update(read_card(folder).content_sha256.encode())
        except DatasetError as exc:
            raise SpecError(str(exc)) from exc
        train += _records(folder, spec.method)
        eval_folder = _split_folder(root, spec.eval_split)
        if eval_folder is not None and eval_folder != folder:
            evaluation += _records(eval_folder, spec.method)
    if spec.max_samples is not None:
        train = train[: spec.max_samples]
    if not train:
        kind = "preference pairs" if spec.method == "dpo" else "SFT samples"
        raise SpecError(f"The datasets hold no {kind} for {spec.method}.",
                        "DPO needs a folder of preference pairs; LoRA SFT needs samples with messages.")
    return JobData(train, evaluation, digest.hexdigest()[:16])
