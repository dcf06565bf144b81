"""Streams synthetic repetition samples, and writes them to a dataset folder.

Every category draws from its own ``random.Random`` seeded from the run's
seed and the category's name (a string seed, so the stream does not depend on
hash randomisation), and a second one for the repetition styles; a run is
therefore reproducible sample for sample, and adding a category or changing
the style mix leaves the other problems unchanged. Categories are interleaved
round-robin, so a cancelled run still covers every category evenly.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from training.datasets.schema import Message, Sample
from training.datasets.store import DEFAULT_SHARD_SIZE, DatasetCard, DatasetWriter
from training.datasets.synthetic.problem import Category, Problem
from training.datasets.synthetic.registry import get_category, list_categories
from training.datasets.synthetic.repetition import normalise_mix, repeat_query, style_schedule

SOURCE = "nexus-synthetic"
GENERATOR_NAME = "synthetic_repetition"
PROGRESS_EVERY = 1000
CANCEL_EVERY = 100

ProgressReport = Callable[[int, int], None]
CancelCheck = Callable[[], bool]


class GenerationCancelled(Exception):
    """The run was cancelled; the folder holds finished shards at most, and no card."""


def _rng(seed: int, category: str, stream: str) -> random.Random:
    return random.Random(f"nexus-synthetic:{seed}:{category}:{stream}")


def _categories(names: Sequence[str] | None) -> list[Category]:
    if names is None:
        return [get_category(info.name) for info in list_categories()]
    if not names:
        raise ValueError("choose at least one category")
    if len(set(names)) != len(names):
        raise ValueError("a category is listed twice")
    return [get_category(name) for name in names]


def problems(category: str, count: int, seed: int = 0) -> Iterator[Problem]:
    """The first ``count`` problems of ``category`` for ``seed``, the ones ``generate`` turns into samples."""
    build = get_category(category).build
    rng = _rng(seed, category, "problems")
    for _ in range(count):
        yield build(rng)


def generate(
    categories: Sequence[str] | None = None,
    per_category: int = 100,
    seed: int = 0,
    styles: Mapping[str, float] | None = None,
) -> Iterator[Sample]:
    """Yield ``per_category`` samples of each category (all when None), round-robin, deterministic in seed.

    ``styles`` weighs the repetition styles (default 25 % each); shares are
    exact over every 100 samples of a category.
    """
    if per_category < 0:
        raise ValueError("per_category must not be negative")
    chosen = _categories(categories)
    mix = normalise_mix(styles)
    streams = [
        (
            c.info,
            c.build,
            _rng(seed, c.info.name, "problems"),
            style_schedule(_rng(seed, c.info.name, "styles"), mix),
        )
        for c in chosen
    ]
    for index in range(1, per_category + 1):
        for info, build, rng, schedule in streams:
            problem = build(rng)
            style = next(schedule)
            yield Sample(
                id=f"syn_{info.name}_{index:06d}",
                messages=[
                    Message(role="user", content=repeat_query(problem.query, style)),
                    Message(role="assistant", content=problem.answer),
                ],
                domain=info.domain,
                category=info.name,
                source=SOURCE,
                repetition_style=style,
            )


def generate_to_folder(
    root: Path,
    categories: Sequence[str] | None = None,
    per_category: int = 100,
    seed: int = 0,
    styles: Mapping[str, float] | None = None,
    *,
    name: str | None = None,
    overwrite: bool = False,
    shard_size: int = DEFAULT_SHARD_SIZE,
    progress: ProgressReport | None = None,
    cancel: CancelCheck | None = None,
) -> DatasetCard:
    """Stream ``generate(...)`` into a dataset folder and return its card.

    ``progress(done, total)`` is called every 1,000 samples and at the end;
    ``cancel()`` is polled every 100 samples, and a True answer stops the run
    with ``GenerationCancelled`` (unfinished shards removed, no card written).
    """
    chosen = [c.info.name for c in _categories(categories)]
    total = len(chosen) * per_category
    recipe = {
        "generator": GENERATOR_NAME,
        "categories": chosen,
        "per_category": per_category,
        "seed": seed,
        "styles": normalise_mix(styles),
    }
    with DatasetWriter(Path(root), name, recipe=recipe, shard_size=shard_size, overwrite=overwrite) as writer:
        done = 0
        for sample in generate(chosen, per_category, seed, styles):
            if cancel is not None and done % CANCEL_EVERY == 0 and cancel():
                raise GenerationCancelled(f"cancelled after {done:,} of {total:,} samples")
            writer.write(sample)
            done += 1
            if progress is not None and done % PROGRESS_EVERY == 0 and done != total:
                progress(done, total)
    if progress is not None:
        progress(done, total)
    return writer.card
