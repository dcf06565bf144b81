"""Streaming sample-rate conversion for live audio (microphone input, playback reference).

Blocks of any size go in and whatever output is ready comes out; feeding a
signal in pieces gives the same result as feeding it at once. Downsampling
first low-passes with a windowed-sinc FIR (pass band up to 45 % of the output
rate), then interpolates linearly; the filter's delay is compensated, so
output sample ``k`` is the input at time ``k / rate_out`` and sample clocks of
both sides stay aligned. Runs in worker threads, never in audio callbacks.
"""

from __future__ import annotations

import math

import numpy as np

_PASS_FRACTION = 0.45
_TRANSITION_FRACTION = 0.1
# Blackman window: transition width ≈ 5.5 / taps cycles per sample.
_BLACKMAN_WIDTH = 5.5


def lowpass_taps(rate_in: int, rate_out: int) -> np.ndarray:
    """FIR taps that keep what ``rate_out`` can represent and cut the rest (unit DC gain)."""
    cutoff = _PASS_FRACTION * rate_out / rate_in
    transition = _TRANSITION_FRACTION * rate_out / rate_in
    count = math.ceil(_BLACKMAN_WIDTH / transition) | 1
    n = np.arange(count) - (count - 1) / 2
    taps = 2 * cutoff * np.sinc(2 * cutoff * n) * np.blackman(count)
    return (taps / taps.sum()).astype(np.float32)


class StreamResampler:
    """Converts a mono float32 stream from ``rate_in`` to ``rate_out`` Hz, block by block."""

    def __init__(self, rate_in: int, rate_out: int) -> None:
        if rate_in <= 0 or rate_out <= 0:
            raise ValueError(f"sample rates must be positive, got {rate_in} → {rate_out} Hz")
        self.rate_in = rate_in
        self.rate_out = rate_out
        self._step = rate_in / rate_out
        self._taps = lowpass_taps(rate_in, rate_out) if rate_in > rate_out else np.ones(1, np.float32)
        self._delay = (len(self._taps) - 1) / 2
        self._history = np.zeros(len(self._taps) - 1, np.float32)
        self._filtered = np.zeros(0, np.float32)
        self._filtered_start = 0
        self._produced = 0

    @property
    def passthrough(self) -> bool:
        """Whether both rates are equal (blocks are copied unchanged)."""
        return self.rate_in == self.rate_out

    @property
    def lookahead(self) -> int:
        """Input samples beyond time ``t`` needed before the output at ``t`` is complete."""
        return math.ceil(self._delay) + 2

    @property
    def produced(self) -> int:
        """Output samples returned so far."""
        return self._produced

    def process(self, block: np.ndarray) -> np.ndarray:
        """Feed ``block`` (1-D) and return the output samples that are now complete."""
        samples = np.asarray(block, dtype=np.float32).reshape(-1)
        if self.passthrough:
            self._produced += samples.size
            return samples.copy()
        if samples.size == 0:
            return np.zeros(0, np.float32)
        padded = np.concatenate([self._history, samples])
        if len(self._history):
            self._history = padded[-len(self._history) :].copy()
        filtered = np.convolve(padded, self._taps, mode="valid").astype(np.float32)
        self._filtered = np.concatenate([self._filtered, filtered])
        end = self._filtered_start + self._filtered.size
        # Output k reads filtered samples floor(k*step + delay) and the one after it.
        ready = max(self._produced, math.ceil((end - 1 - self._delay) / self._step))
        positions = np.arange(self._produced, ready, dtype=np.float64) * self._step + self._delay
        local = positions - self._filtered_start
        index = np.floor(local).astype(np.int64)
        fraction = (local - index).astype(np.float32)
        out = self._filtered[index] * (1 - fraction) + self._filtered[index + 1] * fraction
        self._produced = ready
        next_needed = math.floor(self._produced * self._step + self._delay)
        keep_from = min(next_needed - self._filtered_start, self._filtered.size)
        if keep_from > 0:
            self._filtered = self._filtered[keep_from:].copy()
            self._filtered_start += keep_from
        return out.astype(np.float32)
