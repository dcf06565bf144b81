"""Synthetic preference pairs (DPO): chosen and rejected answers that differ in one point.

Twenty categories in four families (code quality, instruction following,
reasoning quality, safety and factuality). Censored mode uses all twenty;
uncensored mode drops the five safety/factuality ones. The templates live in
``preference_templates`` (one module per family): parameterised by entities,
languages, tables, topics and numbers, with every figure computed. Generation
is deterministic: each category draws from its own ``random.Random`` seeded
from the run seed and the category name, so adding a category changes nothing
in the others.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import get_args

from training.datasets.preference_templates import TEMPLATES
from training.datasets.progress import CancelCheck, Progress, ProgressCallback
from training.datasets.schema import PreferencePair, TrainingMode
from training.datasets.store import DEFAULT_SHARD_SIZE, DatasetCard, DatasetWriter

SOURCE = "nexus-preference"

CATEGORY_GROUPS: dict[str, tuple[str, ...]] = {
    "code_quality": (
        "code_correctness", "code_efficiency", "code_style", "code_security", "code_documentation",
    ),
    "instruction_following": (
        "task_completion", "format_compliance", "constraint_satisfaction", "specificity", "conciseness",
    ),
    "reasoning_quality": (
        "logical_coherence", "step_validity", "conclusion_soundness", "evidence_quality", "counter_argument",
    ),
    "safety_factuality": (
        "safety_harmful", "factual_accuracy", "bias_fairness", "privacy_respect", "over_refusal",
    ),
}
CENSORED_ONLY = CATEGORY_GROUPS["safety_factuality"]
CENSORED_CATEGORIES = tuple(name for names in CATEGORY_GROUPS.values() for name in names)
UNCENSORED_CATEGORIES = tuple(name for name in CENSORED_CATEGORIES if name not in CENSORED_ONLY)
# Consecutive repeats after which a category's templates count as exhausted (with ``unique``).
MAX_REPEATS = 2_000


def pair_categories(mode: TrainingMode = "censored") -> list[str]:
    """The preference categories of a training mode, in family order (20 censored, 15 uncensored)."""
    if mode not in get_args(TrainingMode):
        raise ValueError(f"unknown training mode {mode!r}; use 'censored' or 'uncensored'")
    return list(CENSORED_CATEGORIES if mode == "censored" else UNCENSORED_CATEGORIES)


def _resolve_categories(categories: Iterable[str] | None, mode: TrainingMode) -> list[str]:
    allowed = pair_categories(mode)
    if categories is None:
        return allowed
    chosen = list(dict.fromkeys(categories))
    for name in chosen:
        if name not in CENSORED_CATEGORIES:
            raise ValueError(f"unknown preference category {name!r}")
        if name not in allowed:
            raise ValueError(f"category {name!r} is only generated in censored mode")
    return chosen


def category_rng(category: str, seed: int) -> random.Random:
    """The random source of one category: independent of the others, so adding one changes nothing else."""
    return random.Random(f"{SOURCE}:{seed}:{category}")


def _pair_key(prompt: str, chosen: str, rejected: str) -> bytes:
    return hashlib.blake2b("\x00".join((prompt, chosen, rejected)).encode("utf-8"), digest_size=16).digest()


def generate_pairs(categories: Iterable[str] | None = None, per_category: int = 100, seed: int = 0,
                   mode: TrainingMode = "censored", *, unique: bool = True) -> Iterator[PreferencePair]:
    """Yield up to ``per_category`` pairs for each category (default: every category of ``mode``), in order.

    With ``unique`` (the default) a pair already yielded in its category is drawn
    again, and a category whose templates run out (``MAX_REPEATS`` repeats in a
    row) yields fewer pairs; without it exactly ``per_category`` pairs come,
    repeats included. The same arguments always yield the same pairs. Ids are
    ``pair_<category>_<n:06d>`` counting from 1. Raises ``ValueError`` for an
    unknown category or a censored-only one in uncensored mode.
    """
    if per_category < 0:
        raise ValueError("per_category must not be negative")
    for category in _resolve_categories(categories, mode):
        rng = category_rng(category, seed)
        templates = TEMPLATES[category]
        seen: set[bytes] = set()
        number = repeats = 0
        while number < per_category and repeats < MAX_REPEATS:
            prompt, chosen, rejected = rng.choice(templates)(rng)
            if unique:
                key = _pair_key(prompt, chosen, rejected)
                if key in seen:
                    repeats += 1
                    continue
                seen.add(key)
                repeats = 0
            number += 1
            yield PreferencePair(id=f"pair_{category}_{number:06d}", prompt=prompt, chosen=chosen,
                                 rejected=rejected, category=category, training_mode=mode, source=SOURCE)


def generate_pairs_to_folder(root: Path, categories: Iterable[str] | None = None, per_category: int = 100,
                             seed: int = 0, mode: TrainingMode = "censored", *, unique: bool = True,
                             name: str | None = None, overwrite: bool = False,
                             shard_size: int = DEFAULT_SHARD_SIZE, progress: ProgressCallback | None = None,
                             cancel: CancelCheck | None = None) -> DatasetCard | None:
    """Write generated pairs (see ``generate_pairs``) into a dataset folder and return its card.

    ``progress`` gets a ``Progress`` (label ``preference``, limit = pairs asked
    for) every 100 pairs and at the end. When ``cancel()`` turns true the
    unfinished shard is dropped, no card is written (the folder never looks
    finished) and None is returned.
    """
    chosen = _resolve_categories(categories, mode)
    total = len(chosen) * per_category
    recipe = {"generator": SOURCE, "mode": mode, "categories": chosen, "per_category": per_category,
              "seed": seed, "unique": unique}
    writer = DatasetWriter(Path(root), name, recipe=recipe, shard_size=shard_size, overwrite=overwrite)
    done = 0
    try:
        for pair in generate_pairs(chosen, per_category, seed, mode, unique=unique):
            if cancel is not None and cancel():
                writer.abort()
                return None
            writer.write(pair)
            done += 1
            if progress is not None and done % 100 == 0:
                progress(Progress(label="preference", rows=done, written=done, limit=total))
    except BaseException:
        writer.abort()
        raise
    if progress is not None:
        progress(Progress(label="preference", rows=done, written=done, limit=total))
    return writer.close()
