"""The desktop around a screen capture: its windows, the active window and the pointer (X11).

mss takes pictures of rectangles; it does not know windows. On an X11
desktop (and under XWayland for X11 programs) ``Desktop`` asks the X server
through python-xlib: the windows a window manager lists (EWMH
``_NET_CLIENT_LIST``) or, without one, the mapped top-level windows that have
a title; the active window (``_NET_ACTIVE_WINDOW``, else the input focus);
where the pointer is. Elsewhere (Windows, macOS, a Wayland session without
X11) ``Desktop`` raises a ``DisplayError`` saying that sharing a window is not
available on this platform, and a screen capture simply works without these
hints.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from typing import Any

from engine.errors import DisplayError
from engine.media.frame_policy import Box

NOT_AVAILABLE_HINT = "Share a monitor instead; sharing a window needs an X11 desktop (X11 or XWayland)."


@dataclass(frozen=True)
class WindowInfo:
    """A top-level window: its X id, title and rectangle on the desktop."""

    id: int
    title: str
    box: Box

    @property
    def source(self) -> str:
        """The Live source that shares this window, ``window:0x…``."""
        return f"window:{self.id:#x}"


def _not_available(reason: str) -> DisplayError:
    return DisplayError(f"Sharing a window is not available on this platform: {reason}.", NOT_AVAILABLE_HINT)


class Desktop:
    """One connection to the X server (use it from one thread; ``close`` it when done)."""

    def __init__(self, display: str | None = None) -> None:
        name = display or os.environ.get("DISPLAY", "")
        if sys.platform != "linux":
            raise _not_available(f"{sys.platform} has no X11 desktop")
        if not name:
            session = "a Wayland session without X11" if os.environ.get("WAYLAND_DISPLAY") else "no desktop"
            raise _not_available(f"DISPLAY is not set ({session})")
        try:
            from Xlib import X
            from Xlib import display as xdisplay
            from Xlib.error import ConnectionClosedError, XError
            from Xlib.error import DisplayError as XDisplayError
        except ImportError as exc:
            raise _not_available(f"python-xlib is not installed ({exc})") from exc
        self._X = X
        self._errors: tuple[type[BaseException], ...] = (
            XError,
            XDisplayError,
            ConnectionClosedError,
            OSError,
            ValueError,
        )
        self._lock = threading.Lock()
        try:
            self._display: Any = xdisplay.Display(name)
        except self._errors as exc:
            raise DisplayError(
                f"The X display {name} cannot be opened: {exc}.",
                "Check that the desktop is running and that Nexus may use it.",
            ) from exc
        self._root = self._display.screen().root
        self._atoms = {
            atom: self._display.intern_atom(atom)
            for atom in (
                "_NET_CLIENT_LIST_STACKING", "_NET_CLIENT_LIST", "_NET_ACTIVE_WINDOW", "_NET_WM_NAME"
            )
        }

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            if self._display is not None:
                self._display.close()
                self._display = None

    def __enter__(self) -> Desktop:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # queries ---------------------------------------------------------------------------------
    def windows(self) -> list[WindowInfo]:
        """The titled windows shown on the desktop, topmost first."""
        with self._lock:
            ids = self._client_ids()
            found = [self._info(self._display.create_resource_object("window", i)) for i in reversed(ids)]
        return [w for w in found if w is not None]

    def window(self, window_id: int) -> WindowInfo | None:
        """The window ``window_id`` where it is now, or ``None`` when it is gone or hidden."""
        with self._lock:
            return self._info(self._display.create_resource_object("window", window_id), need_title=False)

    def active_window(self) -> Box | None:
        """The rectangle of the window that has the keyboard, or ``None`` when none is known."""
        with self._lock:
            window = self._active()
            info = self._info(window, need_title=False) if window is not None else None
            return info.box if info is not None else None

    def pointer(self) -> tuple[int, int] | None:
        """The pointer's position on the desktop, or ``None`` when the server does not say."""
        with self._lock:
            try:
                reply = self._root.query_pointer()
            except self._errors:
                return None
            return int(reply.root_x), int(reply.root_y)

    # helpers (called with the lock held) -------------------------------------------------------
    def _property(self, window: Any, atom: str) -> list[int] | None:
        try:
            prop = window.get_full_property(self._atoms[atom], self._X.AnyPropertyType)
        except self._errors:
            return None
        return list(prop.value) if prop is not None and len(prop.value) else None

    def _client_ids(self) -> list[int]:
        """Window ids bottom to top: the window manager's list, else the mapped top-level windows."""
        for atom in ("_NET_CLIENT_LIST_STACKING", "_NET_CLIENT_LIST"):
            ids = self._property(self._root, atom)
            if ids:
                return [int(i) for i in ids]
        try:
            children = self._root.query_tree().children
        except self._errors:
            return []
        return [int(child.id) for child in children]  # query_tree lists them bottom to top

    def _active(self) -> Any | None:
        ids = self._property(self._root, "_NET_ACTIVE_WINDOW")
        if ids and ids[0]:
            return self._display.create_resource_object("window", int(ids[0]))
        try:
            focus = self._display.get_input_focus().focus
        except self._errors:
            return None
        if isinstance(focus, int) or focus is None or int(focus.id) == int(self._root.id):
            return None  # PointerRoot or None: no window has the keyboard
        return self._top_level(focus)

    def _top_level(self, window: Any) -> Any | None:
        """The child of the root window that contains ``window``."""
        try:
            while True:
                parent = window.query_tree().parent
                if parent is None or int(parent.id) == 0:
                    return None
                if int(parent.id) == int(self._root.id):
                    return window
                window = parent
        except self._errors:
            return None

    def _title(self, window: Any) -> str:
        try:
            prop = window.get_full_property(self._atoms["_NET_WM_NAME"], self._X.AnyPropertyType)
            if prop is not None and prop.value:
                value = prop.value
                return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
            name = window.get_wm_name()
        except self._errors:
            return ""
        if isinstance(name, bytes):
            return name.decode("latin-1")
        return str(name or "")

    def _info(self, window: Any, need_title: bool = True) -> WindowInfo | None:
        try:
            if window.get_attributes().map_state != self._X.IsViewable:
                return None
            geometry = window.get_geometry()
            origin = self._root.translate_coords(window, 0, 0)
        except self._errors:
            return None
        if geometry.width < 2 or geometry.height < 2:
            return None
        title = self._title(window)
        if need_title and not title.strip():
            return None
        box = Box(int(origin.x), int(origin.y), int(geometry.width), int(geometry.height))
        return WindowInfo(int(window.id), title, box)


def list_windows() -> list[WindowInfo]:
    """The windows that can be shared, topmost first; ``DisplayError`` where windows cannot be listed."""
    with Desktop() as desktop:
        return desktop.windows()


def parse_window_id(value: str) -> int | None:
    """An X window id written as ``0x1e00007`` or in decimal, or ``None``."""
    text = value.strip().lower()
    try:
        number = int(text, 16) if text.startswith("0x") else int(text, 10)
    except ValueError:
        return None
    return number if number > 0 else None
