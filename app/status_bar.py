"""The main window's status bar: model state, compute device and audio devices.

Probing torch and PortAudio takes seconds, so it runs off the Qt thread.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from app.live.lifetime import while_alive
from app.tasks import run_task
from app.widgets.labels import ElidedLabel
from engine import system_info
from engine.config import Settings


class NexusStatusBar(QStatusBar):
    """Three permanent fields that fill in as their probes finish."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_label = ElidedLabel("Model: checking…")
        self.device_label = QLabel("Compute: checking…")
        self.audio_label = QLabel("Audio: checking…")
        for label in (self.model_label, self.device_label, self.audio_label):
            label.setContentsMargins(6, 0, 6, 0)
            self.addPermanentWidget(label, 1 if label is self.model_label else 0)
        self.pending = 0

    def refresh(self, settings: Settings, model_loaded: bool = False) -> None:
        """Probe everything again (after start-up or a settings change).

        While a model is loaded its state comes from the engine host, not from the disk probe.
        """
        self.pending = 2 if model_loaded else 3
        if not model_loaded and settings.model.backend == "server":
            self._show_model(_server_state(settings), None)
            model_loaded = True  # nothing on disk to probe
        model_id = settings.model.model_id
        local_path = settings.model.local_path
        models_dir = settings.folders.resolved_models_dir()
        if not model_loaded:
            run_task(lambda: _model_state(model_id, local_path, models_dir), while_alive(self, self._show_model))
        run_task(system_info.compute_device, while_alive(self, self._show_device))
        run_task(system_info.audio_devices, while_alive(self, self._show_audio))

    def set_model_state(self, text: str) -> None:
        """Show what the engine is doing with the model (loading, ready, error)."""
        self.model_label.setText(f"Model: {text}")

    def _done(self) -> None:
        self.pending -= 1

    def _show_model(self, state: str | None, error: BaseException | None) -> None:
        self.set_model_state(state if error is None else f"unknown ({error})")
        self._done()

    def _show_device(self, device: system_info.ComputeDevice | None, error: BaseException | None) -> None:
        if error is not None or device is None:
            self.device_label.setText(f"Compute: unavailable ({error})")
        else:
            self.device_label.setText(device.describe())
            self.device_label.setToolTip("The model runs here.")
        self._done()

    def _show_audio(self, report: system_info.AudioReport | None, error: BaseException | None) -> None:
        if error is not None or report is None or report.error:
            self.audio_label.setText("Audio: unavailable")
            self.audio_label.setToolTip(str(error or (report.error if report else "")))
        else:
            mic = _default_name(report.inputs, "is_default_input")
            spk = _default_name(report.outputs, "is_default_output")
            self.audio_label.setText(f"Mic: {mic or 'none'} · Speaker: {spk or 'none'}")
            self.audio_label.setToolTip(
                "Inputs: " + ", ".join(d.name for d in report.inputs)
                + "\nOutputs: " + ", ".join(d.name for d in report.outputs)
            )
        self._done()


def _default_name(devices: list[system_info.AudioDevice], flag: str) -> str | None:
    """The system default device's name, else the first device's."""
    chosen = next((d for d in devices if getattr(d, flag)), devices[0] if devices else None)
    return chosen.name if chosen else None


def _server_state(settings: Settings) -> str:
    """What the status bar says of a model server before it is connected (no network probe here)."""
    from engine.remote.connect import server_label

    if not settings.model.server_url.strip():
        return "OpenAI-compatible server — no address (Settings → Model)"
    label = server_label(settings.model.server_url, settings.model.server_model)
    return f"{label} — server, connects when first needed"


def _model_state(model_id: str, local_path: Path | None, models_dir: Path) -> str:
    """A short description of the model that would load: the local folder when one is chosen, else the download."""
    from engine.errors import NexusError
    from engine.model_check import quick_check
    from engine.models import ModelManager

    if local_path is not None:
        name = Path(local_path).expanduser().name or str(local_path)
        try:
            quick_check("thinker", local_path)
        except NexusError:
            return f"{name} (local folder) — holds no usable model (Settings → Model → Local folder)"
        return f"{name} (local folder) — on disk, not loaded"
    name = model_id.rsplit("/", 1)[-1]
    try:
        ModelManager(models_dir).resolve(model_id)
    except NexusError:
        return f"{name} — not downloaded (File → Models…)"
    return f"{name} — on disk, not loaded"
