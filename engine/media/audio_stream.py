"""Opening PortAudio streams with clear errors, and reopening them when a device comes back.

``Microphone`` and ``Player`` each own a worker thread that calls
``StreamKeeper.poll`` a few hundred times a second; the keeper notices a
stream that died (device unplugged, sound server restarted) and tries to
open a new one every ``retry_s`` seconds until it succeeds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import Enum
from typing import Literal, TypeAlias

import numpy as np
import sounddevice as sd

from engine.errors import AudioDeviceError

Direction: TypeAlias = Literal["input", "output"]
DeviceSpec: TypeAlias = str | int | None
AudioStream: TypeAlias = "sd.InputStream | sd.OutputStream"


class StreamEvent(Enum):
    """What ``StreamKeeper.poll`` observed."""

    LOST = "lost"
    RESTORED = "restored"


def device_names(direction: Direction) -> list[str]:
    """Names of the devices that can record (``input``) or play (``output``); empty when unknown."""
    channels = "max_input_channels" if direction == "input" else "max_output_channels"
    try:
        return [str(d["name"]) for d in sd.query_devices() if int(d[channels]) > 0]
    except Exception:  # PortAudio raises plain Exceptions when no host API answers
        return []


def device_error(direction: Direction, device: DeviceSpec, cause: BaseException | str) -> AudioDeviceError:
    """An ``AudioDeviceError`` that names the device, the reason and the devices that do exist."""
    role = "microphone" if direction == "input" else "speaker"
    which = f"The default {role}" if device is None else f"The {role} {device!r}"
    names = device_names(direction)
    if names:
        hint = f"Choose another {role} in Settings → Audio; available: {', '.join(names)}."
    else:
        hint = f"No {role} was found: connect one and check that PulseAudio or PipeWire is running."
    reason = str(cause).rstrip(".") or type(cause).__name__
    return AudioDeviceError(f"{which} cannot be used: {reason}.", hint)


def pick_rate(direction: Direction, device: DeviceSpec, preferred: int) -> int:
    """``preferred`` when the device accepts it for mono float32, else the device's default rate.

    Raises ``AudioDeviceError`` when the device does not exist.
    """
    check = sd.check_input_settings if direction == "input" else sd.check_output_settings
    try:
        check(device=device, samplerate=preferred, channels=1, dtype="float32")
        return preferred
    except (sd.PortAudioError, ValueError) as first:
        try:
            info = sd.query_devices(device, kind=direction)
        except (sd.PortAudioError, ValueError) as exc:
            raise device_error(direction, device, exc) from exc
        if not isinstance(info, dict):
            raise device_error(direction, device, first) from first
        return int(info["default_samplerate"])


class StreamClock:
    """Maps sample numbers of a stream to PortAudio's stream clock (``Stream.time``, seconds).

    The audio callback calls ``mark`` with the number of its block's first
    sample and the block's ADC or DAC time. The last ``history`` marks are
    kept, so a sample is timed from its own block even when the device
    inserted gaps since (a sample older than the history is extrapolated
    from the oldest mark).
    """

    def __init__(self, history: int = 2048) -> None:
        self._samples = np.zeros(history, dtype=np.float64)
        self._times = np.zeros(history, dtype=np.float64)
        self._count = 0

    def mark(self, sample: int, stream_time: float) -> None:
        """Record that ``sample`` is played or captured at ``stream_time`` (callback-safe: no allocation)."""
        slot = self._count % self._samples.size
        self._samples[slot] = sample
        self._times[slot] = stream_time
        self._count += 1

    def time_of(self, sample: float, rate: int) -> float | None:
        """Stream time of ``sample`` at ``rate`` Hz; ``None`` before the first mark or without timestamps."""
        size = self._samples.size
        count = self._count
        if count == 0:
            return None
        order = np.arange(max(0, count - size), count) % size
        samples = self._samples[order]
        times = self._times[order]
        # The slot the callback writes next held the oldest mark: drop marks it may have overwritten.
        overwritten = max(0, self._count - size + 1 - max(0, count - size))
        samples, times = samples[overwritten:], times[overwritten:]
        if samples.size == 0:
            return None
        block = max(0, int(np.searchsorted(samples, sample, side="right")) - 1)
        if times[block] == 0.0:
            return None
        return float(times[block] + (sample - samples[block]) / rate)


class StreamKeeper:
    """Owns one started stream made by ``open_stream`` and replaces it after it dies.

    ``open_stream`` must return a started stream or raise ``AudioDeviceError``.
    Hold ``lock`` while stopping or restarting the stream on purpose, so that
    ``poll`` does not mistake it for a lost device.
    """

    def __init__(
        self,
        open_stream: Callable[[], AudioStream],
        direction: Direction,
        device: DeviceSpec,
        retry_s: float = 1.0,
    ) -> None:
        self._open_stream = open_stream
        self._direction: Direction = direction
        self._device = device
        self.retry_s = retry_s
        self.lock = threading.RLock()
        self._stream: AudioStream | None = None
        self._next_attempt = 0.0
        self.last_error: AudioDeviceError | None = None

    @property
    def stream(self) -> AudioStream | None:
        """The current stream, or ``None`` while the device is missing."""
        return self._stream

    def open(self) -> None:
        """Open the first stream; raises ``AudioDeviceError`` when that fails."""
        with self.lock:
            self._stream = self._open_stream()
            self.last_error = None

    def poll(self) -> StreamEvent | None:
        """Check the stream; reopen it when due. Returns what changed, if anything."""
        with self.lock:
            if self._stream is not None:
                if self._stream.active:
                    return None
                self._stream.close(ignore_errors=True)
                self._stream = None
                self.last_error = device_error(
                    self._direction, self._device, "it stopped (unplugged, or the sound server restarted)"
                )
                self._next_attempt = time.monotonic() + self.retry_s
                return StreamEvent.LOST
            if time.monotonic() < self._next_attempt:
                return None
            try:
                self._stream = self._open_stream()
            except AudioDeviceError as exc:
                self.last_error = exc
                self._next_attempt = time.monotonic() + self.retry_s
                return None
            self.last_error = None
            return StreamEvent.RESTORED

    def close(self) -> None:
        """Stop and close the stream for good (until ``open`` again)."""
        with self.lock:
            if self._stream is not None:
                self._stream.close(ignore_errors=True)
                self._stream = None
