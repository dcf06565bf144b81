"""The microphone side of Live: echo handling, then voice activity, on the mic's thread.

Each 10 ms microphone block is cleaned of the assistant's own voice (WebRTC
echo cancellation with the player's output as far-end reference, or a
half-duplex gate), kept in a ring of cleaned audio (push-to-talk cuts its
utterance from there), and fed to the speech segmenter. Speech events go to
``on_event``; the session handles them on its own thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

from engine.media.aec import EchoCanceller, HalfDuplexGate
from engine.media.audio_ring import AudioRing
from engine.media.vad import SpeechEvent, SpeechSegmenter

EchoMode = Literal["aec", "half_duplex", "off"]


class ReferenceReader:
    """Reads the speaker's output in step with the microphone, block by block.

    Both clocks run at 16 kHz but are not locked: a reader that falls more
    than ``max_lag`` samples behind the writer jumps forward, and one that gets
    ahead reads silence, so the canceller always sees a continuous stream.
    """

    def __init__(self, ring: AudioRing, block: int, max_lag_blocks: int = 8) -> None:
        self.ring = ring
        self.block = block
        self.max_lag = block * max_lag_blocks
        self._next = ring.total_written
        self._silence = np.zeros(block, np.float32)

    def next_block(self) -> np.ndarray:
        """The reference block that pairs with the next microphone block."""
        written = self.ring.total_written
        if written - self._next > self.max_lag:
            self._next = written - self.block
        if self._next + self.block > written:
            return self._silence
        start = self._next
        self._next += self.block
        return self.ring.read_range(start, start + self.block)


class Listener:
    """Turns microphone blocks into speech events, without hearing the assistant's own voice."""

    def __init__(
        self,
        segmenter: SpeechSegmenter,
        on_event: Callable[[SpeechEvent], None],
        *,
        echo: EchoMode = "aec",
        reference: AudioRing | None = None,
        block: int = 160,
        cleaned_seconds: float = 60.0,
    ) -> None:
        self.segmenter = segmenter
        self.on_event = on_event
        self.echo = echo
        self.block = block
        self.cleaned = AudioRing(cleaned_seconds, segmenter.sample_rate)
        self.gate = HalfDuplexGate()
        self._canceller = EchoCanceller(segmenter.sample_rate) if echo == "aec" and reference is not None else None
        self._reference = ReferenceReader(reference, block) if self._canceller is not None else None
        self._out = np.zeros(block, np.float32)
        self.enabled = True

    def on_block(self, samples: np.ndarray, first_sample: int) -> None:
        """Handle one microphone block (connected to ``Microphone.block_ready``)."""
        if samples.shape[0] != self.block:
            return
        if self._canceller is not None and self._reference is not None:
            cleaned = self._canceller.process_frame(samples, self._reference.next_block(), self._out)
        elif self.echo == "half_duplex":
            cleaned = self.gate.apply(samples, self._out)
        else:
            cleaned = samples
        self.cleaned.write(cleaned)
        if not self.enabled:
            return
        for event in self.segmenter.feed(cleaned):
            self.on_event(event)

    def reset(self) -> None:
        """Forget a half-detected utterance (e.g. when push-to-talk takes over)."""
        self.segmenter.reset()
