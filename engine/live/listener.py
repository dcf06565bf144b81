"""The microphone side of Live: echo handling, then voice activity, on the mic's thread.

Each 10 ms microphone block is cleaned of the assistant's own voice (WebRTC
echo cancellation with the player's output as far-end reference, or a
half-duplex gate), kept in a ring of cleaned audio (push-to-talk cuts its
utterance from there), and fed to the speech segmenter. Speech events go to
``on_event``; the session handles them on its own thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

import numpy as np

from engine.media.aec import EchoCanceller, HalfDuplexGate
from engine.media.audio_ring import AudioRing
from engine.media.vad import SpeechEvent, SpeechSegmenter

EchoMode = Literal["aec", "half_duplex", "off"]


class ReferenceReader:
    """Pairs each microphone block with the speaker output written at the same moment.

    Both streams count samples at 16 kHz, so a fixed offset between the
    microphone's sample index and the reference ring's write clock, taken at
    the first block, keeps them in step; the echo canceller then sees a
    constant delay (the acoustic path), which it estimates and follows. The
    reference is written by the player's worker thread, a few milliseconds
    behind its audio callback, so a block not yet written is waited for
    briefly (this runs on the microphone's consumer thread, never in a
    PortAudio callback). When the streams drift apart or the player's stream
    restarts, the offset is taken again and ``resyncs`` counts it.
    """

    def __init__(self, ring: AudioRing, block: int, wait_s: float = 0.03, margin_blocks: int = 6) -> None:
        self.ring = ring
        self.block = block
        self.wait_s = wait_s
        # Read this far behind the writer so bursty writes rarely leave a block missing.
        self.margin = margin_blocks * block
        self.resyncs = 0
        self._offset: int | None = None

    def block_for(self, mic_sample: int) -> np.ndarray:
        """The reference block that pairs with the microphone block starting at ``mic_sample``."""
        if self._offset is None:
            self._offset = self.ring.total_written - mic_sample - self.block - self.margin
        start = mic_sample + self._offset
        deadline = time.monotonic() + self.wait_s
        while start + self.block > self.ring.total_written and time.monotonic() < deadline:
            time.sleep(0.001)
        written = self.ring.total_written
        if start + self.block > written or start < written - self.ring.capacity + self.block:
            self.resyncs += 1
            self._offset = written - mic_sample - self.block - self.margin
            start = mic_sample + self._offset
        return self.ring.read_range(start, start + self.block)


class ResidualEchoGate:
    """Silences what is left of the assistant's voice after echo cancellation.

    The canceller removes most of the echo, but while it adapts (the first
    second of speech, a change of the acoustic path) a residue remains that a
    voice detector can take for speech. While the speaker is active, a block
    passes only if the cleaned signal is within ``margin_db`` of the speaker's
    own level: a person talking over the assistant is about as loud as its
    echo, far above the residue, so barge-in still works. Levels are smoothed
    over about 100 ms so a soft syllable is not cut.
    """

    def __init__(self, margin_db: float = 25.0, active_dbfs: float = -50.0, smoothing: float = 0.1) -> None:
        self.ratio = 10 ** (-margin_db / 10)
        self.active = 10 ** (active_dbfs / 10)
        self.smoothing = smoothing
        self.far_power = 0.0
        self.clean_power = 0.0
        self.gated_blocks = 0

    def apply(self, cleaned: np.ndarray, far: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``cleaned``, or silence when it is only residual echo; written into ``out``."""
        a = self.smoothing
        self.far_power = (1 - a) * self.far_power + a * float(np.dot(far, far)) / far.size
        self.clean_power = (1 - a) * self.clean_power + a * float(np.dot(cleaned, cleaned)) / cleaned.size
        if self.far_power > self.active and self.clean_power < self.far_power * self.ratio:
            self.gated_blocks += 1
            out.fill(0.0)
            return out
        if out is not cleaned:
            out[:] = cleaned
        return out


class Listener:
    """Turns microphone blocks into speech events, without hearing the assistant's own voice."""

    def __init__(
        self,
        segmenter: SpeechSegmenter,
        on_event: Callable[[SpeechEvent], None],
        *,
        echo: EchoMode = "aec",
        reference: AudioRing | Callable[[], AudioRing] | None = None,
        block: int = 160,
        cleaned_seconds: float = 60.0,
    ) -> None:
        self.segmenter = segmenter
        self.on_event = on_event
        self.echo = echo
        self.block = block
        self.cleaned = AudioRing(cleaned_seconds, segmenter.sample_rate)
        self.gate = HalfDuplexGate()
        self.residual = ResidualEchoGate()
        self._canceller = EchoCanceller(segmenter.sample_rate) if echo == "aec" and reference is not None else None
        # A callable is asked at the first block: the player knows its ring only once its device is open.
        self._reference_source = reference
        self._reference: ReferenceReader | None = None
        self._out = np.zeros(block, np.float32)
        self.enabled = True

    def on_block(self, samples: np.ndarray, first_sample: int) -> None:
        """Handle one microphone block (connected to ``Microphone.block_ready``)."""
        if samples.shape[0] != self.block:
            return
        if self._canceller is not None and self._reference is None and self._reference_source is not None:
            source = self._reference_source
            self._reference = ReferenceReader(source() if callable(source) else source, self.block)
        if self._canceller is not None and self._reference is not None:
            far = self._reference.block_for(first_sample)
            cleaned = self._canceller.process_frame(samples, far, self._out)
            cleaned = self.residual.apply(cleaned, far, self._out)
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
