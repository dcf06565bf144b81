"""A preallocated ring of mono float32 audio with a sample clock, written from audio callbacks.

One writer (an audio callback) and any number of readers share the ring
without a lock. Samples are addressed by their absolute index since the ring
was created (``total_written`` is the clock). The writer announces the range
it is about to overwrite (``_reserved``), copies, then publishes the new end
(``_written``); a reader copies and then checks ``_reserved`` again, so a
copy that raced with the writer is detected instead of returned torn.
"""

from __future__ import annotations

import math

import numpy as np


class RingOverrun(LookupError):
    """The requested samples were already overwritten by newer audio."""


class AudioRing:
    """The last ``seconds`` of mono float32 audio at ``sample_rate``, indexed by absolute sample number."""

    def __init__(self, seconds: float, sample_rate: int = 16_000) -> None:
        if seconds <= 0 or sample_rate <= 0:
            raise ValueError(f"seconds and sample_rate must be positive, got {seconds} s at {sample_rate} Hz")
        self.sample_rate = sample_rate
        self.capacity = max(1, math.ceil(seconds * sample_rate))
        self._buffer = np.zeros(self.capacity, dtype=np.float32)
        self._reserved = 0
        self._written = 0

    @property
    def total_written(self) -> int:
        """Samples written since creation: the index the next sample will get."""
        return self._written

    @property
    def oldest(self) -> int:
        """Index of the oldest sample still held."""
        return max(0, self._written - self.capacity)

    def write(self, block: np.ndarray) -> None:
        """Append a 1-D float32 block (single writer; safe in an audio callback: no allocation, no lock).

        A block longer than the ring keeps only its newest ``capacity`` samples,
        but the clock still advances by the whole block.
        """
        count = block.shape[0]
        end = self._written + count
        if count > self.capacity:
            block = block[count - self.capacity :]
            count = self.capacity
        self._reserved = end
        start = (end - count) % self.capacity
        first = min(count, self.capacity - start)
        self._buffer[start : start + first] = block[:first]
        if first < count:
            self._buffer[: count - first] = block[first:]
        self._written = end

    def read_range(self, start_sample: int, end_sample: int) -> np.ndarray:
        """A copy of samples ``[start_sample, end_sample)``.

        Raises ``ValueError`` when the range is reversed or reaches past
        ``total_written``, and ``RingOverrun`` when part of it was overwritten
        (before or during the copy).
        """
        written = self._written
        if start_sample < 0 or end_sample < start_sample:
            raise ValueError(f"invalid range [{start_sample}, {end_sample})")
        if end_sample > written:
            raise ValueError(f"samples up to {end_sample} requested, only {written} written")
        if start_sample < written - self.capacity:
            raise RingOverrun(
                f"sample {start_sample} was overwritten; the oldest held is {written - self.capacity}"
            )
        out = self._copy(start_sample, end_sample)
        if start_sample < self._reserved - self.capacity:
            raise RingOverrun(f"samples from {start_sample} were overwritten while being read")
        return out

    def read_since(self, start_sample: int) -> tuple[int, np.ndarray]:
        """``(first, samples)``: everything from ``start_sample`` to now, clipped to what is still held.

        ``first`` is ``start_sample`` unless those samples were overwritten, in
        which case it is the oldest sample that survived the copy.
        """
        if start_sample < 0:
            raise ValueError(f"start_sample must not be negative, got {start_sample}")
        return self._read_clipped(start_sample, self._written)

    def catch_up(self, start_sample: int) -> tuple[np.ndarray, int]:
        """``(samples, lost)``: every sample from ``start_sample`` to now, for a reader that must not skip.

        Samples that were overwritten before they could be read come back as
        zeros (``lost`` of them, at the start), so the reader's clock stays
        continuous: the next call starts at ``start_sample + len(samples)``.
        """
        first, samples = self.read_since(start_sample)
        lost = first - start_sample
        if lost:
            samples = np.concatenate([np.zeros(lost, np.float32), samples])
        return samples, lost

    def read_last(self, seconds: float) -> np.ndarray:
        """The newest ``seconds`` of audio (fewer samples when less is held)."""
        wanted = max(0, round(seconds * self.sample_rate))
        written = self._written
        return self._read_clipped(max(0, written - wanted), written)[1]

    def _read_clipped(self, start_sample: int, end_sample: int) -> tuple[int, np.ndarray]:
        first = min(max(start_sample, end_sample - self.capacity), end_sample)
        out = self._copy(first, end_sample)
        valid_from = self._reserved - self.capacity
        if first < valid_from:
            cut = min(valid_from, end_sample) - first
            return first + cut, out[cut:]
        return first, out

    def _copy(self, start_sample: int, end_sample: int) -> np.ndarray:
        count = end_sample - start_sample
        out = np.empty(count, dtype=np.float32)
        if count == 0:
            return out
        start = start_sample % self.capacity
        first = min(count, self.capacity - start)
        out[:first] = self._buffer[start : start + first]
        if first < count:
            out[first:] = self._buffer[: count - first]
        return out
