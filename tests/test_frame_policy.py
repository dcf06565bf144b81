"""Reading the screen: what of a screen the model gets, and that its text stays legible.

* the frame policy's geometry: a focus at native resolution within the token budget, placed from
  the pointer, the active window or the last change, held still for small moves;
* the media rule expands a captured screen into overview + focus, keeps them as made, and drops
  each one when the prompt still shows an equal one (a follow-up over an unchanged screen sends none);
* ``nexus-cli look`` writes the images the engine sends, and tesseract reads ≥ 95 % of the focus's
  text on 1920 × 1080 and 2560 × 1440 code screens (the whole screen at the old 980 × 560 is illegible);
* with the tiny thinker, a follow-up over an unchanged screen prefills text only;
* on the Xvfb display: the capture's focus follows the pointer, a window is shared on its own, and
  sharing a window where there is no X11 says so.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pytestqt.qtbot import QtBot

from cli.main import main
from engine.errors import DisplayError
from engine.live.factory import parse_source
from engine.media.desktop import Desktop, list_windows, parse_window_id
from engine.media.frame_policy import (
    FOCUS,
    OVERVIEW,
    SCREEN,
    Box,
    FocusHints,
    FramePolicy,
    ScreenImage,
    image_kind,
    visual_tokens,
)
from engine.media.frame_ring import FrameRing
from engine.media.frames import changed_box
from engine.media.screen import ScreenCapture, WindowCapture
from engine.omni.loader import LoadedThinker
from engine.omni.local import GenerationSettings, LocalEngine
from engine.omni.media_policy import MediaPolicy
from engine.omni.turn import Message, Turn, UserContent
from tests.conftest import needs_display
from tests.screen_fixtures import char_accuracy, code_screen, font_path, ocr, tesseract_available

needs_ocr = pytest.mark.skipif(
    not tesseract_available() or font_path() is None,
    reason="needs the tesseract-ocr and fonts-dejavu-core Debian packages (scripts/test installs them)",
)
SIZES = [(1920, 1080), (2560, 1440), (1600, 1000), (3840, 2160)]


def noise(height: int, width: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (height, width, 3), dtype=np.uint8)


# ---- geometry ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_a_screen_costs_at_most_1600_visual_tokens_with_a_native_focus(width: int, height: int) -> None:
    policy = FramePolicy()
    shot = policy.shoot(noise(height, width), FocusHints(pointer=(width // 3, height // 2)))
    overview, focus = shot.parts
    assert image_kind(shot) == SCREEN and (image_kind(overview), image_kind(focus)) == (OVERVIEW, FOCUS)
    assert visual_tokens(overview) <= policy.overview_tokens
    assert visual_tokens(focus) <= policy.focus_tokens
    assert visual_tokens(overview) + visual_tokens(focus) <= 1600
    assert focus.shape[0] % 28 == 0 and focus.shape[1] % 28 == 0 and overview.shape[1] % 28 == 0
    box = focus.box
    assert box is not None and box.contains(width // 3, height // 2)
    # Native resolution: the focus is the screen's own pixels, not a resampled copy.
    full = noise(height, width)
    assert np.array_equal(np.asarray(focus), full[box.top : box.bottom, box.left : box.right])


def test_the_focus_is_the_active_window_when_it_fits_else_around_the_pointer_or_the_change() -> None:
    policy = FramePolicy()
    window = Box(300, 200, 700, 500)
    box = policy.choose_focus(1920, 1080, FocusHints(pointer=(500, 400), pointer_moved=False, window=window))
    assert box.intersect(window) == window, "the whole active window is in the focus"
    pointer = (1700, 900)
    box = policy.choose_focus(1920, 1080, FocusHints(pointer=pointer, window=window))
    assert box.contains(*pointer), "a pointer moved outside the active window takes the focus along"
    assert box.right <= 1920 and box.bottom <= 1080 and box.left >= 0 and box.top >= 0
    typed = Box(1500, 100, 200, 20)
    box = policy.choose_focus(1920, 1080, FocusHints(pointer=(100, 1000), pointer_moved=False, change=typed))
    assert box.intersect(typed) == typed, "a still pointer yields to where the screen just changed"
    whole_screen_change = Box(0, 0, 1920, 1080)
    box = policy.choose_focus(1920, 1080, FocusHints(change=whole_screen_change))
    assert box.center == (960, 540), "a change larger than the focus says nothing: the centre"


def test_a_small_pointer_move_keeps_the_focus_still_and_a_large_one_moves_it() -> None:
    policy = FramePolicy()
    first = policy.choose_focus(2560, 1440, FocusHints(pointer=(1200, 700)))
    near = policy.choose_focus(2560, 1440, FocusHints(pointer=(1260, 730)), previous=first)
    assert near == first
    resting = FocusHints(pointer=(1260, 730), pointer_moved=False)
    still = policy.choose_focus(2560, 1440, resting, previous=first)
    assert still == first, "nothing new: the focus stays"
    far = policy.choose_focus(2560, 1440, FocusHints(pointer=(2400, 1300)), previous=first)
    assert far != first and far.contains(2400, 1300)


def test_a_picture_that_fits_the_focus_is_sent_whole_at_native_size() -> None:
    window = noise(700, 1200, seed=3)
    shot = FramePolicy().shoot(window)
    (only,) = shot.parts
    assert image_kind(only) == FOCUS and only.shape == (700, 1204, 3)
    assert np.array_equal(np.asarray(only)[:, :1200], window), "padded to whole patches, never resampled"


def test_a_copy_of_a_screen_image_is_a_plain_picture() -> None:
    shot = FramePolicy().shoot(noise(1080, 1920))
    changed = np.clip(shot.astype(np.int16) + 1, 0, 255).astype(np.uint8)
    assert image_kind(changed) is None and getattr(changed, "parts", ()) == ()
    assert image_kind(shot[:10]) is None
    assert image_kind(np.asarray(shot)) is None


def test_changed_box_finds_the_largest_change() -> None:
    before = np.full((560, 980, 3), 255, np.uint8)
    after = before.copy()
    after[300:330, 100:400] = 0  # a typed line
    after[5:12, 940:970] = 0  # a clock
    left, top, width, height = changed_box(before, after) or (0, 0, 0, 0)
    assert left <= 100 and top <= 300 and left + width >= 400 and top + height >= 330
    assert left + width < 900, "the clock is a smaller, separate change"
    assert changed_box(before, before) is None


def test_the_policy_can_be_switched_off() -> None:
    shot = FramePolicy(focus_tokens=0).shoot(noise(1080, 1920))
    assert shot.parts == ()
    content = UserContent(images=[shot])
    MediaPolicy().prepare(Turn(content))
    assert [i.shape for i in content.images] == [(560, 980, 3)]


# ---- the media rule -----------------------------------------------------------------------------------


def test_the_media_rule_sends_overview_and_focus_as_made_and_stores_them_as_sent() -> None:
    policy = MediaPolicy()
    shot = FramePolicy().shoot(noise(1440, 2560))
    content = UserContent("What does this say?", images=[shot])
    assert policy.prepare(Turn(content)) == 0
    overview, focus = shot.parts
    assert content.images[0] is overview and content.images[1] is focus
    assert focus.shape[0] * focus.shape[1] > policy.max_pixels, "the focus is larger than a plain frame"
    refit = policy.fit(content)
    assert refit.images[0] is overview and refit.images[1] is focus, "fitting history again changes nothing"


def test_a_follow_up_over_an_unchanged_screen_sends_no_image() -> None:
    policy = MediaPolicy()
    frames = FramePolicy()
    screen = noise(1080, 1920, seed=5)
    shot = frames.shoot(screen, FocusHints(pointer=(900, 500)))
    first = UserContent("Look.", images=[shot])
    policy.prepare(Turn(first))
    history = [Message("user", "Look.", first), Message("assistant", "I see code.")]
    again = UserContent("And now?", images=[shot])
    assert policy.prepare(Turn(again, history=list(history))) == 2 and again.images == []
    # A new capture of the same screen (new arrays, same pixels) is dropped too.
    recaptured = UserContent("Still?", images=[frames.shoot(screen.copy(), FocusHints(pointer=(900, 500)))])
    assert policy.prepare(Turn(recaptured, history=list(history))) == 2 and recaptured.images == []
    # The pointer moved elsewhere on the same screen: only the new focus is sent.
    moved = UserContent("And here?", images=[frames.shoot(screen, FocusHints(pointer=(1700, 900)))])
    assert policy.prepare(Turn(moved, history=list(history))) == 1
    assert [image_kind(i) for i in moved.images] == [FOCUS]
    # Once the overview of turn 1 is still shown, a later turn compares with it, not with turn 2's focus.
    history += [Message("user", "And here?", moved), Message("assistant", "ok")]
    later = UserContent("Back?", images=[frames.shoot(screen, FocusHints(pointer=(900, 500)))])
    kept, dropped = policy.planned(Turn(later, history=history))
    assert dropped == 1 and [image_kind(i) for i in kept] == [FOCUS]


def test_a_changed_screen_is_sent_again() -> None:
    policy = MediaPolicy()
    frames = FramePolicy()
    first = UserContent(images=[frames.shoot(noise(1080, 1920, seed=1), FocusHints(pointer=(900, 500)))])
    policy.prepare(Turn(first))
    history = [Message("user", "", first), Message("assistant", "ok")]
    second = UserContent(images=[frames.shoot(noise(1080, 1920, seed=2), FocusHints(pointer=(900, 500)))])
    assert policy.prepare(Turn(second, history=history)) == 0
    assert [image_kind(i) for i in second.images] == [OVERVIEW, FOCUS]


# ---- what `look` sends, read by OCR --------------------------------------------------------------------


@needs_ocr
@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (2560, 1440)])
def test_look_sends_a_legible_code_screen_within_1600_tokens(
    width: int, height: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    screen = code_screen(width, height)
    png = tmp_path / "screen.png"
    Image.fromarray(screen.image).save(png)
    out = tmp_path / "look"
    assert main(["look", str(png), "-o", str(out), "--pointer", "900,600"]) == 0
    printed = capsys.readouterr().out
    manifest = json.loads((out / "look.json").read_text())
    assert [i["kind"] for i in manifest["images"]] == [OVERVIEW, FOCUS]
    assert manifest["visual_tokens"] <= 1600
    assert f"total: {manifest['visual_tokens']} visual tokens" in printed
    assert manifest["follow_up_visual_tokens"] == 0 and "sends no image" in printed
    focus = manifest["images"][1]
    written = np.asarray(Image.open(out / focus["file"]))
    assert written.shape == (focus["height"], focus["width"], 3)
    truth = screen.text_in(Box(*focus["region"]))
    assert len(truth) > 1000, "the focus holds a screenful of code"
    accuracy = char_accuracy(truth, ocr(out / focus["file"]))
    assert accuracy >= 0.95, accuracy
    # Before: the whole screen at 980 × 560, where 14 px text shrinks below legibility.
    old = tmp_path / "old"
    assert main(["look", str(png), "-o", str(old), "--focus-tokens", "0"]) == 0
    (plain,) = json.loads((old / "look.json").read_text())["images"]
    assert (plain["width"], plain["height"]) == (980, 560)
    assert char_accuracy(screen.text_in(), ocr(old / plain["file"])) < 0.7


def test_look_refuses_what_it_cannot_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    assert main(["look", str(text), "-o", str(tmp_path / "out")]) == 2
    assert "not a picture Nexus can read" in capsys.readouterr().err
    png = tmp_path / "screen.png"
    Image.fromarray(noise(600, 800)).save(png)
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["look", str(png), "-o", str(blocker)]) == 2
    assert "is a file" in capsys.readouterr().err


# ---- prefill with the tiny thinker -------------------------------------------------------------------


def test_a_follow_up_over_an_unchanged_screen_prefills_only_its_text(tiny_loaded: LoadedThinker) -> None:
    engine = LocalEngine(tiny_loaded, GenerationSettings(max_new_tokens=6, min_new_tokens=6, temperature=0.0))
    shot = FramePolicy().shoot(noise(1080, 1920, seed=9), FocusHints(pointer=(900, 500)))
    first = UserContent("What is on my screen?", images=[shot])
    answer = "".join(engine.stream(Turn(first)))
    assert engine.last_stats.tokens_by_modality["image"] > 0 and len(first.images) == 2
    history = [Message("user", first.text, first), Message("assistant", answer)]
    follow_up = UserContent("Which line has the error?", images=[shot])
    list(engine.stream(Turn(follow_up, history=history)))
    stats = engine.last_stats
    assert stats.skipped_duplicate_frames == 2 and follow_up.images == []
    assert stats.tokens_by_modality.get("image", 0) == 0
    assert stats.prefill_tokens <= 150 and stats.reused_prefix_tokens > 0, stats


# ---- capture on the Xvfb display ----------------------------------------------------------------------


@pytest.fixture
def warp() -> Iterator[Callable[[int, int], None]]:
    """Moves the pointer of the Xvfb display (over a connection kept open: Xvfb resets, pointer
    included, when its last client leaves)."""
    from Xlib import display

    connection = display.Display()
    root = connection.screen().root

    def move(x: int, y: int) -> None:
        root.warp_pointer(x, y)
        connection.sync()

    yield move
    connection.close()


def _wait(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@needs_display
@pytest.mark.devices
def test_the_screen_capture_focus_follows_the_pointer_without_new_frames(
    warp: Callable[[int, int], None],
) -> None:
    warp(1500, 900)
    ring = FrameRing(8, 60.0)
    capture = ScreenCapture(ring, 1, fps=10.0, frame_policy=FramePolicy())
    capture.start()
    try:
        _wait(lambda: ring.latest() is not None)
        frame = ring.latest()
        assert frame is not None and isinstance(frame.image, ScreenImage)
        overview, focus = frame.image.parts
        assert focus.box is not None and focus.box.contains(1500, 900)
        assert focus.shape == (784, 1288, 3) and visual_tokens(overview) <= 256
        warp(200, 150)
        _wait(lambda: frame.image.parts[-1].box.contains(200, 150))
        assert len(ring) == 1, "an unchanged screen adds no frame; the newest frame's focus moved"
    finally:
        capture.stop()


@needs_display
@pytest.mark.devices
def test_a_shared_window_is_captured_on_its_own_and_followed(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QWidget

    window = QWidget()
    qtbot.addWidget(window)
    window.setWindowTitle("Nexus test window")
    window.setStyleSheet("background: rgb(30, 160, 90);")
    window.setGeometry(200, 150, 640, 400)
    window.show()
    qtbot.waitExposed(window)
    qtbot.wait(100)
    listed = {w.title: w for w in list_windows()}
    info = listed["Nexus test window"]
    assert info.box.width == 640 and info.box.height == 400
    kind, window_id = parse_source(info.source)
    assert kind == "window" and window_id == info.id == int(window.winId())
    ring = FrameRing(8, 60.0)
    capture = WindowCapture(ring, window_id, fps=10.0, frame_policy=FramePolicy())
    capture.start()
    try:
        qtbot.waitUntil(lambda: ring.latest() is not None)
        frame = ring.latest()
        assert frame is not None and capture.name == info.source
        (whole,) = frame.image.parts
        assert whole.shape == (420, 644, 3) and tuple(int(v) for v in whole[200, 300]) == (30, 160, 90)
        window.move(700, 500)
        qtbot.waitUntil(lambda: capture._area.get("left") == 700)
        window.hide()
        qtbot.waitUntil(lambda: capture.state == "error", timeout=5000)
        assert capture.last_error is not None and "closed or minimised" in capture.last_error.message
    finally:
        capture.stop()


def test_sharing_a_window_without_x11_says_it_is_not_available(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(DisplayError, match="not available on this platform"):
        list_windows()
    with pytest.raises(DisplayError, match="not available on this platform"):
        Desktop()
    assert parse_window_id("0x1e00007") == 0x1E00007 and parse_window_id("zz") is None
