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


@dataclass(frozen=True)
class StateChange:
    """A transition, with why it happened (for the GUI and the log)."""

    old: LiveState
    new: LiveState
    reason: str
    at: float
