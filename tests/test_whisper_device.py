"""Where Whisper runs: the GPU only with cuBLAS for CUDA 12, else the CPU with a note.

Only the two probes (how many GPUs CTranslate2 sees, whether cuBLAS 12 loads) are
replaced, to stand for a GPU machine; models, loading failures and transcripts are real.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import ctranslate2
import pytest

from engine.config import VoiceSettings, settings_from_values
from engine.speech import asr
from engine.speech.asr import CUBLAS_NOTE, CudaLibraries, WhisperTranscriber, plan_whisper_device
from engine.speech.errors import SpeechModelError
from tests.speech_fixtures import SENTENCE, padded_speech, synthesize_16k, wer, whisper_tiny_dir

ROOT = Path(__file__).resolve().parents[1]
NO_CUBLAS = CudaLibraries(False, (), ("libcublasLt.so.12", "libcublas.so.12"))
CUBLAS = CudaLibraries(True, ("/opt/cublas/libcublasLt.so.12", "/opt/cublas/libcublas.so.12"), ())
no_real_gpu = pytest.mark.skipif(
    ctranslate2.get_cuda_device_count() > 0, reason="checks what happens without a GPU"
)


def gpu_machine(monkeypatch: pytest.MonkeyPatch, libraries: CudaLibraries) -> None:
    """Make the probes answer as on a machine with one GPU and ``libraries``."""
    monkeypatch.setattr(asr, "cuda_device_count", lambda: 1)
    monkeypatch.setattr(asr, "load_cuda12_libraries", lambda: libraries)


def test_without_a_gpu_whisper_runs_int8_on_the_cpu_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(asr, "cuda_device_count", lambda: 0)
    placement = plan_whisper_device("auto", "auto")
    assert (placement.device, placement.compute_type, placement.note) == ("cpu", "int8", "")
    assert "no CUDA GPU" in placement.reason
    asked = plan_whisper_device("cuda", "auto")
    assert asked.device == "cpu" and "sees no CUDA device" in asked.note


def test_a_gpu_without_cublas_12_means_the_cpu_and_the_note(monkeypatch: pytest.MonkeyPatch) -> None:
    gpu_machine(monkeypatch, NO_CUBLAS)
    placement = plan_whisper_device("auto", "auto")
    assert (placement.device, placement.compute_type) == ("cpu", "int8")
    assert placement.note == CUBLAS_NOTE and "pip install nvidia-cublas-cu12" in CUBLAS_NOTE
    assert "libcublas.so.12" in placement.reason
    transcriber = WhisperTranscriber(whisper_tiny_dir(), "auto", "auto")
    assert (transcriber.device, transcriber.device_note) == ("cpu", CUBLAS_NOTE)
    speech = synthesize_16k(SENTENCE, noise_scale=0.0, noise_w_scale=0.0)
    assert wer(SENTENCE, transcriber.transcribe(padded_speech(speech, 0.3, 0.3)).text) <= 0.2


def test_a_gpu_with_cublas_12_is_used_in_float16(monkeypatch: pytest.MonkeyPatch) -> None:
    gpu_machine(monkeypatch, CUBLAS)
    placement = plan_whisper_device("auto", "auto")
    assert placement.device == "cuda" and placement.note == ""
    assert placement.compute_type in ("float16", "int8_float16", "int8", "float32")
    assert "libcublas.so.12" in placement.reason
    chosen = plan_whisper_device("cuda", "int8_float16").compute_type
    assert chosen in ("int8_float16", "float16", "int8", "float32")
    assert plan_whisper_device("cpu", "auto").device == "cpu"


@no_real_gpu
def test_a_gpu_model_that_fails_to_load_is_replaced_by_a_cpu_model(monkeypatch: pytest.MonkeyPatch) -> None:
    gpu_machine(monkeypatch, CUBLAS)
    transcriber = WhisperTranscriber(whisper_tiny_dir(), "auto", "auto")  # CTranslate2 really fails on CUDA here
    assert transcriber.device == "cpu" and transcriber.compute_type == "int8"
    assert transcriber.device_note.startswith("Whisper runs on the CPU: it failed on the GPU (")
    speech = synthesize_16k("Good morning everyone.", noise_scale=0.0, noise_w_scale=0.0)
    assert "morning" in transcriber.transcribe(speech).text.lower()


def test_gpu_only_compute_types_become_int8_on_the_cpu() -> None:
    placement = plan_whisper_device("cpu", "float16")
    assert placement.compute_type == "int8" and "float16 needs a GPU" in placement.note
    assert plan_whisper_device("cpu", "float32").compute_type == "float32"
    with pytest.raises(SpeechModelError) as err:
        plan_whisper_device("tpu", "auto")
    assert "Voices" in err.value.hint


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler to build stand-in libraries")
def test_cublas_from_the_pip_package_folder_is_loaded_and_found_by_name(tmp_path: Path) -> None:
    # Stand-ins with the sonames of nvidia-cublas-cu12's files, laid out as that wheel lays them out.
    folder = tmp_path / "site" / "nvidia" / "cublas" / "lib"
    folder.mkdir(parents=True)
    source = tmp_path / "stub.c"
    source.write_text("int cublas_stand_in(void) { return 12; }\n")
    for name in ("libcublasLt.so.12", "libcublas.so.12"):
        subprocess.run(
            ["cc", "-shared", "-fPIC", f"-Wl,-soname,{name}", "-o", str(folder / name), str(source)], check=True
        )
    script = textwrap.dedent(
        f"""
        import ctypes, sys
        sys.path.insert(0, {str(tmp_path / "site")!r})
        from engine.speech.asr import load_cuda12_libraries
        found = load_cuda12_libraries()
        assert found.loaded and not found.missing, found
        assert all(path.startswith({str(folder)!r}) for path in found.where), found
        ctypes.CDLL("libcublas.so.12")  # what CTranslate2 asks for, by name only
        print("found by name")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "found by name" in result.stdout


def test_voice_settings_carry_the_whisper_device_and_compute_type(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = VoiceSettings()
    assert (defaults.whisper_device, defaults.whisper_compute_type) == ("auto", "auto")
    chosen = settings_from_values({"voices": {"whisper_device": "cpu", "whisper_compute_type": "int8_float16"}})
    assert (chosen.voices.whisper_device, chosen.voices.whisper_compute_type) == ("cpu", "int8_float16")
    with pytest.raises(ValueError):
        VoiceSettings(whisper_device="gpu")  # type: ignore[arg-type]


def test_the_voices_page_edits_the_whisper_device_and_compute_type(qtbot) -> None:  # type: ignore[no-untyped-def]
    from app.settings_dialog import SettingsDialog
    from engine.config import load_settings

    dialog = SettingsDialog(load_settings())
    qtbot.addWidget(dialog)
    assert dialog.whisper_device.currentData() == "auto" and dialog.whisper_compute.currentData() == "auto"
    dialog.whisper_device.setCurrentIndex(dialog.whisper_device.findData("cpu"))
    dialog.whisper_compute.setCurrentIndex(dialog.whisper_compute.findData("float32"))
    voices = dialog.collect().voices
    assert (voices.whisper_device, voices.whisper_compute_type) == ("cpu", "float32")
