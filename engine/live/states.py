"""States of the Live conversation and the events that announce them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class LiveState(str, Enum):
    """Where the conversation is; every change is announced."""

    IDLE = "idle"
    LISTENING = "listening"
    USER_SPEAKING = "user_speaking"
    THINKING = "thinking"
    SPEAKING = "speaking"
    INTERRUPTED = "interrupted"


_L = LiveState
TRANSITIONS: dict[LiveState, frozenset[LiveState]] = {
    _L.IDLE: frozenset({_L.LISTENING}),
    _L.LISTENING: frozenset({_L.USER_SPEAKING, _L.THINKING, _L.IDLE}),
    # The user's turn ends (thinking), turns out too short (listening), or the session stops.
    _L.USER_SPEAKING: frozenset({_L.THINKING, _L.LISTENING, _L.IDLE}),
    # First audio plays, speech pauses it, the user goes on or types over it, or it ends silently.
    _L.THINKING: frozenset({_L.SPEAKING, _L.INTERRUPTED, _L.USER_SPEAKING, _L.LISTENING, _L.IDLE}),
    _L.SPEAKING: frozenset({_L.LISTENING, _L.INTERRUPTED, _L.USER_SPEAKING, _L.IDLE}),
    # Confirmed (the user speaks), dismissed (back to where it was), or the session stops.
    _L.INTERRUPTED: frozenset({_L.USER_SPEAKING, _L.THINKING, _L.SPEAKING, _L.IDLE}),
}
"""Every move the conversation may make; anything else is a bug and is refused."""


class ImpossibleTransition(RuntimeError):
    """The session tried a move its transition table does not allow."""


def check_transition(old: LiveState, new: LiveState) -> None:
    """Raise ``ImpossibleTransition`` unless ``old → new`` is in ``TRANSITIONS``."""
    if new not in TRANSITIONS[old]:
        raise ImpossibleTransition(f"the Live conversation cannot go from {old.value} to {new.value}")


@dataclass(frozen=True)
class StateChange:
    """A transition, with why it happened (for the GUI and the log)."""

    old: LiveState
    new: LiveState
    reason: str
    at: float
