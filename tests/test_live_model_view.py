"""The Live tab's "what the model sees" view and the window picker.

* the view shows a turn's overview and native focus with their tokens, and says when a follow-up
  over an unchanged screen sends nothing;
* attached to a running session it shows each turn's pictures as the engine's media rule sends them;
* a picture opens at full size;
* the source picker lists other programs' windows (python-xlib on the Xvfb display) and says when
  windows cannot be listed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.live.model_view import ModelView
from app.live.window_sources import NO_WINDOWS, ShareCombo
from engine.config import LiveSettings
from engine.live.session import LiveParts, LiveSession
from engine.media.frame_policy import FOCUS, OVERVIEW, FocusHints, FramePolicy
from engine.media.frame_ring import FrameRing
from engine.media.frames import Frame
from engine.omni.media_policy import MediaPolicy
from engine.omni.scripted import ScriptedEngine
from engine.omni.turn import Message, Turn, UserContent
from tests.conftest import needs_display


def screen_shot(seed: int = 0, pointer: tuple[int, int] = (900, 500)) -> Any:
    picture = np.random.default_rng(seed).integers(0, 255, (1080, 1920, 3), dtype=np.uint8)
    return FramePolicy().shoot(picture, FocusHints(pointer=pointer))


class PreparingEngine(ScriptedEngine):
    """A scripted engine that applies the media rule to each turn, as the real backends do."""

    def __init__(self, answers: list[str]) -> None:
        super().__init__(answers)
        self.policy = MediaPolicy()

    def stream(self, turn: Turn, cancel: Any = None) -> Iterator[str]:
        self.policy.prepare(turn)
        return super().stream(turn, cancel)


def make_view(qtbot: QtBot) -> ModelView:
    view = ModelView()
    qtbot.addWidget(view)
    view.resize(340, 220)
    view.show()
    return view


def test_the_view_shows_overview_and_focus_with_their_tokens(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    shot = screen_shot()
    first = UserContent("What is this?", images=[shot])
    view.show_turn(Turn(first))
    assert view.sight is not None
    assert [p.kind for p in view.sight.pictures] == [OVERVIEW, FOCUS]
    assert len(view.thumbs) == 2 and all(not t.pixmap().isNull() for t in view.thumbs)
    assert view.captions[0].text() == "Overview\n588×336 · 252 tokens"
    assert view.captions[1].text() == "Focus (native)\n1344×756 · 1,296 tokens"
    assert view.summary.text() == "1,548 visual tokens this turn."
    # The engine sends the same: the view planned with the rule prepare applies.
    MediaPolicy().prepare(Turn(first))
    assert [id(i) for i in first.images] == [id(p.image) for p in view.sight.pictures]
    history = [Message("user", first.text, first), Message("assistant", "Code.")]
    view.show_turn(Turn(UserContent("And now?", images=[shot]), history=history))
    assert view.thumbs == [] and view.summary.text().startswith("Nothing new: the screen is unchanged")


def test_a_picture_opens_at_full_size(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.show_turn(Turn(UserContent(images=[screen_shot()])))
    dialog = view.open_picture(1)
    qtbot.addWidget(dialog)
    label = dialog.findChild(type(view.summary))
    assert label is not None and (label.pixmap().width(), label.pixmap().height()) == (1344, 756)
    dialog.close()


def test_the_view_follows_a_running_sessions_turns(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    frames = FrameRing(8, 60.0)
    frames.push(Frame(screen_shot(1), time.monotonic(), "screen:1"))
    session = LiveSession(
        LiveParts(PreparingEngine(["Fine."]), frames), LiveSettings(mode="text_only", clip_seconds=0)
    )
    view.attach(session)
    session.start()
    try:
        session.submit_text("What do you see?")
        qtbot.waitUntil(lambda: view.sight is not None, timeout=10_000)
        assert view.sight is not None and [p.kind for p in view.sight.pictures] == [OVERVIEW, FOCUS]
        qtbot.waitUntil(lambda: len(session.history) == 2, timeout=10_000)
        session.submit_text("And now?")
        qtbot.waitUntil(lambda: view.sight is not None and not view.sight.pictures, timeout=10_000)
        assert view.sight.dropped == 2
    finally:
        session.stop()
        view.detach()


@pytest.fixture
def foreign_window() -> Iterator[int]:
    """A window of another X client (not a Qt window of this process), titled "Editor of someone else"."""
    from Xlib import X, display

    connection = display.Display()
    screen = connection.screen()
    window = screen.root.create_window(
        60, 80, 500, 320, 0, screen.root_depth, X.InputOutput, X.CopyFromParent,
        background_pixel=screen.white_pixel,
    )
    window.set_wm_name("Editor of someone else")
    window.map()
    connection.sync()
    yield int(window.id)
    window.destroy()
    connection.sync()
    connection.close()


@needs_display
def test_the_picker_lists_other_programs_windows(qtbot: QtBot, foreign_window: int) -> None:
    combo = ShareCombo("screen:1")
    qtbot.addWidget(combo)
    source = f"window:{foreign_window:#x}"
    qtbot.waitUntil(lambda: combo.findData(source) >= 0, timeout=10_000)
    assert combo.itemText(combo.findData(source)) == "Window: Editor of someone else"
    chosen: list[str] = []
    combo.source_changed.connect(chosen.append)
    combo.set_source(source)
    assert combo.source == source and chosen == [source]
    assert combo.findData(f"window:{int(combo.winId()):#x}") < 0, "Nexus's own windows are not offered"


@needs_display
def test_the_picker_says_when_windows_cannot_be_listed(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY")
    combo = ShareCombo("screen:1")
    qtbot.addWidget(combo)
    qtbot.waitUntil(lambda: combo.findData(NO_WINDOWS) >= 0, timeout=10_000)
    row = combo.findData(NO_WINDOWS)
    assert "not available on this platform" in combo.itemData(row, Qt.ItemDataRole.ToolTipRole)
    assert not combo.model().item(row).isEnabled()  # type: ignore[attr-defined]
