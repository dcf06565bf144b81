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
