"""The interface every answering backend implements (in-process or remote)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from engine.omni.turn import CancelToken, Turn, TurnStats


@runtime_checkable
class Engine(Protocol):
    """Answers turns by streaming text deltas."""

    last_stats: TurnStats

    def stream(self, turn: Turn, cancel: CancelToken | None = None) -> Iterator[str]:
        """Yield text deltas of the answer; stop within one token once ``cancel`` is set."""
        ...

    def reset(self) -> None:
        """Forget per-conversation state (cached prefixes): the next turn starts a new conversation."""
        ...

    def describe(self) -> dict[str, str]:
        """Model, dtype, device and memory, for ``nexus-cli engine info`` and the status bar."""
        ...
