"""``nexus-cli data``: the workbench from the terminal, end to end on small data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from training.datasets.store import iter_samples, read_card


def test_generate_validate_mix_export_and_stats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    syn, pairs = tmp_path / "syn", tmp_path / "pairs"
    assert main(["data", "generate", str(syn), "--categories", "basic_arithmetic,fs_api_rest_crud", "--per-category", "8"]) == 0
    assert main(["data", "generate", str(pairs), "--pairs", "--categories", "code_security", "--per-category", "4"]) == 0
    assert read_card(syn).counts_by_category == {"basic_arithmetic": 8, "fs_api_rest_crud": 8}
    assert main(["data", "stats", str(syn)]) == 0
    assert "basic_arithmetic" in capsys.readouterr().out
    assert main(["data", "validate", str(syn), "-o", str(tmp_path / "clean")]) == 0
    assert "rows kept" in capsys.readouterr().out
    assert main(["data", "mix", str(syn), str(pairs), "-o", str(tmp_path / "mix"), "--real-fraction", "0"]) == 0
    assert (tmp_path / "mix" / "train" / "dataset.json").is_file()
    assert main(["data", "export", str(syn), "-o", str(tmp_path / "lf"), "--format", "llamafactory"]) == 0
    info = json.loads((tmp_path / "lf" / "dataset_info.json").read_text())
    assert info and len(list(iter_samples(syn))) == 16


def test_workbench_errors_are_reported_with_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["data", "load", "premium_rlhf", str(tmp_path / "hub"), "--total", "4"]) != 0
    assert "offline" in capsys.readouterr().err
    assert main(["data", "stats", str(tmp_path)]) != 0
    assert "not a dataset folder" in capsys.readouterr().err


def test_a_killed_generate_is_refused_as_input_and_rebuilt_by_a_rerun(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "syn"
    command = [sys.executable, "-m", "cli", "data", "generate", str(out), "--group", "base", "--per-category", "2000"]
    process = subprocess.Popen(command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(out.glob("*.jsonl*")):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert list(out.glob("*.jsonl*")) and not (out / "dataset.json").exists(), "killed mid-write"

    for argv in (["data", "validate", str(out), "-o", str(tmp_path / "clean")],
                 ["data", "mix", str(out), "-o", str(tmp_path / "mix")],
                 ["data", "stats", str(out)]):
        result = subprocess.run([sys.executable, "-m", "cli", *argv], cwd=root, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 2, (argv, result.stdout, result.stderr)
        assert "unfinished dataset" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "clean" / "dataset.json").exists() and not (tmp_path / "mix").exists()

    assert main(["data", "generate", str(out), "--categories", "basic_arithmetic", "--per-category", "8"]) == 0
    assert read_card(out).total == 8 and len(list(iter_samples(out))) == 8
    assert not list(out.glob("*.partial")) and not (out / ".writing").exists()
