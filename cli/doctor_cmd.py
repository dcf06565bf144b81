"""``nexus-cli doctor``: check that this machine can run Nexus, with advice."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from engine import system_info
from engine.config import Settings, load_settings
from engine.errors import NexusError


@dataclass
class Finding:
    """One checked item: what was found, and advice when it is a problem."""

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


def run(args: argparse.Namespace) -> int:
    """Print every finding; exit 1 when something needed is missing."""
    settings = load_settings()
    findings = [check_compute(), *check_audio(), check_display(), check_model(settings)]
    width = max(len(f.label) for f in findings)
    for finding in findings:
        mark = "ok " if finding.ok else "NO "
        print(f"{mark} {finding.label.ljust(width)}  {finding.detail}")
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
    parser = subparsers.add_parser("doctor", help="check torch/CUDA, audio, display and the model")
    parser.set_defaults(func=run)
