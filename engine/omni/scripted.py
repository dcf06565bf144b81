"""An engine that streams prepared answers word by word, honouring cancel.

Used to measure the Live and Podcast pipelines without the model's speed in
the figures (bench/), and to drive them with known English text in tests
where the tiny random model's output would not be speakable. It records every
``Turn`` it receives, so callers can check what the model would have seen.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator, Sequence

from engine.omni.turn import CancelToken, Turn, TurnStats


class ScriptedEngine:
    """Answers each turn with the next of ``answers`` (cycling), one word per ``token_s`` seconds."""

    def __init__(self, answers: Sequence[str], token_s: float = 0.0, first_token_s: float = 0.0) -> None:
        if not answers:
            raise ValueError("a scripted engine needs at least one answer")
        self._answers = itertools.cycle(answers)
        self.token_s = token_s
        self.first_token_s = first_token_s
        self.turns: list[Turn] = []
        self.tokens_after_cancel = 0
        self.last_stats = TurnStats()

    def stream(self, turn: Turn, cancel: CancelToken | None = None) -> Iterator[str]:
        """Yield the next answer word by word; stops at once when cancelled."""
        cancel = cancel or CancelToken()
        self.turns.append(turn)
        stats = TurnStats()
        self.last_stats = stats
        started = time.perf_counter()
        words = next(self._answers).split(" ")
        if self.first_token_s:
            time.sleep(self.first_token_s)
        for index, word in enumerate(words):
            if cancel.cancelled:
                stats.cancelled = True
                break
            if index and self.token_s:
                time.sleep(self.token_s)
            if cancel.cancelled:
                stats.cancelled = True
                break
            stats.generated_tokens += 1
            if stats.time_to_first_token_s is None:
                stats.time_to_first_token_s = time.perf_counter() - started
            yield word if index == 0 else " " + word
        stats.total_s = time.perf_counter() - started

    def reset(self) -> None:
        """Nothing to forget: each answer is independent of the last."""

    def describe(self) -> dict[str, str]:
        """A short description for logs."""
        return {"model": "scripted", "backend": "scripted"}
