"""Which splits a dataset folder has, and what that means for a fine-tune job's evaluation.

A fine-tune job evaluates every ``eval_every`` steps on the datasets'
validation split (``val`` by default, made by the mixer). Without one, no eval
loss is ever computed; ``eval_note`` says so in words, so the setting never
does nothing silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def has_split(root: str | Path, split: str) -> bool:
    """Whether the dataset folder ``root`` has the split ``split`` (a sub-folder with ``dataset.json``)."""
    return (Path(root).expanduser() / split / "dataset.json").is_file()


def eval_note(datasets: Sequence[str | Path], eval_split: str | None, eval_every: int) -> str:
    """Why "Eval every" would evaluate nothing for these datasets, or an empty string when it works."""
    if not datasets:
        return ""
    if not eval_split:
        return (f"No eval loss will be computed: the job has no validation split, so “Eval every {eval_every}” "
                "does nothing. Set eval_split in the job's YAML to evaluate.")
    if any(has_split(root, eval_split) for root in datasets):
        return ""
    return (f"No eval loss will be computed: none of the datasets has a “{eval_split}” split, so “Eval every "
            f"{eval_every}” does nothing. Make one with Expert → Datasets → Mix (give validation a share) and "
            "train on its output, or train without evaluation.")
