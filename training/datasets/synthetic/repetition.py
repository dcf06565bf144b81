"""The four repetition styles of the prompt-repetition technique (arXiv 2512.14982) and their mix.

The same query is sent once (``baseline``), twice (``2x``), twice with a
spoken marker (``verbose``: "... Let me repeat that: ...") or three times with
markers (``3x``); the answer never changes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping

from training.datasets.schema import RepetitionStyle

STYLES: tuple[RepetitionStyle, ...] = ("baseline", "2x", "verbose", "3x")
DEFAULT_STYLE_MIX: dict[RepetitionStyle, float] = {style: 0.25 for style in STYLES}
# Proportions are exact over every block of this many samples of a category.
SCHEDULE_BLOCK = 100


def repeat_query(query: str, style: RepetitionStyle) -> str:
    """The user message for ``query`` in ``style``."""
    # Multi-line queries (code, specs) read better with the copies in separate paragraphs.
    sep = "\n\n" if "\n" in query else " "
    if style == "baseline":
        return query
    if style == "2x":
        return f"{query}{sep}{query}"
    if style == "verbose":
        return f"{query}{sep}Let me repeat that: {query}"
    if style == "3x":
        return f"{query}{sep}Let me repeat that: {query}{sep}Let me repeat that one more time: {query}"
    raise ValueError(f"unknown repetition style {style!r}; expected one of {', '.join(STYLES)}")


def normalise_mix(mix: Mapping[str, float] | None) -> dict[RepetitionStyle, float]:
    """The mix as shares summing to 1, in ``STYLES`` order (ValueError on unknown styles or no weight)."""
    if mix is None:
        return dict(DEFAULT_STYLE_MIX)
    unknown = sorted(set(mix) - set(STYLES))
    if unknown:
        raise ValueError(f"unknown repetition styles {unknown}; expected {list(STYLES)}")
    if any(weight < 0 for weight in mix.values()):
        raise ValueError("repetition style weights must not be negative")
    total = sum(mix.values())
    if total <= 0:
        raise ValueError("at least one repetition style needs a positive weight")
    return {style: mix.get(style, 0.0) / total for style in STYLES}


def block_counts(
    mix: Mapping[RepetitionStyle, float], block: int = SCHEDULE_BLOCK
) -> dict[RepetitionStyle, int]:
    """How many of each style one block holds (largest-remainder rounding of the shares)."""
    exact = {style: mix[style] * block for style in STYLES}
    counts = {style: int(exact[style]) for style in STYLES}
    by_remainder = sorted(STYLES, key=lambda style: (-(exact[style] - counts[style]), STYLES.index(style)))
    for style in by_remainder[: block - sum(counts.values())]:
        counts[style] += 1
    return counts


def style_schedule(rng: random.Random, mix: Mapping[str, float] | None = None) -> Iterator[RepetitionStyle]:
    """An endless, seeded stream of styles whose shares match ``mix`` exactly over every block."""
    counts = block_counts(normalise_mix(mix))
    block = [style for style in STYLES for _ in range(counts[style])]
    while True:
        rng.shuffle(block)
        yield from block
