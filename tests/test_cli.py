"""nexus-cli: help, doctor and the screenshot command."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import main
from engine import paths
from tests.conftest import needs_display, needs_pulse

ROOT = Path(__file__).resolve().parents[1]


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("doctor", "models", "screenshot"):
        assert command in out


def test_doctor_reports_a_missing_model_with_advice(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["doctor"])
    captured = capsys.readouterr()
    assert code == 1
    assert "compute" in captured.out and "torch" in captured.out
    assert "model" in captured.err
    assert "To fix" in captured.err


@needs_pulse
@needs_display
def test_doctor_passes_when_everything_is_there(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model_dir = tmp_path / "local-model"
    model_dir.mkdir()
    (model_dir / "config.json").write_text('{"model_type": "qwen2_5_omni"}')
    (model_dir / "model.safetensors").write_bytes(b"\0" * 16)
    paths.config_file().parent.mkdir(parents=True)
    paths.config_file().write_text(f'[model]\nlocal_path = "{model_dir}"\n')
    code = main(["doctor"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Everything Nexus needs is here." in out


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


@pytest.mark.parametrize("tab", ["live", "expert"])
def test_screenshot_writes_a_png_of_the_main_window(tmp_path: Path, tab: str) -> None:
    out = tmp_path / f"{tab}.png"
    env = dict(os.environ)
    if not env.get("DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    result = subprocess.run(
        [sys.executable, "-m", "cli", "screenshot", str(out), "--tab", tab, "--width", "1000", "--height", "700"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert png_size(out) == (1000, 700)


def test_screenshot_without_a_display_says_what_to_do(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    result = subprocess.run(
        [sys.executable, "-m", "cli", "screenshot", str(tmp_path / "x.png")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Xvfb" in result.stderr
