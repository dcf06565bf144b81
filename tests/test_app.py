"""The main window: tabs, Settings persistence across restarts, geometry."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from app.settings_dialog import SettingsDialog
from engine import paths
from engine.config import load_settings


def open_window(qtbot: QtBot) -> MainWindow:
    window = MainWindow(load_settings())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_three_tabs_and_a_status_bar(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == ["Live", "Podcast", "Expert"]
    for name in ("podcast", "expert", "live"):
        window.select_tab(name)
        assert window.tabs.currentWidget().isVisible()
    qtbot.waitUntil(lambda: window.status.pending == 0, timeout=60_000)
    assert window.status.device_label.text().startswith(("CPU", "CUDA"))
    assert "not downloaded" in window.status.model_label.text()
    assert not window.status.audio_label.text().endswith("checking…")


def test_settings_are_saved_and_kept_after_a_restart(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    window.select_tab("expert")
    window.resize(1100, 760)
    dialog = window.open_settings()
    qtbot.waitExposed(dialog)
    assert isinstance(dialog, SettingsDialog)
    dialog.device_combo.setCurrentIndex(dialog.device_combo.findData("cpu"))
    dialog.temperature.setValue(0.35)
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert paths.config_file().exists()
    assert window.settings.model.device == "cpu"
    window.close()

    again = open_window(qtbot)
    assert again.settings.model.device == "cpu"
    assert again.settings.model.temperature == 0.35
    assert again.settings.ui.theme == "dark"
    assert again.tabs.currentIndex() == 2
    assert (again.width(), again.height()) == (1100, 760)
    again.close()


def test_invalid_settings_keep_the_dialog_open_with_a_message(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    dialog = window.open_settings()
    dialog.model_combo.setEditText("   ")
    dialog.accept()
    assert dialog.isVisible()
    assert "Choose a model" in dialog.error_label.text()
    assert not paths.config_file().exists()
    dialog.reject()


def test_broken_settings_file_is_not_overwritten_on_close(qtbot: QtBot, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    from app.main import load_or_report

    paths.config_file().parent.mkdir(parents=True)
    paths.config_file().write_text("not = [valid")
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: shown.append(args[2]))
    settings, writable = load_or_report()
    assert not writable and "not valid TOML" in shown[0]
    window = MainWindow(settings)
    window.persist_state = writable
    qtbot.addWidget(window)
    window.close()
    assert paths.config_file().read_text() == "not = [valid"
