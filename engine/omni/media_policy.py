"""What a turn holds: one rule for media, applied once, and stored as sent.

Every backend runs a turn's new user content through ``MediaPolicy.prepare``
before building the prompt: frames are held to the pixel budget, audio is
trimmed, and a frame that looks like the last frame the model can still see
in the prompt is not sent again. ``prepare`` rewrites the turn's
``UserContent`` *in place*, so the caller's history message (which holds the
same object) keeps exactly what the model saw, and the next turn's prompt
repeats it token for token.

A captured screen under the frame policy (``engine.media.frame_policy``) is
replaced by the images it stands for, a small overview and a focus at native
resolution, which are kept exactly as made; an overview is compared with the
last overview the prompt shows and a focus with the last focus, so a follow-up
over an unchanged screen sends neither.

Which history turns keep their media is decided by ``media_start``: the last
``window`` user turns always keep theirs, and old media are dropped in blocks
of ``block`` turns, so the prompt prefix (and the key/value cache built for
it) stays the same between block boundaries instead of changing every turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.media.frame_policy import FOCUS, OVERVIEW, image_kind, image_parts
from engine.media.frames import DEFAULT_MAX_PIXELS, downscale_to_budget, frames_differ
from engine.omni.turn import AUDIO_RATE, Message, Turn, UserContent, VideoClip


def media_start(history: Sequence[Message], window: int, block: int = 1) -> int:
    """Index of the first history message whose media stay in the prompt (``len(history)``: none).

    The last ``window`` user turns of ``history`` keep their media; older ones lose
    them ``block`` turns at a time (``block=1`` drops one turn's media every turn).
    """
    user_turns = [i for i, m in enumerate(history) if m.role == "user"]
    if window <= 0 or not user_turns:
        return len(history)
    surplus = len(user_turns) - window
    if surplus <= 0:
        return user_turns[0]
    first = (surplus // max(1, block)) * max(1, block)
    return user_turns[first]


@dataclass(frozen=True)
class MediaPolicy:
    """Sizes media to the model's budget and decides which of them the prompt carries."""

    max_pixels: int = DEFAULT_MAX_PIXELS
    max_audio_s: float = 30.0
    window: int = 3
    """User turns of history whose media stay in the prompt."""
    block: int = 3
    """Old media leave the prompt this many turns at a time (keeps the cached prefix stable)."""

    def fit(self, content: UserContent) -> UserContent:
        """``content`` with frames at the pixel budget and audio trimmed; idempotent."""
        video = content.video
        if video is not None and video.frames:
            frames = [downscale_to_budget(np.asarray(f), self.max_pixels // 4) for f in video.frames]
            if len(frames) % 2:
                frames.append(frames[-1])  # the vision tower groups frames in pairs
            video = VideoClip(frames, video.fps)
        audio = content.audio
        if audio is not None:
            audio = np.asarray(audio, dtype=np.float32)[-int(self.max_audio_s * AUDIO_RATE) :]
        images: list[np.ndarray] = []
        for image in content.images:
            parts = image_parts(image)
            if parts:
                images += parts  # a screen under the frame policy: its overview and focus
            elif image_kind(image) in (OVERVIEW, FOCUS):
                images.append(image)  # made to measure by the frame policy (a focus may exceed max_pixels)
            else:
                images.append(downscale_to_budget(np.asarray(image), self.max_pixels))
        return UserContent(text=content.text, images=images, video=video, audio=audio)

    def start(self, history: Sequence[Message]) -> int:
        """``media_start`` with this policy's window and block."""
        return media_start(history, self.window, self.block)

    def visible_images(self, history: Sequence[Message]) -> list[np.ndarray]:
        """The images that the prompt for a turn after ``history`` still shows, oldest first."""
        return [
            image
            for message in history[self.start(history) :]
            if message.role == "user" and message.content is not None
            for image in message.content.images
        ]

    def last_visible_image(self, history: Sequence[Message]) -> np.ndarray | None:
        """The newest image that the prompt for a turn after ``history`` still shows."""
        visible = self.visible_images(history)
        return np.asarray(visible[-1]) if visible else None

    @staticmethod
    def _counterpart(image: np.ndarray, shown: Sequence[np.ndarray]) -> np.ndarray | None:
        """What ``image`` would repeat: the last overview for an overview, the last focus for a
        focus, the last image of any kind for any other picture."""
        kind = image_kind(image)
        if kind in (OVERVIEW, FOCUS):
            return next((i for i in reversed(shown) if image_kind(i) == kind), None)
        return shown[-1] if shown else None

    def planned(self, turn: Turn) -> tuple[list[np.ndarray], int]:
        """The images ``prepare`` would send for ``turn`` and how many it would drop; changes nothing."""
        fitted = self.fit(turn.user)
        shown = self.visible_images(turn.history)
        kept: list[np.ndarray] = []
        for image in fitted.images:
            previous = self._counterpart(image, shown)
            if previous is not None and previous.shape == image.shape and not frames_differ(image, previous):
                continue
            kept.append(image)
            shown.append(image)
        return kept, len(fitted.images) - len(kept)

    def prepare(self, turn: Turn) -> int:
        """Fit ``turn.user`` in place and drop frames the model already sees; returns how many were dropped.

        A frame is dropped only when the prompt still shows an equal-looking one, so
        the first turn of a conversation (empty history) always carries the screen.
        """
        fitted = self.fit(turn.user)
        kept, dropped = self.planned(Turn(fitted, history=turn.history))
        user = turn.user
        user.images, user.video, user.audio = kept, fitted.video, fitted.audio
        return dropped
