"""``nexus-cli doctor``: check that this machine can run Nexus, with advice."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from engine import system_info
from engine.config import Settings, load_settings
from engine.errors import NexusError


# Where CUDA toolkits install themselves when neither PATH nor CUDA_HOME names one.
DEFAULT_CUDA_HOME = Path("/usr/local/cuda")
# gptqmodel kernels compiled with nvcc the first time they are used (gptqmodel 7.7).
NVCC_BUILT_KERNELS = ("SwordfishLinear", "MacheteLinear", "MarlinLinear", "ExllamaV2Linear")


@dataclass
class Finding:
    """One checked item: what was found, and advice (a problem's fix, or a note when ``ok``)."""

    label: str
    detail: str
    ok: bool
    advice: str = ""


def check_compute() -> Finding:
    """torch and the compute device."""
    try:
        device = system_info.compute_device()
    except ImportError as exc:
        return Finding("torch", str(exc), False, "Reinstall Nexus: scripts/run installs torch.")
    import torch

    detail = f"torch {torch.__version__}, {device.describe()}"
    return Finding("compute", detail, True)


def check_audio() -> list[Finding]:
    """A microphone and a speaker."""
    report = system_info.audio_devices()
    if report.error:
        advice = "Install PortAudio (apt-get install libportaudio2) and start a sound server (PulseAudio/PipeWire)."
        return [Finding("audio", report.error, False, advice)]
    findings = []
    for label, devices in (("microphone", report.inputs), ("speaker", report.outputs)):
        names = ", ".join(sorted({d.name for d in devices})) or "none"
        findings.append(
            Finding(
                label,
                names,
                bool(devices),
                "" if devices else f"Connect a {label} or start a sound server; Live needs one.",
            )
        )
    return findings


def check_display() -> Finding:
    """A screen for the window and for screen sharing."""
    report = system_info.displays()
    if report.error or not report.screens:
        return Finding(
            "display",
            report.error or "no monitors",
            False,
            "Run inside a desktop session (DISPLAY must be set); for headless use, start Xvfb.",
        )
    sizes = ", ".join(f"#{s.index} {s.width}x{s.height}" for s in report.screens)
    return Finding("display", f"{report.display} ({sizes})", True)


def check_model(settings: Settings) -> Finding:
    """The configured thinker checkpoint is on disk."""
    from engine.models import ModelManager

    manager = ModelManager(settings.folders.resolved_models_dir())
    try:
        path = manager.resolve(settings.model.model_id, settings.model.local_path)
    except NexusError as exc:
        return Finding("model", exc.message, False, exc.hint)
    return Finding("model", f"{settings.model.model_id} at {path}", True)


def check_whisper(settings: Settings) -> Finding:
    """Where Whisper would run with the Voices settings, and why."""
    from engine.speech.asr import plan_whisper_device

    voices = settings.voices
    try:
        placement = plan_whisper_device(voices.whisper_device, voices.whisper_compute_type)
    except NexusError as exc:
        return Finding("whisper", exc.message, False, exc.hint)
    detail = f"{placement.device}, {placement.compute_type}: {placement.reason}"
    return Finding("whisper", detail, True, placement.note)


def find_nvcc() -> tuple[str | None, tuple[int, int] | None]:
    """The nvcc gptqmodel would build with (PATH, CUDA_HOME/CUDA_PATH, then /usr/local/cuda) and its version."""
    candidates = [shutil.which("nvcc")]
    for variable in ("CUDA_HOME", "CUDA_PATH"):
        if os.environ.get(variable):
            candidates.append(str(Path(os.environ[variable]) / "bin" / "nvcc"))
    candidates.append(str(DEFAULT_CUDA_HOME / "bin" / "nvcc"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            try:
                result = subprocess.run([candidate, "--version"], capture_output=True, text=True, timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                continue
            match = re.search(r"release (\d+)\.(\d+)", result.stdout + result.stderr)
            return candidate, (int(match.group(1)), int(match.group(2))) if match else None
    return None, None


def check_nvcc() -> Finding | None:
    """nvcc, which gptqmodel needs to build its fast CUDA kernels; None without a GPU."""
    import torch

    if not torch.cuda.is_available() or not torch.version.cuda:
        return None
    wanted = tuple(int(part) for part in torch.version.cuda.split(".")[:2])
    path, version = find_nvcc()
    if path is None:
        return Finding(
            "nvcc",
            f"not found (torch uses CUDA {torch.version.cuda})",
            True,
            "GPTQ models use the Triton or Torch kernels; for the faster Marlin/Machete kernels install the "
            f"CUDA {wanted[0]}.x toolkit and put nvcc on PATH or set CUDA_HOME.",
        )
    if version is None:
        return Finding(
            "nvcc", f"{path}: its version cannot be read", False, f"Run `{path} --version` to see what it is."
        )
    detail = f"{path}, CUDA {version[0]}.{version[1]} (torch uses CUDA {torch.version.cuda})"
    if version[0] != wanted[0]:
        return Finding(
            "nvcc",
            detail,
            False,
            f"gptqmodel builds its CUDA kernels with this nvcc, and torch refuses another major version: "
            f"install the CUDA {wanted[0]}.x toolkit and point CUDA_HOME at it (until then Nexus falls back "
            "to slower kernels).",
        )
    if version < (12, 8):
        return Finding(
            "nvcc", detail, False, "gptqmodel's kernels need nvcc 12.8 or newer: update the CUDA toolkit."
        )
    return Finding("nvcc", detail, True)


def check_gptq_kernels() -> Finding:
    """The GPTQ kernels gptqmodel can use on this machine's device, in the order it prefers them.

    Kernels compiled with nvcc on first use are listed without building them.
    """
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        os.environ.setdefault("GPTQMODEL_CPU_WORKERS", str(max(2, min(8, (os.cpu_count() or 2) // 2))))
        with contextlib.redirect_stdout(sys.stderr):  # gptqmodel prints a banner when imported
            from gptqmodel.models._const import DEVICE
            from gptqmodel.quantization import FORMAT, METHOD
            from gptqmodel.utils.importer import AUTO_BACKEND_KERNEL_MAPPING
    except ImportError as exc:
        return Finding("gptq kernels", f"gptqmodel cannot be imported: {exc}", False, "Reinstall Nexus.")
    family = DEVICE(device)
    names = []
    for kernel in AUTO_BACKEND_KERNEL_MAPPING[METHOD.GPTQ][FORMAT.GPTQ].values():
        if DEVICE.ALL not in kernel.SUPPORTS_DEVICES and family not in kernel.SUPPORTS_DEVICES:
            continue
        try:
            if DEVICE.ALL not in kernel.SUPPORTS_DEVICES:
                kernel.validate_device(family)  # capability checks only
            built = kernel.__name__ in NVCC_BUILT_KERNELS
            usable = True if built else kernel.cached_validate_once()[0]  # validating those would build them
        except (NotImplementedError, ValueError, RuntimeError, ImportError):
            continue
        if usable:
            names.append(kernel.__name__ + (" (built with nvcc on first use)" if built else ""))
    advice = "" if names else "Run GPTQ models on another device, or choose an unquantized model."
    return Finding("gptq kernels", f"{device}: " + (", ".join(names) or "none"), bool(names), advice)


def run(args: argparse.Namespace) -> int:
    """Print every finding; exit 1 when something needed is missing."""
    settings = load_settings()
    findings = [check_compute(), *check_audio(), check_display(), check_model(settings), check_whisper(settings)]
    nvcc = check_nvcc()
    findings += [nvcc, check_gptq_kernels()] if nvcc is not None else [check_gptq_kernels()]
    width = max(len(f.label) for f in findings)
    for finding in findings:
        mark = "ok " if finding.ok else "NO "
        print(f"{mark} {finding.label.ljust(width)}  {finding.detail}")
        if finding.ok and finding.advice:
            print(f"    {' ' * width}  {finding.advice}")
    versions = system_info.package_versions()
    print("    versions  " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    problems = [f for f in findings if not f.ok]
    if problems:
        print("\nTo fix:", file=sys.stderr)
        for finding in problems:
            print(f"- {finding.label}: {finding.advice}", file=sys.stderr)
        return 1
    print("\nEverything Nexus needs is here.")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``doctor`` to the CLI."""
    parser = subparsers.add_parser(
        "doctor", help="check torch/CUDA, audio, display, the model, Whisper's device, nvcc and GPTQ kernels"
    )
    parser.set_defaults(func=run)
