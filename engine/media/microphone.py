"""The microphone: a PortAudio input stream feeding fixed 10 ms blocks of 16 kHz mono audio.

The audio callback only copies the device's samples into a preallocated raw
ring. A consumer thread resamples them to ``sample_rate`` when the device
runs at another rate, appends them to ``ring`` (whose ``total_written`` is the
microphone's sample clock), cuts fixed blocks for subscribers and keeps a
level for a meter. When the device disappears the consumer reports an
``AudioDeviceError`` and reopens it every ``retry_s`` seconds.

The sample clock counts captured samples: while the device is missing the
clock stands still, it is not padded to wall-clock time.
"""

from __future__ import annotations

import logging
import math
import threading
from typing import Any

import numpy as np
import sounddevice as sd
from psygnal import Signal

from engine.errors import AudioDeviceError
from engine.media.audio_ring import AudioRing
from engine.media.audio_stream import (
    DeviceSpec,
    StreamClock,
    StreamEvent,
    StreamKeeper,
    device_error,
    pick_rate,
)
from engine.media.resample import StreamResampler

log = logging.getLogger(__name__)

_RAW_RING_SECONDS = 2.0
_POLL_S = 0.005
_LEVEL_WINDOW_S = 0.05


class Microphone:
    """Records mono float32 audio from ``device`` and delivers ``block_ms`` blocks at ``sample_rate``.

    ``device`` is a PortAudio index, a (part of a) device name, or ``None``
    for the system default. ``device_rate`` forces the rate the device is
    opened at; by default ``sample_rate`` is tried first and the device's own
    rate is used when it refuses.
    """

    block_ready = Signal(object, int)
    """``(samples, first_sample_index)``: float32 blocks of ``block_size`` samples, in order, none skipped."""
    level_changed = Signal(float)
    """RMS (0–1) of the last 50 ms, for a level meter."""
    state_changed = Signal(str)
    """``"starting"`` (opened, no audio yet), ``"running"``, ``"error"`` (device lost), ``"stopped"``."""
    error_occurred = Signal(object)
    """An ``AudioDeviceError`` when the device disappears."""

    def __init__(
        self,
        device: DeviceSpec = None,
        sample_rate: int = 16_000,
        block_ms: int = 10,
        ring: AudioRing | None = None,
        *,
        device_rate: int | None = None,
        latency: str | float = "low",
        retry_s: float = 1.0,
    ) -> None:
        if ring is not None and ring.sample_rate != sample_rate:
            raise ValueError(f"the ring runs at {ring.sample_rate} Hz, the microphone at {sample_rate} Hz")
        self.device = device
        self.sample_rate = sample_rate
        self.block_size = sample_rate * block_ms // 1000
        self.ring = ring if ring is not None else AudioRing(30.0, sample_rate)
        self._forced_rate = device_rate
        self._latency = latency
        self._keeper = StreamKeeper(self._open_stream, "input", device, retry_s)
        self._device_rate = 0
        self._raw = AudioRing(_RAW_RING_SECONDS, sample_rate)
        self._resampler = StreamResampler(sample_rate, sample_rate)
        self._clock = StreamClock()
        # Index in ``ring`` of the raw ring's sample 0 (they differ after a reopen at another rate).
        self._ring_origin = 0
        self._raw_read = 0
        self._delivered = 0
        self._overflows = 0
        self._dropped = 0
        self._level = 0.0
        self._level_sum = 0.0
        self._level_count = 0
        self._level_blocks = max(1, round(_LEVEL_WINDOW_S * 1000 / block_ms))
        self._state = "stopped"
        self._running = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> str:
        """The last state announced on ``state_changed``."""
        return self._state

    @property
    def device_rate(self) -> int:
        """The rate the device is open at (0 before ``start``)."""
        return self._device_rate

    @property
    def level(self) -> float:
        """RMS (0–1) of the newest block."""
        return self._level

    @property
    def next_sample(self) -> int:
        """Index of the first sample of the next block to be delivered."""
        return self._delivered

    @property
    def overflows(self) -> int:
        """Callbacks in which PortAudio reported lost input (the machine was too busy)."""
        return self._overflows

    @property
    def dropped_samples(self) -> int:
        """Device samples the consumer thread was too late to read (replaced by silence)."""
        return self._dropped

    @property
    def last_error(self) -> AudioDeviceError | None:
        """Why the device is unavailable, while it is."""
        return self._keeper.last_error

    def start(self) -> None:
        """Open the device and start delivering blocks; raises ``AudioDeviceError`` when it cannot open."""
        if self._thread is not None:
            return
        self._keeper.open()
        self._stop.clear()
        self._set_state("starting")
        self._thread = threading.Thread(target=self._consume, name="nexus-microphone", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop recording and close the device (``start`` opens it again)."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        if thread is not threading.current_thread():
            thread.join()
        self._keeper.close()
        self._running.clear()
        self._set_state("stopped")

    def sample_time(self, index: int) -> float | None:
        """When sample ``index`` of ``ring`` was captured, on PortAudio's stream clock (``None`` if unknown).

        Output streams report on the same clock (``Player.reference_time``),
        so the two can be aligned, e.g. for echo cancellation.
        """
        if not self._device_rate:
            return None
        raw_index = (index - self._ring_origin) * self._device_rate / self.sample_rate
        return self._clock.time_of(raw_index, self._device_rate)

    def wait_until_running(self, timeout: float) -> bool:
        """Block until the first audio arrived (sound servers take up to a few seconds to start)."""
        return self._running.wait(timeout)

    def __enter__(self) -> Microphone:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _open_stream(self) -> sd.InputStream:
        rate = self._forced_rate or pick_rate("input", self.device, self.sample_rate)
        if rate != self._device_rate:
            self._device_rate = rate
            self._raw = AudioRing(_RAW_RING_SECONDS, rate)
            self._raw_read = 0
            self._resampler = StreamResampler(rate, self.sample_rate)
            self._clock = StreamClock()
            self._ring_origin = self.ring.total_written
        try:
            stream = sd.InputStream(
                device=self.device,
                samplerate=rate,
                channels=1,
                dtype="float32",
                blocksize=max(1, rate * self.block_size // self.sample_rate),
                latency=self._latency,
                callback=self._callback,
            )
            stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            raise device_error("input", self.device, exc) from exc
        return stream

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: sd.CallbackFlags) -> None:
        if status.input_overflow:
            self._overflows += 1
        self._clock.mark(self._raw.total_written, time_info.inputBufferAdcTime)
        self._raw.write(indata[:, 0])

    def _consume(self) -> None:
        while not self._stop.is_set():
            try:
                self._step()
            except Exception:
                # A subscriber raised: keep recording for the others (the failed block is not resent).
                log.exception("a microphone subscriber failed")
            self._stop.wait(_POLL_S)

    def _step(self) -> None:
        event = self._keeper.poll()
        if event is StreamEvent.LOST:
            self._running.clear()
            self._set_state("error")
            self.error_occurred.emit(self._keeper.last_error)
        elif event is StreamEvent.RESTORED:
            self._set_state("starting")
        self._pump()

    def _pump(self) -> None:
        raw, lost = self._raw.catch_up(self._raw_read)
        self._dropped += lost
        self._raw_read += raw.size
        if raw.size:
            self.ring.write(self._resampler.process(raw))
            if self._state == "starting":
                self._running.set()
                self._set_state("running")
        while self.ring.total_written - self._delivered >= self.block_size:
            block = self.ring.read_range(self._delivered, self._delivered + self.block_size)
            self._deliver(block)

    def _deliver(self, block: np.ndarray) -> None:
        power = float(np.dot(block, block)) / block.size
        self._level = math.sqrt(power)
        self._level_sum += power
        self._level_count += 1
        index = self._delivered
        self._delivered += block.size
        self.block_ready.emit(block, index)
        if self._level_count == self._level_blocks:
            self.level_changed.emit(math.sqrt(self._level_sum / self._level_count))
            self._level_sum = 0.0
            self._level_count = 0

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(state)
