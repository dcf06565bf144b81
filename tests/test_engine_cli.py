"""nexus-cli ask and engine info on the tiny thinker."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from cli.main import main


def test_ask_streams_an_answer_with_image_and_audio(
    tiny_thinker_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "shot.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (720, 1280, 3), dtype=np.uint8)).save(image)
    audio = tmp_path / "q.wav"
    sf.write(audio, (0.1 * np.random.default_rng(1).standard_normal(44_100 * 2)).astype(np.float32), 44_100)
    code = main(
        ["ask", "--model", str(tiny_thinker_dir), "--image", str(image), "--audio", str(audio),
         "--max-new-tokens", "6", "--device", "cpu", "What is on my screen?"]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert "'image': 60" in captured.err and "'audio': 50" in captured.err
    assert "generated" in captured.err


def test_engine_info_prints_the_model(tiny_thinker_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["engine", "info", "--model", str(tiny_thinker_dir), "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "bfloat16" in out and "cpu" in out and "GiB" in out
    assert "kernel      none" in out, "an unquantized thinker has no GPTQ kernel"
    assert "whisper     cpu, int8" in out


def test_ask_with_a_bad_image_says_why(tiny_thinker_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "not-an-image.png"
    bad.write_text("hello")
    assert main(["ask", "--model", str(tiny_thinker_dir), "--image", str(bad), "hi"]) == 2
    assert "cannot be read" in capsys.readouterr().err


def test_ask_without_a_model_says_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "hi"]) == 2
    assert "nexus-cli models download" in capsys.readouterr().err
