"""Echo control: WebRTC's acoustic echo canceller, a half-duplex gate, and ERLE.

``EchoCanceller`` removes what the speakers played (the far end) from what
the microphone hears (the near end) with the WebRTC audio processing module
that LiveKit ships (AEC3, optional noise suppression and high-pass filter).
It works on 16 kHz mono 10 ms frames; call ``process`` from the media worker
thread that pairs microphone blocks with the blocks handed to the speaker,
never from a PortAudio callback (each frame is a call into LiveKit's FFI,
which builds a protobuf request).

``HalfDuplexGate`` is the fallback when echo cancellation is not enough
(laptop speakers at full volume): the microphone is muted while the
assistant speaks, unless push-to-talk is held.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from livekit import rtc

from engine.speech.errors import AudioFormatError

AEC_RATE = 16_000
FRAME_MS = 10


class EchoCanceller:
    """WebRTC echo cancellation for one microphone and one loudspeaker stream.

    ``stream_delay_ms`` is a hint for how far the echo lags the reference:
    the time from handing a far-end block to the speaker until it is heard,
    plus the time from capture until the microphone block reaches
    ``process``. AEC3 finds the exact delay itself; the hint speeds it up.
    The filter needs about a second of far-end speech to converge.
    """

    def __init__(
        self,
        sample_rate: int = AEC_RATE,
        *,
        noise_suppression: bool = False,
        high_pass_filter: bool = True,
        auto_gain_control: bool = False,
        stream_delay_ms: int = 0,
    ) -> None:
        if sample_rate not in (8000, 16000, 32000, 48000):
            raise ValueError(f"sample_rate must be 8000, 16000, 32000 or 48000, got {sample_rate}")
        self.sample_rate = sample_rate
        self.frame_samples = sample_rate * FRAME_MS // 1000
        self._options = {
            "echo_cancellation": True,
            "noise_suppression": noise_suppression,
            "high_pass_filter": high_pass_filter,
            "auto_gain_control": auto_gain_control,
        }
        self._apm = rtc.AudioProcessingModule(**self._options)
        self._near_bytes = bytearray(self.frame_samples * 2)
        self._far_bytes = bytearray(self.frame_samples * 2)
        self._near_pcm = np.frombuffer(self._near_bytes, np.int16)
        self._far_pcm = np.frombuffer(self._far_bytes, np.int16)
        self._near_frame = rtc.AudioFrame(self._near_bytes, sample_rate, 1, self.frame_samples)
        self._far_frame = rtc.AudioFrame(self._far_bytes, sample_rate, 1, self.frame_samples)
        self._scratch = np.zeros(self.frame_samples, np.float32)
        self.stream_delay_ms = 0
        self.set_stream_delay_ms(stream_delay_ms)

    def set_stream_delay_ms(self, delay_ms: int) -> None:
        """Tell the canceller how many milliseconds the echo lags the far-end reference."""
        if delay_ms < 0:
            raise ValueError(f"stream delay must be >= 0 ms, got {delay_ms}")
        self.stream_delay_ms = int(delay_ms)
        self._apm.set_stream_delay_ms(self.stream_delay_ms)

    def reset(self) -> None:
        """Start over with a fresh filter (after a device change, say)."""
        self._apm = rtc.AudioProcessingModule(**self._options)
        self._apm.set_stream_delay_ms(self.stream_delay_ms)

    def _load(self, source: np.ndarray, target: np.ndarray) -> None:
        np.multiply(source, 32767.0, out=self._scratch)
        np.clip(self._scratch, -32768.0, 32767.0, out=self._scratch)
        np.rint(self._scratch, out=self._scratch)
        target[:] = self._scratch

    def process_frame(self, near: np.ndarray, far: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Cancel one 10 ms frame: ``far`` is what the speaker played, ``near`` the microphone.

        Both are float32 ``frame_samples`` long; the echo-free frame is written to ``out``.
        """
        self._load(far, self._far_pcm)
        self._apm.process_reverse_stream(self._far_frame)
        self._load(near, self._near_pcm)
        self._apm.process_stream(self._near_frame)
        np.multiply(self._near_pcm, 1.0 / 32768.0, out=out)
        return out

    def process(self, near: np.ndarray, far: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Cancel the echo of ``far`` in ``near`` (float32 mono, equal lengths, whole 10 ms frames)."""
        if near.ndim != 1 or far.shape != near.shape:
            raise AudioFormatError(
                f"near and far must be mono arrays of equal length, got {near.shape} and {far.shape}.",
                "Pair each microphone block with the speaker block played at the same time.",
            )
        if near.shape[0] % self.frame_samples:
            raise AudioFormatError(
                f"Echo cancellation works on whole {FRAME_MS} ms frames ({self.frame_samples} samples); "
                f"got {near.shape[0]} samples.",
                "Cut the audio into 10 ms blocks (or multiples) before calling process.",
            )
        result = np.empty(near.shape[0], np.float32) if out is None else out
        n = self.frame_samples
        for start in range(0, near.shape[0], n):
            self.process_frame(near[start : start + n], far[start : start + n], result[start : start + n])
        return result


class HalfDuplexGate:
    """Mutes the microphone while the assistant speaks, unless push-to-talk is held.

    The gate stays closed for ``tail_ms`` after the assistant stops, so the
    last syllable still travelling through the output buffers and the room is
    not heard as the user. The setters may be called from any thread and
    ``apply`` may run in an audio callback: the state is three plain
    attributes (no lock to wait on) and ``apply`` writes into ``out`` only.
    """

    def __init__(self, tail_ms: int = 250, clock: Callable[[], float] = time.monotonic) -> None:
        self.tail_s = tail_ms / 1000.0
        self._clock = clock
        self._speaking = False
        self._push_to_talk = False
        self._silent_since = float("-inf")

    def set_assistant_speaking(self, speaking: bool) -> None:
        """The player started (True) or finished (False) sending the assistant's voice out."""
        if self._speaking and not speaking:
            # Written before the flag, so a reader that sees "not speaking" also sees when it stopped.
            self._silent_since = self._clock()
        self._speaking = speaking

    def set_push_to_talk(self, held: bool) -> None:
        """Whether the user holds the push-to-talk key (opens the gate even during playback)."""
        self._push_to_talk = held

    @property
    def is_open(self) -> bool:
        """Whether microphone audio should reach the speech pipeline now."""
        if self._push_to_talk:
            return True
        if self._speaking:
            return False
        return self._clock() - self._silent_since >= self.tail_s

    def apply(self, frame: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Copy ``frame`` into ``out`` when the gate is open, else fill ``out`` with silence."""
        if self.is_open:
            out[:] = frame
        else:
            out.fill(0.0)
        return out


def erle_db(
    mic: np.ndarray,
    cleaned: np.ndarray,
    sample_rate: int = AEC_RATE,
    *,
    skip_s: float = 0.0,
    floor_dbfs: float = -60.0,
) -> float:
    """Echo return loss enhancement: how much quieter the echo got, in dB.

    ``mic`` holds echo only (no one talking near the microphone) and
    ``cleaned`` is the canceller's output for it. The first ``skip_s`` seconds
    (while the filter converges) are left out, and so are 10 ms frames where the
    microphone is below ``floor_dbfs`` (pauses, where there is no echo to remove).
    """
    if mic.shape != cleaned.shape:
        raise AudioFormatError(
            f"mic and cleaned must have the same shape, got {mic.shape} and {cleaned.shape}.",
            "Pass the canceller's input and its output for the same stretch of audio.",
        )
    n = sample_rate * FRAME_MS // 1000
    start = int(skip_s * sample_rate)
    usable = (mic.shape[0] - start) // n * n
    if usable <= 0:
        raise AudioFormatError("Not enough audio after skip_s to measure ERLE.", "Pass a longer recording.")
    mic_frames = mic[start : start + usable].astype(np.float64).reshape(-1, n)
    out_frames = cleaned[start : start + usable].astype(np.float64).reshape(-1, n)
    mic_power = (mic_frames**2).mean(axis=1)
    active = mic_power > 10 ** (floor_dbfs / 10)
    if not active.any():
        raise AudioFormatError(
            f"The microphone signal never rises above {floor_dbfs} dBFS, so there is no echo to measure.",
            "Play louder far-end audio, or lower floor_dbfs.",
        )
    residual = (out_frames[active] ** 2).mean()
    return float(10 * np.log10(mic_power[active].mean() / max(residual, 1e-20)))
