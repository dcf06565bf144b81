"""Echo cancellation: the assistant's own voice is removed, a person talking over it is not."""

from __future__ import annotations

import numpy as np
import pytest

from engine.media.aec import EchoCanceller, HalfDuplexGate, erle_db
from engine.media.vad import SileroVad, SpeechSegmenter, SpeechStart
from engine.speech.errors import AudioFormatError
from tests.speech_fixtures import RATE, SECOND_SENTENCE, padded_speech, speech_span, synthesize_16k

ECHO_DELAY_MS = 40
ECHO_GAIN_DB = -6.0
FAR_TEXT = (
    "Here is the weather for today. Expect light rain in the morning, "
    "clearing up by the afternoon, with a gentle breeze from the west."
)


def _frames(audio: np.ndarray) -> np.ndarray:
    return audio[: audio.size // 160 * 160]


def _room(far: np.ndarray, seed: int = 1) -> np.ndarray:
    """What the microphone hears of the loudspeaker: delayed, attenuated, a short decaying tail, hiss."""
    rng = np.random.default_rng(seed)
    delay = ECHO_DELAY_MS * RATE // 1000
    gain = 10 ** (ECHO_GAIN_DB / 20)
    tail = np.arange(800) / RATE
    response = np.zeros(delay + 801, np.float32)
    response[delay] = gain
    response[delay + 1 :] = gain * 0.1 * rng.normal(0, 1, 800) * np.exp(-tail / 0.01)
    echo = np.convolve(far, response)[: far.size].astype(np.float32)
    return echo + rng.normal(0, 1e-3, far.size).astype(np.float32)


@pytest.fixture(scope="module")
def far_end() -> np.ndarray:
    return _frames(padded_speech(synthesize_16k(FAR_TEXT) * 0.5, 0.5, 0.5))


def _speech_starts(audio: np.ndarray) -> list[SpeechStart]:
    segmenter = SpeechSegmenter(SileroVad())
    starts: list[SpeechStart] = []
    segmenter.speech_start.connect(starts.append)
    for i in range(0, audio.size, 160):
        segmenter.feed(audio[i : i + 160])
    segmenter.flush()
    return starts


def test_echo_alone_is_cancelled_and_raises_no_speech(far_end: np.ndarray) -> None:
    mic = _room(far_end)
    assert _speech_starts(mic), "without cancellation the echo does sound like speech"
    canceller = EchoCanceller(stream_delay_ms=ECHO_DELAY_MS)
    cleaned = np.concatenate(
        [canceller.process(mic[i : i + 1600], far_end[i : i + 1600]) for i in range(0, mic.size, 1600)]
    )
    erle = erle_db(mic, cleaned, skip_s=1.0)
    print(f"ERLE after the first second: {erle:.1f} dB")
    assert erle >= 20.0
    assert _speech_starts(cleaned) == []


def test_double_talk_raises_speech_start(far_end: np.ndarray) -> None:
    person = synthesize_16k(SECOND_SENTENCE, length_scale=1.25, noise_scale=0.9, noise_w_scale=1.0) * 0.4
    onset = int(3.0 * RATE)
    near = np.zeros_like(far_end)
    near[onset : onset + person.size] = person[: far_end.size - onset]
    mic = _room(far_end) + near
    cleaned = EchoCanceller(stream_delay_ms=ECHO_DELAY_MS).process(mic, far_end)
    starts = _speech_starts(cleaned)
    assert starts, "the person talking over the assistant must be heard"
    true_onset = onset + speech_span(person)[0]
    onset_error = (starts[0].start_sample - true_onset) / RATE
    detected_after = (starts[0].detected_sample - true_onset) / RATE
    print(
        f"barge-in: onset error {onset_error * 1000:.0f} ms, speech_start {detected_after * 1000:.0f} ms after onset"
    )
    assert -0.1 <= onset_error <= 0.2
    assert detected_after <= 0.3


def test_process_checks_frame_sizes() -> None:
    canceller = EchoCanceller()
    with pytest.raises(AudioFormatError):
        canceller.process(np.zeros(100, np.float32), np.zeros(100, np.float32))
    with pytest.raises(AudioFormatError):
        canceller.process(np.zeros(160, np.float32), np.zeros(320, np.float32))
    out = np.empty(320, np.float32)
    assert canceller.process(np.zeros(320, np.float32), np.zeros(320, np.float32), out) is out


def test_erle_of_untouched_audio_is_zero_db() -> None:
    signal = np.random.default_rng(0).normal(0, 0.1, RATE).astype(np.float32)
    assert erle_db(signal, signal) == pytest.approx(0.0, abs=1e-6)
    assert erle_db(signal, signal * 0.1) == pytest.approx(20.0, abs=1e-3)


def test_half_duplex_gate_mutes_while_speaking_unless_push_to_talk() -> None:
    now = [100.0]
    gate = HalfDuplexGate(tail_ms=200, clock=lambda: now[0])
    frame = np.ones(160, np.float32)
    out = np.empty_like(frame)
    assert gate.is_open
    gate.set_assistant_speaking(True)
    assert not gate.is_open
    assert not gate.apply(frame, out).any()
    gate.set_push_to_talk(True)
    assert gate.is_open and gate.apply(frame, out).all()
    gate.set_push_to_talk(False)
    gate.set_assistant_speaking(False)
    now[0] += 0.1
    assert not gate.is_open, "the echo tail is still in the room"
    now[0] += 0.15
    assert gate.is_open
