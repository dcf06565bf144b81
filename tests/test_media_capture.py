"""Screen capture on the Xvfb display and camera capture from a video file written by the test."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from engine.errors import DisplayError, NexusError
from engine.media.camera import CameraCapture, CameraError
from engine.media.capture import CaptureSource
from engine.media.frame_ring import FrameRing
from engine.media.frames import PATCH_PIXELS, Frame, budget_size
from engine.media.screen import Region, ScreenCapture, list_monitors
from tests.conftest import needs_display


def _show_colour(qtbot: QtBot, rgb: tuple[int, int, int], geometry: tuple[int, int, int, int]) -> QWidget:
    """A plain window of one colour; keep the returned reference or Qt deletes the window."""
    window = QWidget()
    qtbot.addWidget(window)
    window.setStyleSheet(f"background: rgb{rgb};")
    window.setGeometry(*geometry)
    window.show()
    qtbot.waitExposed(window)
    qtbot.wait(100)
    return window


def _set_colour(qtbot: QtBot, window: QWidget, rgb: tuple[int, int, int]) -> None:
    window.setStyleSheet(f"background: rgb{rgb};")
    window.repaint()
    qtbot.wait(100)


def _rgb(frame: Frame, x: int, y: int) -> tuple[int, int, int]:
    """The frame's colour at pixel (x, y)."""
    r, g, b = frame.image[y, x]
    return int(r), int(g), int(b)


def _pixel(frame: Frame, x: int, y: int, screen_w: int, screen_h: int) -> tuple[int, int, int]:
    """The frame's colour at screen point (x, y), mapped through the downscale."""
    return _rgb(frame, int(x * frame.width / screen_w), int(y * frame.height / screen_h))


def _close_to(actual: tuple[int, int, int], expected: tuple[int, int, int], tolerance: int = 3) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


@needs_display
@pytest.mark.devices
def test_list_monitors_reports_the_xvfb_screen() -> None:
    monitors = list_monitors()
    assert [(m.index, m.width, m.height) for m in monitors] == [(1, 1600, 1000)]


@needs_display
@pytest.mark.devices
def test_screen_capture_downscales_skips_unchanged_frames_and_sees_a_change(qtbot: QtBot) -> None:
    ring = FrameRing(capacity=20, max_age_s=60.0)
    capture = ScreenCapture(ring, monitor=1, fps=2.0)
    states: list[str] = []
    emitted: list[Frame] = []
    capture.state_changed.connect(states.append)
    capture.frame_captured.connect(emitted.append)
    capture.start()
    try:
        assert capture.capturing
        qtbot.waitUntil(lambda: capture.frames_skipped >= 2, timeout=3000)
        assert capture.frames_captured == 1, "an unchanged screen gives one frame, then skips"
        first = ring.latest()
        assert first is not None
        want_h, want_w = budget_size(1000, 1600)
        assert (first.height, first.width) == (want_h, want_w) == (588, 924)
        assert first.height % PATCH_PIXELS == 0 and first.width % PATCH_PIXELS == 0
        assert first.image.dtype == np.uint8 and first.image.shape[2] == 3
        assert first.source == "screen:1"

        window = _show_colour(qtbot, (250, 20, 30), (100, 120, 300, 200))
        qtbot.waitUntil(lambda: capture.frames_captured >= 2, timeout=3000)
        changed = ring.latest()
        assert changed is not None and changed.timestamp > first.timestamp
        assert _close_to(_pixel(changed, 250, 220, 1600, 1000), (250, 20, 30))
        assert emitted == ring.since(0.0)

        # At 2 fps, grabs (kept + skipped) come every 0.5 s.
        grabs_before = capture.frames_captured + capture.frames_skipped
        time.sleep(1.6)
        grabs = capture.frames_captured + capture.frames_skipped - grabs_before
        assert 2 <= grabs <= 4

        capture.pause()
        assert not capture.capturing and capture.state == "paused"
        paused_count = capture.frames_captured
        latest = ring.latest()
        _set_colour(qtbot, window, (20, 200, 40))
        time.sleep(1.2)
        assert capture.frames_captured == paused_count and ring.latest() is latest, "no frame after pause()"

        capture.resume()
        qtbot.waitUntil(lambda: capture.frames_captured > paused_count, timeout=3000)
        resumed = ring.latest()
        assert resumed is not None
        assert _close_to(_pixel(resumed, 250, 220, 1600, 1000), (20, 200, 40))
    finally:
        capture.stop()
    assert states[0] == "running" and "paused" in states and states[-1] == "stopped"
    assert not capture.capturing


@needs_display
@pytest.mark.devices
def test_pause_takes_effect_even_at_a_high_frame_rate(qtbot: QtBot) -> None:
    """At 20 fps with a changing screen, no frame is emitted once pause() has returned."""
    ring = FrameRing(capacity=50, max_age_s=60.0)
    capture = ScreenCapture(ring, Region(0, 0, 400, 300), fps=20.0)
    after_pause: list[Frame] = []
    paused = [False]

    def record_if_paused(frame: Frame) -> None:
        if paused[0]:
            after_pause.append(frame)

    capture.frame_captured.connect(record_if_paused)
    window = _show_colour(qtbot, (0, 0, 0), (0, 0, 400, 300))
    capture.start()
    try:
        for round_ in range(5):
            _set_colour(qtbot, window, (40 * round_, 255 - 40 * round_, 90))
            capture.pause()
            paused[0] = True
            count = capture.frames_captured
            _set_colour(qtbot, window, (200, 40 * round_, 10))
            time.sleep(0.15)
            assert capture.frames_captured == count
            paused[0] = False
            capture.resume()
    finally:
        capture.stop()
    assert after_pause == []


@needs_display
@pytest.mark.devices
def test_region_capture_has_the_region_size_and_content(qtbot: QtBot) -> None:
    window = _show_colour(qtbot, (10, 30, 240), (100, 120, 300, 200))
    ring = FrameRing(capacity=4, max_age_s=60.0)
    capture = ScreenCapture(ring, Region(100, 120, 300, 200), fps=2.0)

    def shows_the_window() -> bool:
        frame = ring.latest()
        return frame is not None and _close_to(_rgb(frame, 154, 98), (10, 30, 240))

    capture.start()
    try:
        # The window may still be drawing its first paint when capture begins.
        qtbot.waitUntil(shows_the_window, timeout=3000)
    finally:
        capture.stop()
    window.close()
    frame = ring.latest()
    assert frame is not None and frame.source == "screen:100,120,300x200"
    assert (frame.height, frame.width) == budget_size(200, 300) == (196, 308)


@needs_display
@pytest.mark.devices
def test_a_monitor_or_region_that_does_not_exist_is_a_display_error() -> None:
    with pytest.raises(DisplayError, match="Monitor 5 does not exist") as info:
        ScreenCapture(FrameRing(2, 10.0), monitor=5).start()
    assert info.value.hint
    with pytest.raises(DisplayError, match="not inside the desktop"):
        ScreenCapture(FrameRing(2, 10.0), Region(1500, 900, 300, 200)).start()


def test_no_display_is_a_display_error_with_a_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPLAY", ":987")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    capture = ScreenCapture(FrameRing(2, 10.0))
    with pytest.raises(DisplayError) as info:
        capture.start()
    assert "cannot be captured" in info.value.message
    assert ":987" in info.value.hint
    assert capture.state == "stopped" and not capture.capturing
    monkeypatch.delenv("DISPLAY")
    with pytest.raises(DisplayError) as info:
        list_monitors()
    assert "DISPLAY is not set" in info.value.hint


# --- the shared capture loop (a scripted source, no device) -------------------------------------------


class ScriptedSource(CaptureSource):
    """Uniform pictures of ``value``; ``fail_reads`` makes the next reads raise, ``end`` ends the source."""

    def __init__(self, ring: FrameRing, fps: float = 1.0, retry_s: float = 1.0) -> None:
        super().__init__(ring, fps=fps, retry_s=retry_s)
        self.reads = 0
        self.opens = 0
        self.fail_reads = 0
        self.end = False
        self.value = 0

    @property
    def name(self) -> str:
        return "scripted"

    def _open(self) -> None:
        self.opens += 1

    def _read(self) -> np.ndarray | None:
        if self.end:
            return None
        if self.fail_reads:
            self.fail_reads -= 1
            raise RuntimeError("the device went away")
        self.reads += 1
        return np.full((100, 160, 3), self.value, np.uint8)

    def _close(self) -> None:
        pass


def test_set_fps_changes_the_pace_of_reads() -> None:
    source = ScriptedSource(FrameRing(10, 60.0), fps=2.0)
    source.start()
    try:
        time.sleep(1.0)
        slow = source.reads
        source.set_fps(20.0)
        time.sleep(1.0)
        fast = source.reads - slow
    finally:
        source.stop()
    assert 2 <= slow <= 3
    assert 17 <= fast <= 21
    assert source.frames_captured == 1 and source.frames_skipped == source.reads - 1, "one unchanged picture"


def test_a_failing_source_reports_a_typed_error_reopens_and_can_end() -> None:
    ring = FrameRing(10, 60.0)
    source = ScriptedSource(ring, fps=20.0, retry_s=0.2)
    states: list[str] = []
    errors: list[NexusError] = []
    source.state_changed.connect(states.append)
    source.error_occurred.connect(errors.append)
    source.start()
    try:
        _wait(lambda: source.reads >= 2)
        source.fail_reads = 1
        _wait(lambda: source.opens == 2 and source.state == "running")
        assert len(errors) == 1 and "the device went away" in errors[0].message and errors[0].hint
        source.value = 255
        _wait(lambda: len(ring) == 2)
        source.end = True
        _wait(lambda: source.state == "ended")
        assert not source.capturing
    finally:
        source.stop()
    assert states == ["running", "error", "running", "ended", "stopped"]


def test_a_failing_subscriber_does_not_stop_the_capture() -> None:
    ring = FrameRing(10, 60.0)
    source = ScriptedSource(ring, fps=20.0)

    def broken(frame: Frame) -> None:
        raise RuntimeError("subscriber bug")

    source.frame_captured.connect(broken)
    source.start()
    try:
        for kept, value in enumerate((10, 20, 30), start=1):
            source.value = value
            _wait(partial(_has_captured, source, kept))
        assert source.capturing
    finally:
        source.stop()
    assert len(ring) == 3


def _has_captured(source: CaptureSource, count: int) -> bool:
    return source.frames_captured == count


def _wait(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


# --- camera ---------------------------------------------------------------------------------------------

COLOURS = [(220, 30, 30), (30, 200, 40), (40, 50, 230)]


def _write_video(path: Path, fps: float = 10.0, seconds_per_colour: float = 1.0) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (640, 480))
    assert writer.isOpened()
    for rgb in COLOURS:
        frame = np.zeros((480, 640, 3), np.uint8)
        frame[:] = rgb[::-1]  # OpenCV writes BGR
        for _ in range(round(fps * seconds_per_colour)):
            writer.write(frame)
    writer.release()


def test_camera_plays_a_video_file_like_a_live_camera(tmp_path: Path) -> None:
    video = tmp_path / "three-colours.avi"
    _write_video(video)
    ring = FrameRing(capacity=20, max_age_s=60.0)
    capture = CameraCapture(ring, video, fps=2.0)
    states: list[str] = []
    capture.state_changed.connect(states.append)
    started = time.monotonic()
    capture.start()
    deadline = started + 6.0
    while capture.state != "ended" and time.monotonic() < deadline:
        time.sleep(0.05)
    capture.stop()
    assert states[:2] == ["running", "ended"] and states[-1] == "stopped"
    frames = ring.since(0.0)
    assert [f.source for f in frames] == ["camera:three-colours.avi"] * len(frames)
    assert all((f.height, f.width) == budget_size(480, 640) for f in frames)
    # One frame per colour, in order, each taken while the file showed it; repeats were skipped.
    seen = [_rgb(f, f.width // 2, f.height // 2) for f in frames]
    assert len(frames) == 3, seen
    for colour, expected in zip(seen, COLOURS, strict=True):
        assert _close_to(colour, expected, tolerance=12), (colour, expected)
    for index, frame in enumerate(frames):
        assert index <= frame.timestamp - started <= index + 1.0
    assert capture.frames_skipped >= 2


def _nearest_colour(rgb: tuple[int, int, int]) -> int:
    """Index of the entry of ``COLOURS`` closest to ``rgb``."""
    distances = [sum(abs(a - b) for a, b in zip(rgb, colour, strict=True)) for colour in COLOURS]
    return distances.index(min(distances))


def test_a_looping_video_file_starts_over(tmp_path: Path) -> None:
    video = tmp_path / "short.avi"
    _write_video(video, fps=10.0, seconds_per_colour=0.3)  # 0.9 s: red, green, blue
    ring = FrameRing(capacity=40, max_age_s=60.0)
    capture = CameraCapture(ring, video, fps=10.0, loop=True)
    capture.start()
    try:
        time.sleep(2.1)
        assert capture.state == "running"
    finally:
        capture.stop()
    centres = [_rgb(f, f.width // 2, f.height // 2) for f in ring.since(0.0)]
    colours = [_nearest_colour(rgb) for rgb in centres]
    # Two laps and a bit: each colour change is captured once, in order, lap after lap.
    assert colours[:7] == [0, 1, 2, 0, 1, 2, 0], colours


def test_a_missing_camera_or_file_is_a_camera_error(tmp_path: Path) -> None:
    with pytest.raises(CameraError, match="does not exist"):
        CameraCapture(FrameRing(2, 10.0), tmp_path / "missing.avi").start()
    garbage = tmp_path / "garbage.avi"
    garbage.write_bytes(b"this is not a video")
    with pytest.raises(CameraError, match="cannot be decoded") as info:
        CameraCapture(FrameRing(2, 10.0), garbage).start()
    assert info.value.hint
    with pytest.raises(CameraError, match="Camera 97 cannot be opened"):
        CameraCapture(FrameRing(2, 10.0), 97).start()
