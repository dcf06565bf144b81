"""Whisper transcription and Piper synthesis with the real bundled models."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from engine.errors import ModelNotFound
from engine.models import ModelManager, get_spec
from engine.speech.asr import WhisperTranscriber, resolve_whisper_model
from engine.speech.audio import load_audio, resample
from engine.speech.errors import AudioFileError, SpeechModelError
from engine.speech.tts import PiperVoice, VoiceBank, VoiceStyle, resolve_voice
from tests.speech_fixtures import (
    RATE,
    SENTENCE,
    load_transcriber,
    load_voice,
    padded_speech,
    piper_voice_onnx,
    synthesize_16k,
    wer,
    whisper_tiny_dir,
)


def _install_as_registry_model(manager: ModelManager, key: str, files: list[Path]) -> Path:
    """Lay ``files`` out in the models folder as a completed download of ``key`` (as ModelManager records it)."""
    spec = get_spec(key)
    target = manager.path_for(spec)
    target.mkdir(parents=True, exist_ok=True)
    names = []
    for file in files:
        shutil.copyfile(file, target / file.name)
        names.append(str((target / file.name).relative_to(manager.root_for(spec))))
    manifest = {
        "format": 1,
        "repo_id": spec.repo_id,
        "files": {n: {"size": (manager.root_for(spec) / n).stat().st_size, "sha256": None} for n in names},
        "keys": {spec.key: {"revision": "main", "commit": "test", "files": names}},
    }
    (manager.root_for(spec) / ".nexus-manifest.json").write_text(json.dumps(manifest))
    return target


# ----- Whisper ---------------------------------------------------------------


def test_transcribes_synthesized_speech_with_english_and_word_times() -> None:
    speech = synthesize_16k(SENTENCE, noise_scale=0.0, noise_w_scale=0.0)
    transcript = load_transcriber().transcribe(padded_speech(speech, 0.3, 0.3), word_timestamps=True)
    assert transcript.language == "en"
    assert transcript.language_probability > 0.5
    assert wer(SENTENCE, transcript.text) <= 0.2
    assert len(transcript.words) >= 10
    starts = [w.start for w in transcript.words]
    assert starts == sorted(starts)
    assert all(w.end >= w.start for w in transcript.words)
    assert transcript.words[-1].end <= transcript.duration + 0.05
    assert transcript.segments and transcript.segments[0].text


def test_words_are_empty_unless_asked() -> None:
    speech = synthesize_16k("Good morning everyone.", noise_scale=0.0, noise_w_scale=0.0)
    transcript = load_transcriber().transcribe(speech)
    assert transcript.words == ()
    assert "morning" in transcript.text.lower()


def test_transcribes_a_file_and_other_sample_rates(tmp_path: Path) -> None:
    speech = load_voice().with_style(noise_scale=0.0, noise_w_scale=0.0).synthesize("Turn on the lights.")
    path = tmp_path / "lights.flac"
    sf.write(path, speech, load_voice().sample_rate)
    transcriber = load_transcriber()
    from_file = transcriber.transcribe(path)
    from_array = transcriber.transcribe(speech, sample_rate=load_voice().sample_rate)
    assert wer("Turn on the lights.", from_file.text) <= 0.25
    assert from_file.text == from_array.text


def test_model_from_registry_key(nexus_dirs: dict[str, Path]) -> None:
    manager = ModelManager(nexus_dirs["cache"] / "models")
    with pytest.raises(ModelNotFound):
        resolve_whisper_model("whisper-tiny.en", manager)
    source = whisper_tiny_dir()
    folder = _install_as_registry_model(manager, "whisper-tiny.en", sorted(source.iterdir()))
    assert resolve_whisper_model("tiny.en", manager) == folder
    with pytest.raises(SpeechModelError):
        resolve_whisper_model("piper-en_US-lessac-medium", manager)


def test_folder_without_a_model_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound):
        WhisperTranscriber(tmp_path)
    (tmp_path / "model.bin").write_bytes(b"not a model")
    with pytest.raises(SpeechModelError) as info:
        WhisperTranscriber(tmp_path, device="cpu")
    assert info.value.hint


# ----- Piper -----------------------------------------------------------------


def test_voice_synthesizes_float32_at_its_rate() -> None:
    voice = load_voice()
    audio = voice.synthesize("Hello there, how are you today?")
    assert voice.sample_rate == 22_050
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert 1.0 < audio.size / voice.sample_rate < 4.0
    assert 0.5 < np.abs(audio).max() <= 1.0
    assert voice.synthesize("").size == 0


def test_output_rate_resamples_to_the_right_length() -> None:
    voice = load_voice().with_style(noise_scale=0.0, noise_w_scale=0.0)
    native = voice.synthesize("Resampling keeps the duration.")
    for rate in (16_000, 48_000):
        converted = voice.synthesize("Resampling keeps the duration.", output_rate=rate)
        assert converted.size == round(native.size * rate / voice.sample_rate)
        assert converted.size == resample(native, voice.sample_rate, rate).size


def test_resample_preserves_a_tone() -> None:
    t = np.arange(22_050) / 22_050
    tone = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    out = resample(tone, 22_050, 16_000)
    assert out.size == 16_000
    spectrum = np.abs(np.fft.rfft(out))
    assert abs(np.argmax(spectrum) * 16_000 / out.size - 440) < 2


def test_speed_changes_duration() -> None:
    voice = load_voice().with_style(noise_scale=0.0, noise_w_scale=0.0)
    normal = voice.synthesize(SENTENCE)
    fast = voice.with_rate(1.5).synthesize(SENTENCE)
    slow = voice.with_style(length_scale=1.4).synthesize(SENTENCE)
    assert fast.size < 0.8 * normal.size < slow.size * 0.8


def test_voice_bank_holds_two_hosts_from_one_model() -> None:
    bank = VoiceBank()
    host_a = bank.add(
        "host_a", piper_voice_onnx(), VoiceStyle(length_scale=0.9, noise_scale=0.0, noise_w_scale=0.0)
    )
    bank.add(
        "host_b", piper_voice_onnx().parent, VoiceStyle(length_scale=1.3, noise_scale=0.9, noise_w_scale=0.0)
    )
    assert bank.names == ["host_a", "host_b"] and "host_b" in bank
    assert bank.models_loaded == 1
    assert bank["host_a"] is host_a
    a = bank.synthesize("host_a", "Welcome back to the show.")
    b = bank.synthesize("host_b", "Welcome back to the show.")
    assert abs(a.size - b.size) > 0.2 * a.size
    size = min(a.size, b.size)
    assert not np.allclose(a[:size], b[:size], atol=0.05)
    with pytest.raises(SpeechModelError):
        bank["nobody"]


def test_voice_from_registry_key_and_bad_voices(nexus_dirs: dict[str, Path], tmp_path: Path) -> None:
    manager = ModelManager(nexus_dirs["cache"] / "models")
    with pytest.raises(ModelNotFound):
        resolve_voice("piper-en_US-lessac-medium", manager)
    onnx = piper_voice_onnx()
    _install_as_registry_model(manager, "piper-en_US-lessac-medium", [onnx, Path(f"{onnx}.json")])
    files = resolve_voice("en_US-lessac-medium", manager)
    assert files.onnx.name == onnx.name and files.config.name == f"{onnx.name}.json"
    with pytest.raises(SpeechModelError):
        resolve_voice("whisper-tiny.en", manager)
    lonely = tmp_path / "lonely.onnx"
    lonely.write_bytes(b"x")
    with pytest.raises(SpeechModelError):
        resolve_voice(lonely)
    Path(f"{lonely}.json").write_text("{}")
    with pytest.raises(SpeechModelError):
        PiperVoice(lonely)
    with pytest.raises(SpeechModelError):
        load_voice().with_style(speaker_id=3)


def test_load_audio_reports_missing_and_undecodable_files(tmp_path: Path) -> None:
    with pytest.raises(AudioFileError):
        load_audio(tmp_path / "nothing.wav")
    junk = tmp_path / "junk.m4a"
    junk.write_bytes(b"\x00\x01 definitely not audio" * 50)
    with pytest.raises(AudioFileError) as info:
        load_audio(junk)
    assert info.value.hint
    stereo = np.stack([np.full(RATE, 0.5, np.float32), np.full(RATE, -0.5, np.float32)], axis=1)
    sf.write(tmp_path / "stereo.wav", stereo, RATE)
    mono, rate = load_audio(tmp_path / "stereo.wav")
    assert rate == RATE and mono.shape == (RATE,) and np.abs(mono).max() < 1e-3
