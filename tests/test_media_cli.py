"""nexus-cli transcribe, vad, speak and devices, run through the real entry point."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

import cli.main as cli_main
from cli import media_cmd
from tests.conftest import needs_pulse
from tests.speech_fixtures import load_voice, piper_voice_onnx, wer, whisper_tiny_dir

TEXT = "Please open the window before the meeting starts."


@pytest.fixture(autouse=True)
def media_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make sure the media commands are part of the parser, whether or not cli/main.py lists them yet."""
    if media_cmd not in cli_main.COMMAND_MODULES:
        monkeypatch.setattr(cli_main, "COMMAND_MODULES", (*cli_main.COMMAND_MODULES, media_cmd))


@pytest.fixture(scope="module")
def spoken_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    voice = load_voice()
    out = tmp_path_factory.mktemp("speech") / "speech.wav"
    sf.write(out, voice.synthesize(TEXT), voice.sample_rate, subtype="PCM_16")
    return out


def _to_m4a(source: Path, target: Path) -> Path:
    """Re-encode ``source`` as AAC in an MP4 container, which libsndfile cannot read."""
    audio, rate = sf.read(source, dtype="float32")
    with av.open(str(target), "w") as container:
        stream = container.add_stream("aac", rate=rate)
        stream.layout = "mono"
        for start in range(0, audio.size, 1024):
            frame = av.AudioFrame.from_ndarray(audio[None, start : start + 1024], format="flt", layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return target


def test_speak_writes_a_wav_at_the_voice_rate_or_the_asked_one(tmp_path: Path) -> None:
    out = tmp_path / "out" / "speech.wav"
    assert (
        cli_main.main(["speak", TEXT, "-o", str(out), "--voice", str(piper_voice_onnx()), "--speed", "1.2"])
        == 0
    )
    info = sf.info(out)
    assert info.samplerate == 22_050 and info.channels == 1 and info.subtype == "PCM_16"
    assert 1.5 < info.duration < 6.0
    resampled = tmp_path / "16k.wav"
    code = cli_main.main(
        [
            "speak",
            "Short one.",
            "-o",
            str(resampled),
            "--voice",
            str(piper_voice_onnx()),
            "--sample-rate",
            "16000",
        ]
    )
    assert code == 0 and sf.info(resampled).samplerate == 16_000


def test_transcribe_prints_the_text_and_words(spoken_wav: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert cli_main.main(["transcribe", str(spoken_wav), "--model", str(whisper_tiny_dir()), "--words"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert wer(TEXT, lines[0]) <= 0.2
    words = [line.split() for line in lines[1:]]
    assert len(words) >= 7
    assert all(float(w[0]) <= float(w[1]) for w in words)


def test_transcribe_decodes_formats_libsndfile_does_not_know(
    spoken_wav: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    m4a = _to_m4a(spoken_wav, tmp_path / "speech.m4a")
    capsys.readouterr()
    assert cli_main.main(["transcribe", str(m4a), "--model", str(whisper_tiny_dir())]) == 0
    assert wer(TEXT, capsys.readouterr().out) <= 0.2


@pytest.mark.parametrize("engine", ["webrtc", "silero"])
def test_vad_prints_one_segment(
    spoken_wav: Path, tmp_path: Path, engine: str, capsys: pytest.CaptureFixture[str]
) -> None:
    speech, rate = sf.read(spoken_wav, dtype="float32")
    padded = tmp_path / "padded.flac"
    sf.write(padded, np.concatenate([np.zeros(rate, np.float32), speech, np.zeros(rate, np.float32)]), rate)
    capsys.readouterr()
    assert cli_main.main(["vad", str(padded), "--engine", engine]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.strip().splitlines()]
    assert len(rows) == 1
    start, end = (float(v) for v in rows[0])
    assert 0.95 < start < 1.3
    assert 1.0 + speech.size / rate - 0.4 < end < 1.0 + speech.size / rate + 0.1


def test_missing_models_and_files_are_reported_with_a_hint(
    spoken_wav: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    # The default model of fresh settings (whisper-small.en) is not downloaded here.
    assert cli_main.main(["transcribe", str(spoken_wav)]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "hint:" in err and "models download" in err
    assert cli_main.main(["vad", str(tmp_path / "missing.wav")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert (
        cli_main.main(["speak", "hi", "-o", str(tmp_path / "x.wav"), "--voice", "piper-en_GB-alan-medium"])
        == 2
    )
    assert "hint:" in capsys.readouterr().err


def test_devices_lists_audio_and_screens(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main.main(["devices"]) == 0
    out = capsys.readouterr().out
    assert "Audio inputs:" in out and "Audio outputs:" in out and "Screens" in out


@needs_pulse
def test_devices_marks_the_default_pulse_devices(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main.main(["devices"]) == 0
    out = capsys.readouterr().out
    inputs = out.split("Audio outputs:")[0]
    outputs = out.split("Audio outputs:")[1].split("Screens")[0]
    assert "(default)" in inputs and "(default)" in outputs
