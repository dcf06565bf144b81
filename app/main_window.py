"""The main window: Live, Podcast and Expert tabs, menus and the status bar."""

from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox, QTabWidget, QWidget

from app.about_dialog import AboutDialog
from app.engine_host import EngineHost, engine_choice_changed
from app.expert.panel import ExpertPanel
from app.live.panel import LivePanel
from app.podcast.panel import PodcastPanel
from app.settings_dialog import SettingsDialog
from app.status_bar import NexusStatusBar
from app.theme import apply_theme
from engine.config import Settings, save_settings

log = logging.getLogger(__name__)

TAB_NAMES = ("live", "podcast", "expert")
# The smallest window every tab lays out in without cutting or overlapping anything
# (half of a 1920-pixel screen, or a small laptop's screen with its panels).
MINIMUM_SIZE = (900, 600)


def model_source_changed(old: Settings, new: Settings) -> bool:
    """Whether ``new`` loads the thinker from elsewhere: another model, local folder, device or server,
    or another models folder when the downloaded model is used."""
    if engine_choice_changed(old.model, new.model):
        return True
    downloaded = new.model.backend == "local" and new.model.local_path is None
    return downloaded and old.folders.resolved_models_dir() != new.folders.resolved_models_dir()


class MainWindow(QMainWindow):
    """Top-level window; owns the settings object while the app runs."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        # False while the settings file on disk is broken: closing must not overwrite it.
        self.persist_state = True
        self.setWindowTitle("Nexus")
        self.setMinimumSize(*MINIMUM_SIZE)
        self.resize(1180, 760)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.engine_host = EngineHost(self)
        self.live_panel = LivePanel(settings, self.engine_host)
        self.podcast_panel = PodcastPanel(settings, self.engine_host)
        self.expert_panel = ExpertPanel(settings, self.engine_host)
        self.tabs.addTab(self.live_panel, "Live")
        self.tabs.addTab(self.podcast_panel, "Podcast")
        self.tabs.addTab(self.expert_panel, "Expert")
        self.setCentralWidget(self.tabs)
        self.status = NexusStatusBar()
        self.setStatusBar(self.status)
        self.engine_host.state_changed.connect(self.status.set_model_state)
        self._build_menus()
        self._restore_state()
        self.status.refresh(settings)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.settings_action = QAction("&Settings…", self)
        # The platform's key (Cmd+, on macOS), and Ctrl+, everywhere: Linux desktops define none.
        keys = [*QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences), QKeySequence("Ctrl+,")]
        unique = {key.toString(): key for key in keys if not key.isEmpty()}
        self.settings_action.setShortcuts(list(unique.values()))
        self.settings_action.triggered.connect(self.open_settings)
        file_menu.addAction(self.settings_action)
        self.models_action = QAction("&Models…", self)
        self.models_action.triggered.connect(self.open_first_run)
        file_menu.addAction(self.models_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        view_menu = self.menuBar().addMenu("&View")
        for index, name in enumerate(("&Live", "&Podcast", "&Expert")):
            action = QAction(name, self)
            action.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
            action.triggered.connect(lambda _=False, i=index: self.tabs.setCurrentIndex(i))
            view_menu.addAction(action)
        help_menu = self.menuBar().addMenu("&Help")
        about_action = QAction("&About Nexus", self)
        about_action.triggered.connect(lambda: AboutDialog(self).exec())
        help_menu.addAction(about_action)

    def _restore_state(self) -> None:
        geometry = self.settings.ui.window_geometry
        if geometry:
            self.restoreGeometry(QByteArray.fromBase64(geometry.encode("ascii")))
        self.tabs.setCurrentIndex(self.settings.ui.last_tab)

    def select_tab(self, name: str) -> None:
        """Show the tab called ``name`` (live, podcast or expert)."""
        self.tabs.setCurrentIndex(TAB_NAMES.index(name))

    def open_settings(self) -> SettingsDialog:
        """Open the Settings dialog; applied when the user presses OK."""
        dialog = SettingsDialog(self.settings, self)
        dialog.accepted.connect(lambda: self.apply_settings(dialog.result_settings))
        dialog.open()
        return dialog

    def apply_settings(self, settings: Settings | None) -> None:
        """Adopt settings saved by the dialog."""
        if settings is None:
            return
        in_use = self.engine_host.engine is not None or self.engine_host.loading
        if in_use and model_source_changed(self.settings, settings):
            self.engine_host.load(settings)  # another model, folder or server: the next answer comes from it
        self.settings = settings
        self.persist_state = True
        self.live_panel.set_settings(settings)
        self.podcast_panel.set_settings(settings)
        self.expert_panel.set_settings(settings)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, settings.ui.theme)
        self.status.refresh(settings, model_loaded=self.engine_host.engine is not None)

    def open_first_run(self) -> None:
        """Open the model chooser and downloader."""
        from app.first_run_dialog import FirstRunDialog

        dialog = FirstRunDialog(self.settings, self)
        dialog.finished.connect(lambda _code: self._after_first_run())
        dialog.open()

    def maybe_show_first_run(self) -> None:
        """On the very first start, offer to choose and download a model."""
        if not self.settings.ui.first_run_done:
            QTimer.singleShot(0, self.open_first_run)

    def _after_first_run(self) -> None:
        self.settings.ui.first_run_done = True
        if self.persist_state:
            self._save_quietly()
        self.status.refresh(self.settings, model_loaded=self.engine_host.engine is not None)

    def _save_quietly(self) -> None:
        try:
            save_settings(self.settings)
        except OSError as exc:
            log.error("settings not saved: %s", exc)
            QMessageBox.warning(self, "Settings not saved", f"The settings file could not be written: {exc}")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        """Stop a running session, remember geometry and the open tab."""
        self.live_panel.shutdown()
        self.podcast_panel.shutdown()
        self.expert_panel.jobs_page.shutdown()
        self.settings.ui.window_geometry = bytes(self.saveGeometry().toBase64()).decode("ascii")
        self.settings.ui.last_tab = self.tabs.currentIndex()
        if self.persist_state:
            self._save_quietly()
        super().closeEvent(event)
