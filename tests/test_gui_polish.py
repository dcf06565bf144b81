"""What a first-time user meets in the GUI: small windows, messages, shortcuts and details of each tab.

Geometry tests open the real main window at its minimum size and check that
every visible widget the app placed is whole, inside its parent and clear of
its neighbours (``tests/layout_checks.py``), in the light and the dark theme.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.main_window import MINIMUM_SIZE, MainWindow
from app.theme import apply_theme
from engine.config import load_settings
from tests.layout_checks import layout_problems


def open_window(qtbot: QtBot, theme: str = "light", size: tuple[int, int] = MINIMUM_SIZE) -> MainWindow:
    """The main window with fresh settings in ``theme``, shown at ``size``."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    settings = load_settings()
    settings.ui.theme = theme  # type: ignore[assignment]
    apply_theme(app, theme)
    window = MainWindow(settings)
    window.persist_state = False
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    settle(qtbot)
    return window


def settle(qtbot: QtBot) -> None:
    """Let queued layout requests and paints run."""
    for _ in range(5):
        QApplication.processEvents()
    qtbot.wait(20)


def views(window: MainWindow) -> list[tuple[str, Callable[[], None]]]:
    """Every page a user can look at, with how to show it."""
    found: list[tuple[str, Callable[[], None]]] = [
        ("live", lambda: window.select_tab("live")),
        ("podcast", lambda: window.select_tab("podcast")),
    ]
    datasets = window.expert_panel.datasets_page
    for index in range(datasets.tabs.count()):
        def show(i: int = index) -> None:
            window.select_tab("expert")
            window.expert_panel.pages.setCurrentIndex(0)
            datasets.tabs.setCurrentIndex(i)
        found.append((f"expert/datasets/{datasets.tabs.tabText(index)}", show))
    build = datasets.build_panel
    for form in build.forms:
        def show_form(f=form) -> None:  # type: ignore[no-untyped-def]
            window.select_tab("expert")
            window.expert_panel.pages.setCurrentIndex(0)
            datasets.tabs.setCurrentIndex(2)
            build.choose(f)
        found.append((f"expert/datasets/Build/{form.title}", show_form))
    found.append(("expert/fine-tune", lambda: (window.select_tab("expert"),
                                               window.expert_panel.pages.setCurrentIndex(1))))
    return found


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_tab_lays_out_whole_in_the_smallest_window(qtbot: QtBot, theme: str,
                                                        shots: Callable[[str], Path]) -> None:
    window = open_window(qtbot, theme)
    assert (window.minimumWidth(), window.minimumHeight()) == MINIMUM_SIZE
    assert window.size().toTuple() == MINIMUM_SIZE, "the tabs must fit the minimum size, not stretch it"
    for name, show in views(window):
        show()
        settle(qtbot)
        assert layout_problems(window) == [], name
        assert window.size().toTuple() == MINIMUM_SIZE, name
    window.select_tab("live")
    settle(qtbot)
    # The column may scroll for what lies below, but Start and the source are in view without scrolling.
    column = window.live_panel.left_column
    for widget in (window.live_panel.source_combo, window.live_panel.start_button):
        top_left = widget.mapTo(column.viewport(), widget.rect().topLeft())
        assert column.viewport().rect().contains(widget.rect().translated(top_left)), widget
    window.grab().save(str(shots(f"minimum-{theme}.png")))


def test_a_banner_or_push_to_talk_never_grows_the_window_or_overlaps(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    live = window.live_panel
    live.mode_combo.setCurrentIndex(live.mode_combo.findData("push_to_talk"))
    for _ in range(3):
        live.banner.show_problem("The model could not be loaded: the weights file is damaged or incomplete.",
                                 "Run nexus-cli models verify, then download the model again.")
        settle(qtbot)
        assert window.size().toTuple() == MINIMUM_SIZE
        assert layout_problems(window) == []
        live.banner.dismiss()
        settle(qtbot)
    window.select_tab("podcast")
    window.podcast_panel.banner.show_problem("Generation stopped: the model answered with no usable outline.",
                                             "Try again, or choose another format.")
    settle(qtbot)
    assert window.size().toTuple() == MINIMUM_SIZE
    assert layout_problems(window) == []


def test_a_large_window_keeps_everything_in_place(qtbot: QtBot) -> None:
    window = open_window(qtbot, size=(1920, 1080))
    for name, show in views(window):
        show()
        settle(qtbot)
        assert layout_problems(window) == [], name


# ----- 13: the first-run dialog ---------------------------------------------------------------


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_first_run_dialog_grows_to_show_the_offline_error_whole(qtbot: QtBot, theme: str,
                                                                    shots: Callable[[str], Path]) -> None:
    from app.first_run_dialog import FirstRunDialog

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, theme)
    dialog = FirstRunDialog(load_settings())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert layout_problems(dialog) == []
    # The tests run with HF_HUB_OFFLINE=1: the download fails at once with the offline advice.
    with qtbot.waitSignal(dialog.download_finished, timeout=30_000):
        dialog.start_download()
    settle(qtbot)
    assert "Offline mode is on" in dialog.error_label.text()
    assert layout_problems(dialog) == []
    assert dialog.local_button.height() >= dialog.local_button.sizeHint().height()
    dialog.grab().save(str(shots(f"first-run-offline-{theme}.png")))
    dialog.reject()


# ----- 14: Settings ---------------------------------------------------------------------------


def _ok(dialog) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QDialogButtonBox

    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()


def test_settings_refuse_a_folder_without_a_model_and_check_speech_models_on_disk(
    qtbot: QtBot, tmp_path: Path, tiny_thinker_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QFileDialog

    from engine import paths
    from tests.speech_fixtures import piper_voice_onnx, whisper_tiny_dir

    window = open_window(qtbot)
    dialog = window.open_settings()
    qtbot.waitExposed(dialog)
    empty = tmp_path / "no-model"
    empty.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args: str(empty))
    dialog.local_model.browse_button.click()
    qtbot.waitUntil(lambda: dialog.local_model.status.ok is False, timeout=10_000)
    assert "config.json" in dialog.local_model.status.text()
    _ok(dialog)
    assert dialog.isVisible() and not paths.config_file().exists()
    assert dialog.error_label.text().startswith("Local folder:") and "config.json" in dialog.error_label.text()
    settle(qtbot)
    assert layout_problems(dialog) == []

    dialog.local_model.set_value(tiny_thinker_dir)
    qtbot.waitUntil(lambda: dialog.local_model.status.ok is True, timeout=10_000)
    assert "Qwen2.5-Omni thinker" in dialog.local_model.status.text()

    # Whisper and Piper models on disk: Browse, then a real load says they work.
    dialog.tabs.setCurrentIndex(2)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args: str(whisper_tiny_dir()))
    dialog.whisper_field.browse_button.click()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args: (str(piper_voice_onnx()), ""))
    dialog.assistant_field.browse_button.click()
    qtbot.waitUntil(lambda: dialog.whisper_field.status.ok is True and dialog.assistant_field.status.ok is True,
                    timeout=60_000)
    assert dialog.whisper_field.status.text().startswith("✓ Loads")
    assert dialog.assistant_field.status.text().startswith("✓ Loads and speaks")
    dialog.host_b_field.set_value(tmp_path)
    qtbot.waitUntil(lambda: dialog.host_b_field.status.ok is False, timeout=10_000)
    settle(qtbot)
    assert layout_problems(dialog) == []
    _ok(dialog)
    assert dialog.isVisible() and dialog.error_label.text().startswith("Podcast host B:")

    dialog.host_b_field.set_value(piper_voice_onnx())
    _ok(dialog)
    assert not dialog.isVisible()
    saved = load_settings()
    assert saved.model.local_path == tiny_thinker_dir
    assert Path(saved.voices.whisper_model) == whisper_tiny_dir()
    assert Path(saved.voices.assistant_voice) == Path(saved.voices.host_b_voice) == piper_voice_onnx()


def test_the_status_bar_and_the_fine_tune_form_follow_a_local_folder(qtbot: QtBot, tiny_thinker_dir: Path) -> None:
    window = open_window(qtbot)
    window.apply_settings(window.settings.model_copy(
        update={"model": window.settings.model.model_copy(update={"local_path": tiny_thinker_dir})}))
    qtbot.waitUntil(lambda: "checking" not in window.status.model_label.text(), timeout=10_000)
    qtbot.waitUntil(lambda: "local folder" in window.status.model_label.text(), timeout=10_000)
    text = window.status.model_label.text()
    assert tiny_thinker_dir.name in text and "7B" not in text and "on disk" in text
    assert window.expert_panel.jobs_page.form.model_edit.text() == str(tiny_thinker_dir)


def test_a_new_models_folder_reloads_a_loaded_model_and_the_folders_page_says_what_applies_when(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.omni.scripted import ScriptedEngine

    window = open_window(qtbot)
    window.engine_host.set_engine(ScriptedEngine(["hello"]), "scripted", "cpu")
    loads: list[Path] = []
    monkeypatch.setattr(window.engine_host, "load", lambda s: loads.append(s.folders.resolved_models_dir()))
    moved = window.settings.model_copy(deep=True)
    moved.folders.models_dir = tmp_path / "models"
    window.apply_settings(moved)
    assert loads == [tmp_path / "models"]
    dialog = window.open_settings()
    assert "applies at once" in dialog.folders_note.text() and "next starts" in dialog.folders_note.text()
    dialog.reject()


def test_file_models_offers_no_download_that_a_local_choice_covers(qtbot: QtBot, tiny_thinker_dir: Path) -> None:
    from app.first_run_dialog import FirstRunDialog
    from tests.speech_fixtures import piper_voice_onnx, whisper_tiny_dir

    settings = load_settings()
    settings.model.local_path = tiny_thinker_dir
    voice = str(piper_voice_onnx())
    settings.voices = settings.voices.model_copy(update={
        "whisper_model": str(whisper_tiny_dir()), "assistant_voice": voice, "host_a_voice": voice,
        "host_b_voice": voice})
    dialog = FirstRunDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.speech_boxes == {} and dialog.pending_keys() == []
    assert not dialog.download_button.isEnabled() and dialog.continue_button.isEnabled()
    assert len(dialog.local_speech) == 4 and str(whisper_tiny_dir()) in dialog.local_speech[0]
    assert layout_problems(dialog) == []


# ----- 15: messages ---------------------------------------------------------------------------


def test_an_unexpected_error_gets_a_sentence_and_the_log_files_path(qtbot: QtBot, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import app.podcast.sources_list as sources_module
    from app.live.indicators import Banner
    from app.podcast.sources_list import SourcesList
    from engine import paths

    log_file = str(paths.log_dir() / "nexus.log")

    def broken(target: str) -> object:
        raise ValueError("embedded null character")

    monkeypatch.setattr(sources_module, "load_source", broken)
    sources = SourcesList()
    qtbot.addWidget(sources)
    sources.add([tmp_path / "paper.pdf"])
    qtbot.waitUntil(lambda: not sources.reading, timeout=10_000)
    entry = sources.entries()[0]
    assert entry.error.startswith("paper.pdf could not be read. A file name, address or text contains a null")
    assert entry.hint.startswith("Remove it") and "see the log file" not in entry.hint.lower()

    banner = Banner()
    qtbot.addWidget(banner)
    banner.show_error(KeyError("thinker.model.layers.0"))
    assert banner.message_label.text().startswith("Something unexpected went wrong (KeyError")
    assert log_file in banner.hint_label.text()
    banner.show_error(PermissionError(13, "Permission denied", "/data/episodes"))
    assert banner.message_label.text() == "Permission denied for /data/episodes."
    assert "permissions" in banner.hint_label.text()


def test_eval_every_says_it_does_nothing_without_a_validation_split(qtbot: QtBot, tmp_path: Path) -> None:
    from app.expert.jobs.job_form import JobForm

    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "dataset.json").write_text("{}")
    mixed = tmp_path / "mixed"
    for split in ("train", "val"):
        (mixed / split).mkdir(parents=True)
        (mixed / split / "dataset.json").write_text("{}")
    form = JobForm(None, tmp_path)
    qtbot.addWidget(form)
    assert form.eval_spin.isEnabled() and form.eval_note() == ""
    form.set_datasets([str(plain)])
    note = form.eval_note()
    assert note.startswith("No eval loss will be computed") and "Mix" in note
    assert not form.eval_spin.isEnabled() and form.eval_spin.toolTip() == note
    form.set_datasets([str(plain), str(mixed)])
    assert form.eval_note() == "" and form.eval_spin.isEnabled()


# ----- 16: polish -----------------------------------------------------------------------------


def test_ctrl_comma_opens_settings(qtbot: QtBot) -> None:
    from PySide6.QtCore import Qt

    from app.settings_dialog import SettingsDialog

    window = open_window(qtbot)
    assert "Ctrl+," in [key.toString() for key in window.settings_action.shortcuts()]
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    qtbot.keyClick(window.tabs.currentWidget(), Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: any(d.isVisible() for d in window.findChildren(SettingsDialog)), timeout=5_000)
    for dialog in window.findChildren(SettingsDialog):
        dialog.reject()


def test_space_plays_and_pauses_the_podcast_unless_a_text_box_has_the_focus(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import Qt

    window = open_window(qtbot)
    window.select_tab("podcast")
    panel = window.podcast_panel
    toggles: list[bool] = []
    monkeypatch.setattr(panel, "toggle", lambda: toggles.append(True))
    panel.player.player_bar.set_state("closed", can_play=True)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    panel.library.tree.setFocus()
    qtbot.keyClick(panel.library.tree, Qt.Key.Key_Space)
    assert toggles == [True]
    panel.form.steer_edit.setFocus()
    qtbot.keyClick(panel.form.steer_edit, Qt.Key.Key_Space)
    assert toggles == [True] and panel.form.steer_edit.toPlainText() == " "
    window.select_tab("live")
    window.live_panel.transcript_view.setFocus()
    qtbot.keyClick(window.live_panel.transcript_view, Qt.Key.Key_Space)
    assert toggles == [True], "Space belongs to the podcast only while its tab is shown"


def test_the_seek_bar_plays_from_the_turn_chosen(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QAbstractSlider

    from app.podcast.player_bar import PlayerBar

    bar = PlayerBar()
    qtbot.addWidget(bar)
    bar.set_state("closed", can_play=True)
    bar.set_position(2, 10, 30.0, 300.0)
    assert (bar.seek_slider.minimum(), bar.seek_slider.maximum(), bar.seek_slider.value()) == (0, 9, 2)
    assert (bar.elapsed_label.text(), bar.duration_label.text()) == ("0:30", "5:00")
    assert bar.position_label.text() == "Turn 3 of 10" and bar.seek_slider.isEnabled()
    with qtbot.waitSignal(bar.seek_requested) as sought:
        bar.seek_slider.triggerAction(QAbstractSlider.SliderAction.SliderPageStepAdd)
    assert sought.args == [3]


def test_dark_mode_meter_looks_empty_and_banner_text_follows_the_theme(qtbot: QtBot,
                                                                     shots: Callable[[str], Path]) -> None:
    window = open_window(qtbot, "light")
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, "dark")
    settle(qtbot)
    live = window.live_panel
    live.banner.show_problem("The model could not be loaded.", "Run nexus-cli models verify.")
    settle(qtbot)
    text = app.palette().color(app.palette().ColorRole.WindowText)
    assert live.banner.message_label.palette().color(live.banner.message_label.foregroundRole()) == text
    image = live.level_meter.grab().toImage()
    middle = image.pixelColor(image.width() // 2, image.height() // 2)
    window_color = app.palette().color(app.palette().ColorRole.Window)
    assert abs(middle.lightness() - window_color.lightness()) < 40, "an idle meter reads as an empty track"
    window.grab().save(str(shots("dark-after-switch.png")))


@pytest.mark.skipif(not __import__("os").environ.get("DISPLAY"), reason="needs the Xvfb display from scripts/test")
def test_start_and_stop_stay_in_place_and_rows_do_not_jump(qtbot: QtBot) -> None:
    from engine.config import LiveSettings
    from engine.live.factory import build_live_parts
    from engine.omni.scripted import ScriptedEngine

    window = open_window(qtbot)
    live = window.live_panel
    engine = ScriptedEngine(["Fine."])
    live.host.set_engine(engine, name="Scripted", device="cpu")
    live.mode_combo.setCurrentIndex(live.mode_combo.findData("text_only"))
    live.mute_box.setChecked(True)
    settle(qtbot)
    before = (live.start_button.geometry(), live.mode_combo.mapTo(window, live.mode_combo.rect().topLeft()))
    live.start_session(lambda: build_live_parts(engine, LiveSettings(mode="text_only", mute_voice=True,
                                                                      source="screen:1"), whisper=None, voice=None))
    qtbot.waitUntil(lambda: live.runner.running, timeout=20_000)
    qtbot.waitUntil(live.capture_indicator.isVisible, timeout=5_000)
    settle(qtbot)
    assert live.start_button.text() == "Stop"
    after = (live.start_button.geometry(), live.mode_combo.mapTo(window, live.mode_combo.rect().topLeft()))
    assert after == before
    live.stop_session()
    qtbot.waitUntil(lambda: live.runner.phase == "idle", timeout=20_000)


def test_long_dataset_names_keep_their_ends_and_the_loss_axis_labels_differ(qtbot: QtBot) -> None:
    from PySide6.QtCore import Qt

    from app.expert.datasets.library import LibraryView
    from app.expert.jobs.loss_plot import LossPlot

    library = LibraryView(Path("/nonexistent"))
    qtbot.addWidget(library)
    assert library.tree.textElideMode() == Qt.TextElideMode.ElideMiddle
    metrics = library.tree.fontMetrics()
    names = ["hub-openhermes-2.5-20250101-120000", "hub-openhermes-2.5-20250101-120000-clean"]
    shown = {metrics.elidedText(name, library.tree.textElideMode(), 160) for name in names}
    assert len(shown) == 2

    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.add_rows([{"step": s, "max_steps": 20, "loss": 2.3010 + 0.0002 * s} for s in range(1, 21)])
    axis = plot.axis_y
    step, first = axis.tickInterval(), axis.tickAnchor()
    ticks = []
    value = first
    while value <= axis.max() + 1e-12:
        if value >= axis.min() - 1e-12:
            ticks.append(axis.labelFormat() % value)
        value += step
    assert len(ticks) >= 3 and len(set(ticks)) == len(ticks), ticks
