"""nexus-cli live --no-gui: the terminal loop with typed turns."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import needs_display

ROOT = Path(__file__).resolve().parents[1]


@needs_display
def test_terminal_loop_answers_a_typed_question(tiny_thinker_dir: Path, nexus_dirs: dict[str, Path]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cli", "live", "--no-gui", "--screen", "--text-only", "--mute", "--record",
         "--model", str(tiny_thinker_dir), "--device", "cpu", "--wait-after-input", "6"],
        input=b"What is on my screen?\n",
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        timeout=240,
    )
    out = result.stdout.decode("utf-8", "replace")
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 0, err
    assert "you: What is on my screen?" in out
    assert "nexus: " in out
    assert "(speaking)" in err and "session saved in" in err
    transcript = next((nexus_dirs["data"] / "sessions").glob("*/transcript.jsonl"))
    assert '"user": "What is on my screen?"' in transcript.read_text()


def test_terminal_loop_needs_no_gui_flag() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cli", "live"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2 and "--no-gui" in result.stderr
