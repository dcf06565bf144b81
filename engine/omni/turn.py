"""What the engine is asked: a ``Turn`` of system prompt, history and new user content.

Media are plain numpy arrays so capture code can hand frames over without
conversion: images are HxWx3 uint8 RGB, audio is 16 kHz mono float32.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

AUDIO_RATE = 16_000

Role = Literal["user", "assistant"]


@dataclass
class VideoClip:
    """A short clip: frames in time order and their rate."""

    frames: list[np.ndarray]
    fps: float


@dataclass
class UserContent:
    """What the user adds in one turn: any mix of text, images, a clip and audio."""

    text: str = ""
    images: list[np.ndarray] = field(default_factory=list)
    video: VideoClip | None = None
    audio: np.ndarray | None = None

    def has_media(self) -> bool:
        """Whether anything but text is present."""
        return bool(self.images) or self.video is not None or self.audio is not None


@dataclass
class Message:
    """One past message. ``text`` of an assistant message is what was actually heard."""

    role: Role
    text: str
    content: UserContent | None = None
    interrupted: bool = False


@dataclass
class Turn:
    """A request: the system prompt, the running history and the new user content."""

    user: UserContent
    history: list[Message] = field(default_factory=list)
    system_prompt: str = (
        "You are Nexus, a helpful assistant that sees the user's screen and hears their voice. "
        "Answer briefly and conversationally; your words are spoken aloud."
    )
    max_new_tokens: int | None = None
    """A longer (or shorter) answer budget than the engine's default, e.g. for a podcast script."""


class CancelToken:
    """Set from any thread to stop a running turn; checked after every token."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the turn to stop."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """Whether ``cancel`` was called."""
        return self._event.is_set()


class AnyCancel(CancelToken):
    """Cancelled as soon as any of ``tokens`` (or this token itself) is."""

    def __init__(self, *tokens: CancelToken) -> None:
        super().__init__()
        self._tokens = tokens

    @property
    def cancelled(self) -> bool:
        """Whether this token or any of the combined ones was cancelled."""
        return self._event.is_set() or any(token.cancelled for token in self._tokens)


@dataclass
class TurnStats:
    """Figures of one turn, filled in while it runs."""

    prompt_tokens: int = 0
    prefill_tokens: int = 0
    reused_prefix_tokens: int = 0
    tokens_by_modality: dict[str, int] = field(default_factory=dict)
    skipped_duplicate_frames: int = 0
    generated_tokens: int = 0
    time_to_first_token_s: float | None = None
    total_s: float = 0.0
    cancelled: bool = False

    @property
    def tokens_per_s(self) -> float:
        """Decode speed after the first token."""
        if self.time_to_first_token_s is None or self.generated_tokens < 2:
            return 0.0
        decode = self.total_s - self.time_to_first_token_s
        return (self.generated_tokens - 1) / decode if decode > 0 else 0.0
