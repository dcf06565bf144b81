"""Play one media clip on the output device of the settings, in a worker thread."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Signal

from app.expert.datasets.common import error_text
from app.expert.datasets.media_preview import MAX_DECODED_S, read_audio
from app.live.lifetime import while_alive
from app.tasks import run_task
from engine.media.player import Player

_POLL_S = 0.1


def play_clip(path: Path, device: str | None, stop: threading.Event) -> None:
    """Play ``path`` to the end or until ``stop`` is set (worker thread; raises AudioDeviceError)."""
    samples, rate = read_audio(path)
    samples = samples[: int(MAX_DECODED_S * rate)]
    player = Player(device, sample_rate=rate, buffer_s=samples.size / rate + 1.0)
    player.start()
    try:
        player.enqueue(samples)
        while not player.wait_until_done(_POLL_S):
            if stop.is_set():
                player.stop()
                break
    finally:
        player.close()


class ClipPlayer(QObject):
    """Plays a clip at a time; ``playing_changed`` and ``failed`` arrive on the GUI thread."""

    playing_changed = Signal(bool)
    """Whether a clip is playing now."""
    failed = Signal(str)
    """Why a clip could not be played."""

    def __init__(self, device: str | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.device = device
        self.path: Path | None = None
        self._stop = threading.Event()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop)

    @property
    def playing(self) -> bool:
        """Whether a clip is playing."""
        return self.path is not None

    def play(self, path: Path) -> None:
        """Stop what plays and play ``path``."""
        self.stop()
        self._stop = threading.Event()
        stop = self._stop
        self.path = Path(path)
        device = self.device

        def ended(_result: object, error: BaseException | None) -> None:
            if self._stop is stop:
                self.path = None
                self.playing_changed.emit(False)
            if error is not None:
                self.failed.emit(f"The clip could not be played: {error_text(error)}")

        self.playing_changed.emit(True)
        run_task(lambda: play_clip(path, device, stop), while_alive(self, ended))

    def stop(self) -> None:
        """Stop the clip that plays (the device closes in the worker)."""
        self._stop.set()
        if self.path is not None:
            self.path = None
            self.playing_changed.emit(False)
