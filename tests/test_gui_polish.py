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
    assert not window.live_panel.left_column.scrolls(), "the Live controls fit without scrolling"
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
