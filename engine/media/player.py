"""Speech playback: a PortAudio output stream fed from a preallocated ring of queued chunks.

Producers (the TTS worker) copy each chunk into the ring on ``enqueue``; the
audio callback only copies from the ring to the device and into a raw
reference ring. A worker thread resamples that reference to 16 kHz for the
echo canceller, announces ``playing``/``idle`` and keeps the per-tag
accounting of how many samples of each chunk reached the device.

``stop`` drops everything queued *and* what the device still buffers (the
stream is aborted and restarted), so at most the block being rendered at
that instant reaches the speaker. ``pause`` lets the device play out its
buffer (``latency_samples``) and ``resume`` continues with the next sample.
All counts are in samples at ``sample_rate``, the rate of the audio passed
to ``enqueue``.

A stream can be called back far faster than real time, every call flagged
as an output underflow: while the sound server starts a stream (observed with
PulseAudio's ALSA plugin after every start and restart, for up to 0.4 s) and
when the machine is too busy; the audio of those calls is discarded. So a
flagged callback gets silence and the queue waits until ``_HOLDOFF_BLOCKS``
clean callbacks in a row have passed: a glitch costs a short gap, never lost
speech.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Hashable
from dataclasses import dataclass
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

_POLL_S = 0.005
_REFERENCE_RAW_SECONDS = 2.0
_REMEMBERED_TAGS = 1000
# Clean callbacks in a row before audio flows again after an underflow (see the module docstring).
_HOLDOFF_BLOCKS = 3


@dataclass
class _Segment:
    """Samples ``[start, end)`` of the ring's write clock belong to ``tag``."""

    tag: Hashable
    start: int
    end: int


class Player:
    """Plays queued mono float32 chunks on ``device`` and reports what was played.

    ``latency`` is the PortAudio output buffer (seconds, or ``"low"``/``"high"``).
    The 60 ms default is a trade: with PortAudio's low setting (about 20 ms
    on PulseAudio) streams reported tens to hundreds of underflows per answer
    under the Live session's load, with 60 ms almost none. A longer buffer
    does not slow ``stop`` (it drops the buffer), but ``pause`` lets the
    device play it out first. ``reference`` receives
    everything handed to the device at its own rate (16 kHz by default).
    """

    state_changed = Signal(str)
    """``"playing"``, ``"paused"``, ``"idle"`` (queue empty, device played it out) or ``"error"``."""
    error_occurred = Signal(object)
    """An ``AudioDeviceError`` when the device disappears (it is reopened every ``retry_s``)."""

    def __init__(
        self,
        device: DeviceSpec = None,
        sample_rate: int = 22_050,
        block_ms: int = 10,
        *,
        buffer_s: float = 60.0,
        reference: AudioRing | None = None,
        latency: str | float = 0.06,
        retry_s: float = 1.0,
    ) -> None:
        self.device = device
        self.sample_rate = sample_rate
        self.block_ms = block_ms
        self._buffer_s = buffer_s
        self._latency = latency
        self.reference = reference if reference is not None else AudioRing(30.0, 16_000)
        self._keeper = StreamKeeper(self._open_stream, "output", device, retry_s)
        self._device_rate = sample_rate
        self._allocate(sample_rate)
        self._position = 0
        self._paused = False
        self._generation = 0
        self._underflows = 0
        self._clean_blocks = 0
        self._producer_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._tag_lock = threading.Lock()
        self._segments: deque[_Segment] = deque()
        self._played: OrderedDict[Hashable, int] = OrderedDict()
        self._last_audio_at = -math.inf
        self._idle = threading.Event()
        self._idle.set()
        self._state = "idle"
        self._stop_worker = threading.Event()
        self._thread: threading.Thread | None = None

    def _allocate(self, device_rate: int) -> None:
        self._capacity = max(1, math.ceil(self._buffer_s * device_rate))
        self._buffer = np.zeros(self._capacity, dtype=np.float32)
        self._w = 0
        self._r = 0
        self._reference_raw = AudioRing(_REFERENCE_RAW_SECONDS, device_rate)
        self._reference_read = 0
        self._reference_resampler = StreamResampler(device_rate, self.reference.sample_rate)
        self._clock = StreamClock()
        # Index in ``reference`` of the raw reference's sample 0.
        self._reference_origin = self.reference.total_written

    @property
    def state(self) -> str:
        """The last state announced on ``state_changed``."""
        return self._state

    @property
    def device_rate(self) -> int:
        """The rate the device runs at (``sample_rate`` unless the device refused it)."""
        return self._device_rate

    @property
    def callback_reference(self) -> AudioRing:
        """The far-end reference with the steadiest timing for an echo canceller.

        When the device runs at the reference rate (16 kHz), this is the ring
        the audio callback itself writes, so its clock never lags the device;
        otherwise it is ``reference``, written by the worker after resampling.
        """
        if self._device_rate == self.reference.sample_rate:
            return self._reference_raw
        return self.reference

    @property
    def paused(self) -> bool:
        """Whether ``pause`` holds playback."""
        return self._paused

    @property
    def position(self) -> int:
        """Samples handed to the device since ``start``: what the user heard, ``latency_samples`` ago."""
        return self._to_caller(self._position)

    @property
    def queued_samples(self) -> int:
        """Samples enqueued and not yet handed to the device."""
        return self._to_caller(self._w - self._r)

    @property
    def latency_samples(self) -> int:
        """How long a sample handed to the device takes to be heard, as PortAudio reports it."""
        stream = self._keeper.stream
        return round(stream.latency * self.sample_rate) if stream is not None else 0

    @property
    def underflows(self) -> int:
        """Callbacks PortAudio flagged as output underflow (many while a stream starts up)."""
        return self._underflows

    @property
    def last_error(self) -> AudioDeviceError | None:
        """Why the device is unavailable, while it is."""
        return self._keeper.last_error

    def start(self) -> None:
        """Open the device (silence until something is enqueued); raises ``AudioDeviceError``."""
        if self._thread is not None:
            return
        self._keeper.open()
        self._stop_worker.clear()
        self._thread = threading.Thread(target=self._work, name="nexus-player", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Drop the queue and close the device (``start`` opens it again)."""
        self.stop()
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop_worker.set()
            if thread is not threading.current_thread():
                thread.join()
        self._keeper.close()

    def __enter__(self) -> Player:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def enqueue(self, samples: np.ndarray, tag: Hashable = None) -> None:
        """Queue mono ``samples`` at ``sample_rate`` for playback, labelled ``tag`` (e.g. a sentence id).

        Blocks while the ring is full; returns early, discarding the rest,
        when ``stop`` is called meanwhile.
        """
        chunk = np.asarray(samples, dtype=np.float32)
        if chunk.ndim == 2 and chunk.shape[1] == 1:
            chunk = chunk[:, 0]
        if chunk.ndim != 1:
            raise ValueError(f"expected mono samples, got an array of shape {chunk.shape}")
        chunk = self._to_device_rate(chunk)
        with self._producer_lock:
            generation = self._generation
            segment: _Segment | None = None
            offset = 0
            while offset < chunk.size:
                if self._generation != generation:
                    return
                free = self._capacity - (self._w - self._r)
                if free == 0:
                    time.sleep(self.block_ms / 2000)
                    continue
                count = min(free, chunk.size - offset)
                self._copy_in(chunk[offset : offset + count])
                with self._state_lock:
                    if self._generation != generation:
                        return
                    self._w += count
                    self._idle.clear()
                    with self._tag_lock:
                        if segment is None:
                            segment = _Segment(tag, self._w - count, self._w)
                            self._segments.append(segment)
                        else:
                            segment.end = self._w
                offset += count

    def stop(self) -> None:
        """Drop everything queued and cut what the device still buffers; the stream stays open."""
        with self._keeper.lock, self._state_lock:
            self._generation += 1
            self._paused = False
            stream = self._keeper.stream
            running = stream if stream is not None and stream.active else None
            if running is not None:
                running.abort()
            with self._tag_lock:
                self._settle(self._r, drop_rest=True)
            self._r = self._w
            if running is not None:
                self._clean_blocks = 0
                # If the device vanished meanwhile, the worker finds the stream inactive and reopens it.
                with contextlib.suppress(sd.PortAudioError):
                    running.start()
            self._last_audio_at = -math.inf
            self._idle.set()

    def pause(self) -> None:
        """Hold playback after the current block; queued audio is kept."""
        self._paused = True

    def resume(self) -> None:
        """Continue exactly where ``pause`` stopped."""
        self._paused = False

    def played_samples(self, tag: Hashable) -> int:
        """Samples of chunks labelled ``tag`` handed to the device (of the last 1000 tags seen)."""
        with self._tag_lock:
            read = self._r
            self._settle(read)
            pending = sum(max(0, min(s.end, read) - s.start) for s in self._segments if s.tag == tag)
            return self._played.get(tag, 0) + self._to_caller(pending)

    def stream_time(self) -> float | None:
        """The output stream's clock now (PortAudio ``Stream.time``); ``None`` while no device is open."""
        stream = self._keeper.stream
        return stream.time if stream is not None else None

    def reference_time(self, index: int) -> float | None:
        """When sample ``index`` of ``reference`` is heard, on the stream clock (``None`` if unknown).

        Microphones report on the same clock (``Microphone.sample_time``).
        """
        raw_index = (index - self._reference_origin) * self._device_rate / self.reference.sample_rate
        return self._clock.time_of(raw_index, self._device_rate)

    def wait_until_done(self, timeout: float | None = None) -> bool:
        """Block until everything queued was played out; ``False`` when ``timeout`` passed first."""
        return self._idle.wait(timeout)

    def _to_caller(self, device_samples: int) -> int:
        if self._device_rate == self.sample_rate:
            return device_samples
        return round(device_samples * self.sample_rate / self._device_rate)

    def _to_device_rate(self, chunk: np.ndarray) -> np.ndarray:
        if self._device_rate == self.sample_rate or chunk.size == 0:
            return chunk
        resampler = StreamResampler(self.sample_rate, self._device_rate)
        converted = np.concatenate(
            [resampler.process(chunk), resampler.process(np.zeros(resampler.lookahead))]
        )
        return converted[: round(chunk.size * self._device_rate / self.sample_rate)]

    def _copy_in(self, piece: np.ndarray) -> None:
        start = self._w % self._capacity
        first = min(piece.size, self._capacity - start)
        self._buffer[start : start + first] = piece[:first]
        if first < piece.size:
            self._buffer[: piece.size - first] = piece[first:]

    def _settle(self, read: int, drop_rest: bool = False) -> None:
        """Move played segments into the per-tag totals (caller holds ``_tag_lock``)."""
        while self._segments and (drop_rest or self._segments[0].end <= read):
            segment = self._segments.popleft()
            played = self._to_caller(max(0, min(segment.end, read) - segment.start))
            self._played[segment.tag] = self._played.get(segment.tag, 0) + played
            self._played.move_to_end(segment.tag)
            while len(self._played) > _REMEMBERED_TAGS:
                self._played.popitem(last=False)

    def _open_stream(self) -> sd.OutputStream:
        rate = pick_rate("output", self.device, self.sample_rate)
        if rate != self._device_rate:
            with self._state_lock:
                # Queued audio was converted for the old rate: drop it, and any enqueue in progress.
                self._generation += 1
                with self._tag_lock:
                    self._settle(self._r, drop_rest=True)
                self._position = round(self._position * rate / self._device_rate)
                self._device_rate = rate
                self._allocate(rate)
        self._clean_blocks = 0
        try:
            stream = sd.OutputStream(
                device=self.device,
                samplerate=rate,
                channels=1,
                dtype="float32",
                blocksize=max(1, rate * self.block_ms // 1000),
                latency=self._latency,
                callback=self._callback,
            )
            stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            raise device_error("output", self.device, exc) from exc
        return stream

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: sd.CallbackFlags) -> None:
        if status.output_underflow:
            # The device is not consuming in real time: keep the queue, and keep silence out of the reference.
            self._underflows += 1
            self._clean_blocks = 0
            outdata.fill(0.0)
            return
        if self._clean_blocks <= _HOLDOFF_BLOCKS:
            self._clean_blocks += 1
        out = outdata[:, 0]
        held = self._paused or self._clean_blocks <= _HOLDOFF_BLOCKS
        count = 0 if held else min(frames, self._w - self._r)
        if count:
            start = self._r % self._capacity
            first = min(count, self._capacity - start)
            out[:first] = self._buffer[start : start + first]
            if first < count:
                out[first:count] = self._buffer[: count - first]
            self._r += count
            self._position += count
        if count < frames:
            out[count:] = 0.0
        self._clock.mark(self._reference_raw.total_written, time_info.outputBufferDacTime)
        self._reference_raw.write(out)

    def _work(self) -> None:
        while not self._stop_worker.is_set():
            try:
                self._step()
            except Exception:
                # A subscriber raised: keep the reference tap and the accounting going.
                log.exception("a player subscriber failed")
            self._stop_worker.wait(_POLL_S)

    def _step(self) -> None:
        event = self._keeper.poll()
        if event is StreamEvent.LOST:
            self._announce("error")
            self.error_occurred.emit(self._keeper.last_error)
        samples, _lost = self._reference_raw.catch_up(self._reference_read)
        self._reference_read += samples.size
        if samples.size:
            self.reference.write(self._reference_resampler.process(samples))
        with self._tag_lock:
            self._settle(self._r)
        self._announce(self._current_state())

    def _current_state(self) -> str:
        if self._keeper.stream is None:
            return "error"
        with self._state_lock:
            now = time.monotonic()
            if self._w > self._r:
                self._last_audio_at = now
                return "paused" if self._paused else "playing"
            stream = self._keeper.stream
            tail = stream.latency if stream is not None else 0.0
            if now - self._last_audio_at < tail + self.block_ms / 1000:
                return "playing"
            self._idle.set()
            return "idle"

    def _announce(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(state)
