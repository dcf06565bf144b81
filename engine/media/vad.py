"""Voice activity detection: per-frame speech probabilities, and utterances cut from them.

Two detectors share the ``VoiceActivityDetector`` protocol: ``WebRtcVad``
(WebRTC's GMM classifier, microseconds per frame, answers 0 or 1) and
``SileroVad`` (the Silero neural network run on onnxruntime, about 0.1 ms per
32 ms frame, answers a probability and is far harder to fool with noise and
echo residue). ``SpeechSegmenter`` turns the probabilities of a live stream into
``speech_start`` / ``speech_end`` events with hysteresis and pre-roll;
``segments`` does the same for a whole recording.

Detectors and the segmenter run on the media worker thread that drains the
microphone ring buffer, not inside the PortAudio callback: ONNX inference and
the psygnal emission allocate. Their per-frame paths reuse preallocated
buffers so a long session does not churn memory.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from engine import privacy as _privacy  # noqa: F401,I001 - before onnxruntime loads: its telemetry stays off
import onnxruntime
import webrtcvad
from psygnal import Signal

from engine.privacy import quiet_onnxruntime
from engine.speech.audio import resample, to_mono_float32
from engine.speech.errors import AudioFormatError, SpeechModelError

VAD_RATE = 16_000
VadEngine = Literal["webrtc", "silero"]


@runtime_checkable
class VoiceActivityDetector(Protocol):
    """Scores fixed-size frames of mono float32 audio for speech."""

    sample_rate: int
    frame_samples: int

    def probability(self, frame: np.ndarray) -> float:
        """Speech probability in [0, 1] of one frame of ``frame_samples`` samples."""
        ...

    def reset(self) -> None:
        """Forget the state carried between frames (start of a new stream)."""
        ...


def _check_frame(frame: np.ndarray, size: int) -> None:
    if frame.ndim != 1 or frame.shape[0] != size:
        raise AudioFormatError(
            f"A VAD frame must be {size} mono samples, got shape {frame.shape}.",
            "Feed audio through SpeechSegmenter.feed, which cuts it into frames of the right size.",
        )


class WebRtcVad:
    """WebRTC's voice activity detector: ``aggressiveness`` 0 (lenient) to 3 (strict).

    Frames are 10, 20 or 30 ms at 8, 16, 32 or 48 kHz; the probability is 0.0 or 1.0.
    The first ``warmup_ms`` after a reset always score 0.0: WebRTC's noise
    model starts empty and calls even -60 dBFS hiss speech for about 120 ms.
    """

    def __init__(
        self, aggressiveness: int = 3, frame_ms: int = 10, sample_rate: int = VAD_RATE, warmup_ms: int = 150
    ) -> None:
        if aggressiveness not in (0, 1, 2, 3):
            raise ValueError(f"aggressiveness must be 0, 1, 2 or 3, got {aggressiveness}")
        if frame_ms not in (10, 20, 30):
            raise ValueError(f"frame_ms must be 10, 20 or 30, got {frame_ms}")
        if sample_rate not in (8000, 16000, 32000, 48000):
            raise ValueError(f"sample_rate must be 8000, 16000, 32000 or 48000, got {sample_rate}")
        self.aggressiveness = aggressiveness
        self.frame_ms = frame_ms
        self.sample_rate = sample_rate
        self.frame_samples = sample_rate * frame_ms // 1000
        self._warmup_frames = -(-warmup_ms // frame_ms)
        self._vad = webrtcvad.Vad(aggressiveness)
        self._frames_seen = 0
        self._scaled = np.zeros(self.frame_samples, np.float32)
        self._pcm = np.zeros(self.frame_samples, np.int16)
        # webrtcvad measures its buffer with len(), which must count bytes, not samples.
        self._pcm_bytes = self._pcm.data.cast("B")

    def probability(self, frame: np.ndarray) -> float:
        """1.0 when WebRTC classifies the frame as speech, else 0.0."""
        _check_frame(frame, self.frame_samples)
        if frame.dtype == np.int16:
            self._pcm[:] = frame
        else:
            np.multiply(frame, 32767.0, out=self._scaled)
            np.clip(self._scaled, -32768.0, 32767.0, out=self._scaled)
            self._pcm[:] = self._scaled
        self._frames_seen += 1
        speech = self._vad.is_speech(self._pcm_bytes, self.sample_rate)
        return 1.0 if speech and self._frames_seen > self._warmup_frames else 0.0

    def reset(self) -> None:
        """Start a fresh detector (WebRTC keeps adaptive noise statistics)."""
        self._vad = webrtcvad.Vad(self.aggressiveness)
        self._frames_seen = 0


def silero_model_path() -> Path:
    """The ``silero_vad.onnx`` shipped in the ``silero-vad`` wheel.

    The package is located without importing it: its ``__init__`` imports torch,
    which the ONNX path does not need.
    """
    spec = importlib.util.find_spec("silero_vad")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / "data" / "silero_vad.onnx"
        if candidate.is_file():
            return candidate
    raise SpeechModelError(
        "The Silero VAD model (silero_vad.onnx from the silero-vad package) is not installed.",
        "Reinstall Nexus (pip install silero-vad), or use the WebRTC detector.",
    )


class SileroVad:
    """Silero VAD v5 on onnxruntime: 512-sample frames at 16 kHz (256 at 8 kHz)."""

    def __init__(self, sample_rate: int = VAD_RATE, model_path: Path | None = None, threads: int = 1) -> None:
        if sample_rate not in (8000, 16000):
            raise ValueError(f"Silero VAD runs at 8000 or 16000 Hz, got {sample_rate}")
        self.sample_rate = sample_rate
        self.frame_samples = 512 if sample_rate == 16000 else 256
        self._context = 64 if sample_rate == 16000 else 32
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        path = model_path or silero_model_path()
        try:
            quiet_onnxruntime()
            self._session = onnxruntime.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime's errors share no base class but Exception
            raise SpeechModelError(
                f"The Silero VAD model {path} could not be loaded: {exc}.",
                "Reinstall the silero-vad package, or use the WebRTC detector.",
            ) from exc
        self._input = np.zeros((1, self._context + self.frame_samples), np.float32)
        self._state = np.zeros((2, 1, 128), np.float32)
        self._sr = np.array(sample_rate, dtype=np.int64)

    def probability(self, frame: np.ndarray) -> float:
        """The network's speech probability for this frame, given the frames before it."""
        _check_frame(frame, self.frame_samples)
        row = self._input[0]
        row[self._context :] = frame if frame.dtype != np.int16 else frame / 32768.0
        out, state = self._session.run(None, {"input": self._input, "state": self._state, "sr": self._sr})
        self._state = state
        # The model sees the last samples of the previous frame as context.
        row[: self._context] = row[-self._context :]
        return float(out[0, 0])

    def reset(self) -> None:
        """Clear the recurrent state and context."""
        self._input.fill(0.0)
        self._state = np.zeros((2, 1, 128), np.float32)


def make_detector(engine: VadEngine = "silero", sample_rate: int = VAD_RATE) -> VoiceActivityDetector:
    """A detector by name with Nexus's default settings."""
    if engine == "webrtc":
        return WebRtcVad(sample_rate=sample_rate)
    if engine == "silero":
        return SileroVad(sample_rate=sample_rate)
    raise ValueError(f"unknown VAD engine {engine!r} (use 'webrtc' or 'silero')")


@dataclass(frozen=True)
class SegmenterConfig:
    """Hysteresis of the speech segmenter; times in milliseconds.

    Speech starts once ``start_ms`` of speech frames fall within the last
    ``start_window_ms``; it ends after ``end_ms`` of continuous silence. A frame
    is speech when its probability reaches ``threshold``, or, inside an
    utterance, ``release_threshold`` (lower, so a soft syllable does not end
    it). ``pre_roll_ms`` before the onset and up to ``post_roll_ms`` after the
    last speech frame are kept in the utterance audio. An utterance longer
    than ``max_utterance_s`` (Whisper's 30 s window) is cut there and a new one begins.

    Why these defaults (measured with Piper speech, see bench/media.py): two
    speech frames (~64 ms) in 160 ms ignore clicks yet raise ``speech_start``
    about 90 ms after a word begins; pauses inside a sentence last up to
    ~320 ms at commas and ~410 ms between sentences, so 500 ms of silence ends
    an utterance without splitting it; 300 ms of pre-roll covers the
    ~50 ms by which the detector can be late on a soft first consonant.
    """

    threshold: float = 0.5
    release_threshold: float = 0.35
    start_ms: int = 64
    start_window_ms: int = 160
    end_ms: int = 500
    pre_roll_ms: int = 300
    post_roll_ms: int = 150
    max_utterance_s: float = 30.0


@dataclass(frozen=True)
class SpeechStart:
    """Speech began at ``start_sample``; it was noticed at ``detected_sample`` (stream sample indices)."""

    start_sample: int
    detected_sample: int
    sample_rate: int

    @property
    def start_s(self) -> float:
        """Onset in seconds from the start of the stream."""
        return self.start_sample / self.sample_rate

    @property
    def delay_s(self) -> float:
        """How long after the onset the event was raised."""
        return (self.detected_sample - self.start_sample) / self.sample_rate


@dataclass(frozen=True, eq=False)
class SpeechEnd:
    """An utterance from ``start_sample`` to ``end_sample`` with its audio.

    ``audio`` begins at stream sample ``audio_start_sample`` (the pre-roll
    before the onset) and runs a little past ``end_sample`` (post-roll).
    ``truncated`` is set when the utterance hit the length limit.
    """

    start_sample: int
    end_sample: int
    detected_sample: int
    sample_rate: int
    audio: np.ndarray
    audio_start_sample: int
    truncated: bool = False

    @property
    def start_s(self) -> float:
        """Onset in seconds from the start of the stream."""
        return self.start_sample / self.sample_rate

    @property
    def end_s(self) -> float:
        """Estimated end of speech (mid-way through its last speech frame), in seconds."""
        return self.end_sample / self.sample_rate

    @property
    def delay_s(self) -> float:
        """How long after the end of speech the event was raised (the hangover)."""
        return (self.detected_sample - self.end_sample) / self.sample_rate


SpeechEvent = SpeechStart | SpeechEnd


class SpeechSegmenter:
    """Cuts a live audio stream into utterances.

    ``feed`` takes blocks of any length at the detector's rate (10 ms
    microphone blocks, say), scores them frame by frame and returns the events
    it raised; the same events are emitted on the ``speech_start`` and
    ``speech_end`` signals. ``push_frame`` accepts a frame with a probability
    computed elsewhere. One segmenter serves one stream on one thread.
    """

    speech_start = Signal(SpeechStart)
    speech_end = Signal(SpeechEnd)

    def __init__(self, detector: VoiceActivityDetector, config: SegmenterConfig | None = None) -> None:
        self.detector = detector
        self.config = config or SegmenterConfig()
        c = self.config
        rate = detector.sample_rate
        self.sample_rate = rate
        self.frame_samples = detector.frame_samples
        frame_ms = 1000.0 * self.frame_samples / rate
        self._start_frames = max(1, round(c.start_ms / frame_ms))
        self._window_frames = max(self._start_frames, round(c.start_window_ms / frame_ms))
        self._end_frames = max(1, round(c.end_ms / frame_ms))
        self._pre_roll = int(c.pre_roll_ms * rate / 1000)
        self._post_roll = min(int(c.post_roll_ms * rate / 1000), self._end_frames * self.frame_samples)
        # A ring of whole frames holding the pre-roll plus the start window.
        history_frames = -(-self._pre_roll // self.frame_samples) + self._window_frames + 1
        self._history = np.zeros(history_frames * self.frame_samples, np.float32)
        self._utterance = np.zeros(int(c.max_utterance_s * rate) + self._history.size, np.float32)
        self._window = np.zeros(self._window_frames, bool)
        self._frame = np.zeros(self.frame_samples, np.float32)
        self.reset()

    def reset(self) -> None:
        """Forget the stream: position 0, no utterance in progress."""
        self.detector.reset()
        self.position = 0
        self._history.fill(0.0)
        self._history_pos = 0
        self.in_speech = False
        self._window.fill(False)
        self._window_index = 0
        self._pending = 0
        self._silence_frames = 0
        self._start_sample = 0
        self._last_speech_end = 0
        self._audio_start = 0
        self._length = 0

    @property
    def current_speech_s(self) -> float:
        """Seconds from the onset to the last speech frame of the utterance in progress (0 outside one).

        Unlike the time since ``speech_start``, this does not grow during the
        silence that must pass before ``speech_end``, so a caller can tell a
        cough from a sentence while the utterance is still open.
        """
        if not self.in_speech:
            return 0.0
        return max(0, self._last_speech_end - self._start_sample) / self.sample_rate

    # ----- input ------------------------------------------------------------

    def feed(self, audio: np.ndarray) -> list[SpeechEvent]:
        """Score ``audio`` (mono, detector rate, any length) and return the events it completed."""
        samples = audio if audio.ndim == 1 and audio.dtype == np.float32 else to_mono_float32(audio)
        events: list[SpeechEvent] = []
        offset = 0
        n = samples.shape[0]
        while offset < n:
            take = min(self.frame_samples - self._pending, n - offset)
            self._frame[self._pending : self._pending + take] = samples[offset : offset + take]
            self._pending += take
            offset += take
            if self._pending == self.frame_samples:
                self._pending = 0
                events.extend(self.push_frame(self._frame, self.detector.probability(self._frame)))
        return events

    def push_frame(self, frame: np.ndarray, probability: float) -> list[SpeechEvent]:
        """Advance by one detector frame whose speech probability is ``probability``."""
        events: list[SpeechEvent] = []
        self.position += self.frame_samples
        self._remember(frame)
        if not self.in_speech:
            is_speech = probability >= self.config.threshold
            self._window[self._window_index] = is_speech
            self._window_index = (self._window_index + 1) % self._window_frames
            if is_speech and int(self._window.sum()) >= self._start_frames:
                events.append(self._begin())
            return events
        self._append(frame)
        if probability >= self.config.release_threshold:
            self._silence_frames = 0
            # Speech ends somewhere inside its last frame; mid-frame is the unbiased guess.
            self._last_speech_end = self.position - self.frame_samples // 2
        else:
            self._silence_frames += 1
        if self._silence_frames >= self._end_frames:
            events.append(self._finish(truncated=False))
        elif self._length + self.frame_samples > self._utterance.size:
            events.append(self._finish(truncated=True))
        return events

    def flush(self) -> list[SpeechEvent]:
        """End of stream: close an utterance in progress (its end is the last speech frame)."""
        if self.in_speech:
            return [self._finish(truncated=False)]
        return []

    # ----- state changes ----------------------------------------------------

    def _remember(self, frame: np.ndarray) -> None:
        pos = self._history_pos
        self._history[pos : pos + self.frame_samples] = frame
        self._history_pos = (pos + self.frame_samples) % self._history.size

    def _recall(self, count: int) -> None:
        """Copy the last ``count`` remembered samples to the start of the utterance buffer."""
        end = self._history_pos
        first = min(count, end)
        wrapped = count - first
        if wrapped:
            self._utterance[:wrapped] = self._history[self._history.size - wrapped :]
        self._utterance[wrapped:count] = self._history[end - first : end]

    def _append(self, frame: np.ndarray) -> None:
        self._utterance[self._length : self._length + self.frame_samples] = frame
        self._length += self.frame_samples

    def _onset(self) -> int:
        """Stream index of the first speech frame in the start window."""
        frames = self._window_frames
        oldest = self._window_index  # the slot written longest ago
        for age in range(frames):
            if self._window[(oldest + age) % frames]:
                return self.position - (frames - age) * self.frame_samples
        return self.position - self.frame_samples

    def _begin(self) -> SpeechStart:
        onset = max(0, self._onset())
        audio_start = max(0, onset - self._pre_roll, self.position - self._history.size)
        kept = self.position - audio_start
        self._recall(kept)
        self._length = kept
        self.in_speech = True
        self._start_sample = onset
        self._audio_start = audio_start
        self._last_speech_end = self.position - self.frame_samples // 2
        self._silence_frames = 0
        event = SpeechStart(onset, self.position, self.sample_rate)
        self.speech_start.emit(event)
        return event

    def _finish(self, truncated: bool) -> SpeechEnd:
        end = self.position if truncated else self._last_speech_end
        stop = min(self.position, end + self._post_roll) - self._audio_start
        event = SpeechEnd(
            start_sample=self._start_sample,
            end_sample=end,
            detected_sample=self.position,
            sample_rate=self.sample_rate,
            audio=self._utterance[:stop].copy(),
            audio_start_sample=self._audio_start,
            truncated=truncated,
        )
        self.in_speech = False
        self._length = 0
        self._silence_frames = 0
        self._window.fill(False)
        self.speech_end.emit(event)
        return event


def segments(
    audio: np.ndarray,
    sample_rate: int,
    engine: VadEngine | VoiceActivityDetector = "silero",
    config: SegmenterConfig | None = None,
) -> list[tuple[float, float]]:
    """``(start_s, end_s)`` of every utterance in a whole recording."""
    mono = to_mono_float32(audio)
    detector = make_detector(engine) if isinstance(engine, str) else engine
    if sample_rate != detector.sample_rate:
        mono = resample(mono, sample_rate, detector.sample_rate)
    segmenter = SpeechSegmenter(detector, config)
    events = segmenter.feed(mono) + segmenter.flush()
    return [(e.start_s, e.end_s) for e in events if isinstance(e, SpeechEnd)]
