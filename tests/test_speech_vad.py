"""Voice activity detection and the speech segmenter, on synthetic and on really played audio."""

from __future__ import annotations

import numpy as np
import pytest

from engine.media.vad import (
    SegmenterConfig,
    SileroVad,
    SpeechEnd,
    SpeechSegmenter,
    SpeechStart,
    VadEngine,
    VoiceActivityDetector,
    WebRtcVad,
    make_detector,
    segments,
)
from engine.speech.errors import AudioFormatError
from tests.conftest import needs_pulse
from tests.speech_fixtures import (
    RATE,
    SENTENCE,
    lag_of,
    load_transcriber,
    padded_speech,
    play_and_record,
    speech_span,
    synthesize_16k,
    wer,
)

TOLERANCE_S = 0.100


@pytest.fixture(scope="module")
def sentence_16k() -> np.ndarray:
    return synthesize_16k(SENTENCE, noise_scale=0.0, noise_w_scale=0.0) * 0.5


def _noise(size: int, dbfs: float = -60.0, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 10 ** (dbfs / 20), size).astype(np.float32)


@pytest.mark.parametrize("engine", ["webrtc", "silero"])
def test_detectors_tell_speech_from_silence(engine: VadEngine, sentence_16k: np.ndarray) -> None:
    detector = make_detector(engine)
    assert isinstance(detector, VoiceActivityDetector)
    n = detector.frame_samples
    quiet = _noise(RATE)
    speech = sentence_16k
    detector.reset()
    quiet_scores = [detector.probability(quiet[i : i + n]) for i in range(0, quiet.size - n + 1, n)]
    detector.reset()
    speech_scores = [detector.probability(speech[i : i + n]) for i in range(0, speech.size - n + 1, n)]
    assert max(quiet_scores) < 0.5
    assert np.mean(np.array(speech_scores) >= 0.5) > 0.6


def test_detectors_reject_frames_of_the_wrong_size() -> None:
    with pytest.raises(AudioFormatError):
        SileroVad().probability(np.zeros(480, np.float32))
    with pytest.raises(AudioFormatError):
        WebRtcVad(frame_ms=30).probability(np.zeros(160, np.float32))
    with pytest.raises(ValueError):
        WebRtcVad(frame_ms=25)


def test_webrtc_accepts_int16_frames() -> None:
    vad = WebRtcVad(frame_ms=20)
    assert vad.probability(np.zeros(320, np.int16)) == 0.0


@pytest.mark.parametrize("engine", ["webrtc", "silero"])
def test_segmenter_finds_one_utterance_with_pre_roll(engine: VadEngine, sentence_16k: np.ndarray) -> None:
    signal = padded_speech(sentence_16k, 1.0, 1.5)
    signal += _noise(signal.size)
    true_start, true_end = speech_span(sentence_16k)
    true_start += RATE
    true_end += RATE
    segmenter = SpeechSegmenter(make_detector(engine), SegmenterConfig(pre_roll_ms=300))
    starts: list[SpeechStart] = []
    ends: list[SpeechEnd] = []
    segmenter.speech_start.connect(starts.append)
    segmenter.speech_end.connect(ends.append)
    returned = []
    for i in range(0, signal.size, 160):  # 10 ms microphone blocks
        returned += segmenter.feed(signal[i : i + 160])
    returned += segmenter.flush()
    assert returned == [*starts, *ends]
    assert len(starts) == 1 and len(ends) == 1
    start, end = starts[0], ends[0]
    assert abs(start.start_sample - true_start) / RATE <= TOLERANCE_S
    assert abs(end.end_sample - true_end) / RATE <= TOLERANCE_S
    assert end.start_sample == start.start_sample
    # The event comes after the hangover, and the audio starts a pre-roll before the onset.
    assert end.delay_s == pytest.approx(0.5, abs=0.05)
    assert end.audio_start_sample == start.start_sample - int(0.3 * RATE)
    assert end.audio.size >= end.end_sample - end.audio_start_sample
    offset = end.audio_start_sample
    np.testing.assert_array_equal(end.audio[: RATE // 10], signal[offset : offset + RATE // 10])


def test_pauses_longer_than_the_hangover_split_utterances(sentence_16k: np.ndarray) -> None:
    gap = np.zeros(RATE, np.float32)
    signal = padded_speech(np.concatenate([sentence_16k, gap, sentence_16k]), 0.5, 1.0)
    found = segments(signal + _noise(signal.size), RATE, "silero")
    assert len(found) == 2
    assert found[0][1] < found[1][0]


def test_segments_accepts_other_sample_rates(sentence_16k: np.ndarray) -> None:
    from engine.speech.audio import resample

    signal = padded_speech(sentence_16k, 0.8, 1.0)
    at_48k = resample(signal, RATE, 48_000)
    reference = segments(signal, RATE, "webrtc")
    converted = segments(at_48k, 48_000, "webrtc")
    assert len(reference) == len(converted) == 1
    assert converted[0][0] == pytest.approx(reference[0][0], abs=0.03)
    assert converted[0][1] == pytest.approx(reference[0][1], abs=0.03)


def test_long_speech_is_cut_at_the_utterance_limit(sentence_16k: np.ndarray) -> None:
    segmenter = SpeechSegmenter(WebRtcVad(), SegmenterConfig(max_utterance_s=1.0))
    events = segmenter.feed(padded_speech(sentence_16k, 0.5, 1.0)) + segmenter.flush()
    ends = [e for e in events if isinstance(e, SpeechEnd)]
    assert ends[0].truncated
    assert ends[0].audio.size <= int(1.0 * RATE) + segmenter._history.size
    assert len(ends) >= 2


@needs_pulse
@pytest.mark.devices
def test_played_speech_is_segmented_and_transcribed_from_the_loopback() -> None:
    """Piper speech goes out of the null sink and back in through its monitor, like a microphone."""
    # Zero noise scales make Piper deterministic, so every run plays the same waveform.
    speech = synthesize_16k(SENTENCE, noise_scale=0.0, noise_w_scale=0.0) * 0.5
    played = padded_speech(speech, 0.8, 1.2)
    recorded = play_and_record(played)
    lag = lag_of(recorded, played)
    true_start, true_end = speech_span(speech)
    lead = int(0.8 * RATE)
    true_start, true_end = true_start + lead + lag, true_end + lead + lag

    segmenter = SpeechSegmenter(SileroVad())
    events = []
    for i in range(0, recorded.size, 160):
        events += segmenter.feed(recorded[i : i + 160])
    events += segmenter.flush()
    ends = [e for e in events if isinstance(e, SpeechEnd)]
    errors = [(e.start_sample - true_start) / RATE for e in ends] + [
        (e.end_sample - true_end) / RATE for e in ends
    ]
    print(f"loopback lag {lag / RATE * 1000:.0f} ms; onset/end errors {[round(x * 1000) for x in errors]} ms")
    assert len(ends) == 1, [(e.start_s, e.end_s) for e in ends]
    assert abs(ends[0].start_sample - true_start) / RATE <= TOLERANCE_S
    assert abs(ends[0].end_sample - true_end) / RATE <= TOLERANCE_S

    transcript = load_transcriber().transcribe(ends[0].audio)
    error_rate = wer(SENTENCE, transcript.text)
    print(f"transcript {transcript.text!r}: WER {error_rate:.0%}")
    assert error_rate <= 0.20
