"""What this machine offers Nexus: compute device, audio devices, screens, versions.

Each probe catches its own failure and reports it as text, so one missing
piece (no PortAudio, no display) never hides the others.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ComputeDevice:
    """The device the model will run on."""

    kind: str  # "cuda" or "cpu"
    name: str
    free_bytes: int | None = None
    total_bytes: int | None = None

    def describe(self) -> str:
        """One line for the status bar, e.g. ``CUDA: NVIDIA H100 (71.2 / 79.6 GiB free)``."""
        if self.kind == "cuda" and self.free_bytes is not None and self.total_bytes:
            gib = 1024**3
            return f"CUDA: {self.name} ({self.free_bytes / gib:.1f} / {self.total_bytes / gib:.1f} GiB free)"
        return f"{self.kind.upper()}: {self.name}"


@dataclass(frozen=True)
class AudioDevice:
    """One PortAudio device."""

    index: int
    name: str
    inputs: int
    outputs: int
    default_samplerate: float
    is_default_input: bool = False
    is_default_output: bool = False


@dataclass
class AudioReport:
    """Audio devices, or why they could not be listed."""

    devices: list[AudioDevice] = field(default_factory=list)
    error: str = ""

    @property
    def inputs(self) -> list[AudioDevice]:
        """Devices with at least one input channel."""
        return [d for d in self.devices if d.inputs > 0]

    @property
    def outputs(self) -> list[AudioDevice]:
        """Devices with at least one output channel."""
        return [d for d in self.devices if d.outputs > 0]


@dataclass(frozen=True)
class Screen:
    """One monitor as mss sees it."""

    index: int
    left: int
    top: int
    width: int
    height: int


@dataclass
class DisplayReport:
    """Screens available for capture, or why there are none."""

    display: str
    screens: list[Screen] = field(default_factory=list)
    error: str = ""


def compute_device() -> ComputeDevice:
    """CUDA device with free memory when torch sees one, else the CPU."""
    import torch

    if torch.cuda.is_available():
        index = torch.cuda.current_device()
        free, total = torch.cuda.mem_get_info(index)
        return ComputeDevice("cuda", torch.cuda.get_device_name(index), free, total)
    cpu = platform.processor() or platform.machine()
    return ComputeDevice("cpu", f"{cpu}, {os.cpu_count()} cores")


def audio_devices() -> AudioReport:
    """List PortAudio devices with sounddevice."""
    try:
        import sounddevice as sd

        default_in, default_out = sd.default.device
        devices = [
            AudioDevice(
                index=i,
                name=str(d["name"]),
                inputs=int(d["max_input_channels"]),
                outputs=int(d["max_output_channels"]),
                default_samplerate=float(d["default_samplerate"]),
                is_default_input=i == default_in,
                is_default_output=i == default_out,
            )
            for i, d in enumerate(sd.query_devices())
        ]
        return AudioReport(devices)
    except (OSError, ImportError) as exc:  # PortAudio missing, or no sound server
        return AudioReport(error=f"audio devices unavailable: {exc}")
    except Exception as exc:  # sounddevice raises PortAudioError, a plain Exception
        return AudioReport(error=f"audio devices unavailable: {exc}")


def displays() -> DisplayReport:
    """List monitors that mss can capture (index 1.. are real monitors)."""
    display = os.environ.get("DISPLAY", "") or os.environ.get("WAYLAND_DISPLAY", "")
    try:
        import mss

        with mss.MSS() as grabber:
            screens = [
                Screen(i, m["left"], m["top"], m["width"], m["height"])
                for i, m in enumerate(grabber.monitors)
                if i > 0
            ]
        return DisplayReport(display, screens)
    except Exception as exc:  # mss raises ScreenShotError when no X server answers
        return DisplayReport(display, error=f"no screen to capture: {exc}")


TRACKED_PACKAGES = (
    "torch",
    "torchvision",
    "transformers",
    "optimum",
    "gptqmodel",
    "peft",
    "faster-whisper",
    "piper-tts",
    "PySide6",
    "livekit",
    "sounddevice",
    "mss",
    "huggingface_hub",
)


def package_versions(names: tuple[str, ...] = TRACKED_PACKAGES) -> dict[str, str]:
    """Installed versions of the packages Nexus depends on ("missing" when absent)."""
    versions: dict[str, str] = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions
