"""nexus-cli doctor: Whisper's device and why, nvcc against torch's CUDA, gptqmodel's kernels.

On this machine without a GPU the GPU cases replace only the probes: torch's CUDA
availability and version, CTranslate2's GPU count and cuBLAS 12, and the nvcc found on PATH.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import torch

from cli import doctor_cmd
from cli.main import main
from engine.speech import asr
from engine.speech.asr import CUBLAS_NOTE, CudaLibraries


def test_doctor_prints_the_whisper_device_and_the_gptq_kernels(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(asr, "cuda_device_count", lambda: 0)
    main(["doctor"])
    out = capsys.readouterr().out
    assert "whisper       cpu, int8: CTranslate2 sees no CUDA GPU." in out
    kernels = next(line for line in out.splitlines() if "gptq kernels" in line)
    assert "cpu: " in kernels and "TorchLinear" in kernels
    assert "MarlinLinear" not in kernels, "CUDA kernels are not offered for the CPU"


def test_doctor_tells_why_whisper_leaves_a_gpu_without_cublas_12(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(asr, "cuda_device_count", lambda: 1)
    monkeypatch.setattr(asr, "load_cuda12_libraries", lambda: CudaLibraries(False, (), ("libcublas.so.12",)))
    main(["doctor"])
    out = capsys.readouterr().out
    assert "cpu, int8: a CUDA GPU is present, but libcublas.so.12 (cuBLAS for CUDA 12) cannot be loaded." in out
    assert CUBLAS_NOTE in out


def fake_nvcc(folder: Path, release: str) -> None:
    """An ``nvcc`` on PATH that reports ``release`` the way the real one does."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "nvcc"
    script.write_text(
        "#!/bin/sh\n"
        "echo 'nvcc: NVIDIA (R) Cuda compiler driver'\n"
        f"echo 'Cuda compilation tools, release {release}, V{release}.41'\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def gpu_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    """torch answers as a cu130 build with a GPU."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.version, "cuda", "13.0")
    monkeypatch.delenv("CUDA_HOME", raising=False)
    monkeypatch.delenv("CUDA_PATH", raising=False)


@pytest.mark.usefixtures("gpu_torch")
def test_nvcc_of_another_cuda_major_than_torch_is_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_nvcc(tmp_path / "bin", "12.4")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    finding = doctor_cmd.check_nvcc()
    assert finding is not None and not finding.ok
    assert "CUDA 12.4 (torch uses CUDA 13.0)" in finding.detail
    assert "CUDA 13.x toolkit" in finding.advice and "CUDA_HOME" in finding.advice


@pytest.mark.usefixtures("gpu_torch")
def test_nvcc_matching_torch_is_fine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_nvcc(tmp_path / "cuda" / "bin", "13.0")
    monkeypatch.setenv("CUDA_HOME", str(tmp_path / "cuda"))
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    finding = doctor_cmd.check_nvcc()
    assert finding is not None and finding.ok
    assert finding.detail.startswith(str(tmp_path / "cuda" / "bin" / "nvcc"))


@pytest.mark.usefixtures("gpu_torch")
def test_missing_nvcc_is_a_note_not_a_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setattr(doctor_cmd, "DEFAULT_CUDA_HOME", tmp_path / "no-cuda")
    finding = doctor_cmd.check_nvcc()
    assert finding is not None and finding.ok
    assert "not found" in finding.detail and "Triton or Torch kernels" in finding.advice


def test_no_nvcc_check_without_a_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert doctor_cmd.check_nvcc() is None


@pytest.mark.usefixtures("gpu_torch")
@pytest.mark.skipif(not (doctor_cmd.DEFAULT_CUDA_HOME / "bin" / "nvcc").is_file(), reason="no CUDA toolkit here")
def test_the_installed_toolkit_nvcc_is_found_and_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    path, version = doctor_cmd.find_nvcc()
    assert path == str(doctor_cmd.DEFAULT_CUDA_HOME / "bin" / "nvcc")
    assert version is not None and version >= (11, 0)
