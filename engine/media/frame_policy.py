"""What of a screen the model gets: a small overview plus a focus at native resolution.

A whole 1920 × 1080 screen squeezed into the model's frame budget (980 × 560)
shrinks 14 px editor text to about 7 px, which no reader, human or model, can
read. ``FramePolicy`` keeps text legible within a token budget instead: it
sends

* an **overview**: the whole screen downscaled to ``overview_tokens`` (where
  things are), and
* a **focus**: a crop of about ``focus_tokens`` visual tokens at native
  resolution (what the text says), around what the user is working on.

The focus is the active window when it fits in the crop (all of it, centred);
otherwise a crop inside the active window (or the whole screen when no window
is known) around the pointer when it has just moved, else around the last
change on the screen (the typed line, the new message), else where the focus
was before, else the pointer, else the centre. A shared screen that fits the
crop whole is sent whole, at native resolution, without an overview.

Both images are ``ScreenImage`` arrays that say what they are (``kind``), so
``MediaPolicy`` keeps them exactly as made (a focus is larger than the plain
frame budget on purpose) and compares an overview only with the last overview
and a focus only with the last focus when it drops repeats. The frame a
capture pushes into its ring is the usual downscaled screen (for previews,
clips and change detection) carrying both in ``parts``; ``MediaPolicy.fit``
replaces it with them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from engine.media.frames import DEFAULT_MAX_PIXELS, PATCH_PIXELS, budget_size, downscale_to_budget

TOKEN_PIXELS = PATCH_PIXELS * PATCH_PIXELS
DEFAULT_FOCUS_TOKENS = 1300
DEFAULT_OVERVIEW_TOKENS = 256
SCREEN = "screen"
OVERVIEW = "overview"
FOCUS = "focus"


@dataclass(frozen=True)
class Box:
    """A rectangle in pixels: ``left``/``top`` inclusive, ``width`` × ``height``."""

    left: int
    top: int
    width: int
    height: int

    @property
    def right(self) -> int:
        """One past the last column."""
        return self.left + self.width

    @property
    def bottom(self) -> int:
        """One past the last row."""
        return self.top + self.height

    @property
    def center(self) -> tuple[float, float]:
        """``(x, y)`` of the middle."""
        return self.left + self.width / 2, self.top + self.height / 2

    @property
    def area(self) -> int:
        """``width × height`` (0 for an empty box)."""
        return max(0, self.width) * max(0, self.height)

    def contains(self, x: float, y: float) -> bool:
        """Whether the point lies inside."""
        return self.left <= x < self.right and self.top <= y < self.bottom

    def intersect(self, other: Box) -> Box | None:
        """The overlap with ``other``, or ``None`` when they do not overlap."""
        left, top = max(self.left, other.left), max(self.top, other.top)
        right, bottom = min(self.right, other.right), min(self.bottom, other.bottom)
        if right <= left or bottom <= top:
            return None
        return Box(left, top, right - left, bottom - top)

    def shifted(self, dx: int, dy: int) -> Box:
        """The same box moved by ``(dx, dy)``."""
        return Box(self.left + dx, self.top + dy, self.width, self.height)

    def scaled(self, sx: float, sy: float) -> Box:
        """The box in a picture ``sx`` times wider and ``sy`` times taller (grown to whole pixels)."""
        left, top = math.floor(self.left * sx), math.floor(self.top * sy)
        return Box(left, top, math.ceil(self.right * sx) - left, math.ceil(self.bottom * sy) - top)

    def __str__(self) -> str:
        return f"{self.width}×{self.height} at ({self.left}, {self.top})"


@dataclass(frozen=True)
class FocusHints:
    """Where the user is working, in the captured picture's pixels; any of them may be unknown."""

    pointer: tuple[int, int] | None = None
    pointer_moved: bool = True
    """Whether the pointer moved since the previous picture (a still pointer says less than a new change)."""
    window: Box | None = None
    """The active window."""
    change: Box | None = None
    """Where the picture changed since the previous one."""


class ScreenImage(np.ndarray):
    """An RGB picture that knows its place in the frame policy.

    ``kind`` is ``"screen"`` for the downscaled capture that carries the images
    to send in ``parts``, ``"overview"`` or ``"focus"`` for those images; ``box``
    is where a focus (or the whole screen, for an overview) lies in the
    captured picture and ``screen_size`` that picture's ``(width, height)``.
    Only the constructor sets these: a copy, slice or arithmetic result of a
    ``ScreenImage`` is a plain picture (``kind`` ``None``, no parts).
    """

    kind: str | None
    parts: tuple[ScreenImage, ...]
    box: Box | None
    screen_size: tuple[int, int] | None

    def __new__(
        cls,
        array: np.ndarray,
        kind: str,
        *,
        parts: tuple[ScreenImage, ...] = (),
        box: Box | None = None,
        screen_size: tuple[int, int] | None = None,
    ) -> ScreenImage:
        obj = np.asarray(array, dtype=np.uint8).view(cls)
        obj.kind = kind
        obj.parts = tuple(parts)
        obj.box = box
        obj.screen_size = screen_size
        return obj

    def __array_finalize__(self, obj: Any) -> None:
        self.kind = None
        self.parts = ()
        self.box = None
        self.screen_size = None

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled (e.g. across processes) as a plain array: the tags belong to one process's turn.
        return np.asarray(self).__reduce__()

    @property
    def visual_tokens(self) -> int:
        """28 × 28 visual tokens the model spends on this picture."""
        return visual_tokens(self)


def image_kind(image: np.ndarray) -> str | None:
    """``"screen"``, ``"overview"``, ``"focus"`` for a frame-policy picture, ``None`` for any other."""
    return getattr(image, "kind", None)


def image_parts(image: np.ndarray) -> tuple[ScreenImage, ...]:
    """The images a captured screen stands for (empty for any other picture)."""
    return tuple(getattr(image, "parts", ()) or ())


def visual_tokens(image: np.ndarray) -> int:
    """Visual tokens of a picture whose sides are multiples of 28 (as ``Frame.visual_tokens``)."""
    height, width = image.shape[:2]
    return (width // PATCH_PIXELS) * (height // PATCH_PIXELS)


def _pad_to_patches(image: np.ndarray) -> np.ndarray:
    """``image`` with its right and bottom edges repeated up to multiples of 28 (no resampling)."""
    height, width = image.shape[:2]
    pad_h, pad_w = -height % PATCH_PIXELS, -width % PATCH_PIXELS
    if not pad_h and not pad_w:
        return image
    return cv2.copyMakeBorder(image, 0, pad_h, 0, pad_w, cv2.BORDER_REPLICATE)


@dataclass(frozen=True)
class FramePolicy:
    """Turns a captured screen into an overview and a native-resolution focus; see the module docstring.

    ``focus_tokens`` 0 switches the policy off: the screen is then sent whole,
    downscaled to the frame budget, as before.
    """

    focus_tokens: int = DEFAULT_FOCUS_TOKENS
    overview_tokens: int = DEFAULT_OVERVIEW_TOKENS
    max_pixels: int = DEFAULT_MAX_PIXELS
    """Budget of the frame kept in the ring (previews, the clip, change detection)."""
    hold: float = 0.2
    """A new anchor within this fraction of the old focus's edges keeps the focus where it is."""

    def __post_init__(self) -> None:
        if self.focus_tokens < 0:
            raise ValueError(f"focus_tokens must not be negative, got {self.focus_tokens}")
        if self.focus_tokens and self.overview_tokens < 1:
            raise ValueError(f"overview_tokens must be at least 1, got {self.overview_tokens}")

    @classmethod
    def from_settings(cls, live: Any) -> FramePolicy:
        """The policy of ``LiveSettings`` (``screen_focus_tokens``, ``screen_overview_tokens``)."""
        return cls(
            focus_tokens=int(getattr(live, "screen_focus_tokens", DEFAULT_FOCUS_TOKENS)),
            overview_tokens=int(getattr(live, "screen_overview_tokens", DEFAULT_OVERVIEW_TOKENS)),
        )

    @property
    def enabled(self) -> bool:
        """Whether screens are split into overview and focus (``focus_tokens`` > 0)."""
        return self.focus_tokens > 0

    # geometry -------------------------------------------------------------------------------
    def fits_whole(self, width: int, height: int) -> bool:
        """Whether a ``width`` × ``height`` picture fits the focus budget at native resolution."""
        return math.ceil(width / PATCH_PIXELS) * math.ceil(height / PATCH_PIXELS) <= self.focus_tokens

    def focus_size(self, width: int, height: int) -> tuple[int, int]:
        """``(width, height)`` of the focus crop in a ``width`` × ``height`` area: multiples of 28,
        at most ``focus_tokens`` tokens, the area's aspect ratio, never larger than the area."""
        if self.fits_whole(width, height):
            return width, height
        cols_max = max(1, width // PATCH_PIXELS)
        rows_max = max(1, height // PATCH_PIXELS)
        rows = max(1, min(rows_max, math.floor(math.sqrt(self.focus_tokens * height / width))))
        cols = min(cols_max, max(1, self.focus_tokens // rows))
        rows = min(rows_max, max(1, self.focus_tokens // cols))
        return cols * PATCH_PIXELS, rows * PATCH_PIXELS

    def choose_focus(
        self, width: int, height: int, hints: FocusHints | None = None, previous: Box | None = None
    ) -> Box:
        """The focus crop in a ``width`` × ``height`` picture; see the module docstring for the order.

        ``previous`` is the last focus: a new anchor close to its middle keeps
        it, so a pointer wandering over one paragraph does not make every turn
        send a shifted copy of the same text.
        """
        hints = hints or FocusHints()
        screen = Box(0, 0, width, height)
        window = hints.window.intersect(screen) if hints.window is not None else None
        pointer = hints.pointer if hints.pointer is not None and screen.contains(*hints.pointer) else None
        pointing = pointer is not None and hints.pointer_moved
        if pointing and window is not None and pointer is not None and not window.contains(*pointer):
            window = None  # the user points outside the active window: the focus follows the pointer
        region = window or screen
        if self.fits_whole(region.width, region.height):
            # All of it, grown to whole patches with what surrounds it where the screen allows.
            grown_w = min(math.ceil(region.width / PATCH_PIXELS) * PATCH_PIXELS, width)
            grown_h = min(math.ceil(region.height / PATCH_PIXELS) * PATCH_PIXELS, height)
            return self._place(region.center, grown_w, grown_h, screen)
        crop_w, crop_h = self.focus_size(region.width, region.height)
        change = hints.change.intersect(region) if hints.change is not None else None
        if change is not None and (change.width > crop_w or change.height > crop_h):
            change = None  # a change larger than the crop (a new window, a scroll) says nothing about where
        kept = previous
        if kept is not None and (
            (kept.width, kept.height) != (crop_w, crop_h) or kept.intersect(region) != kept
        ):
            kept = None
        anchor: tuple[float, float] | None = None
        if pointer is not None and hints.pointer_moved and region.contains(*pointer):
            anchor = pointer
        elif change is not None:
            anchor = change.center
        if anchor is None:
            if kept is not None:
                return kept
            anchor = pointer if pointer is not None and region.contains(*pointer) else region.center
        if kept is not None:
            margin_x, margin_y = int(kept.width * self.hold), int(kept.height * self.hold)
            inner_w, inner_h = kept.width - 2 * margin_x, kept.height - 2 * margin_y
            inner = Box(kept.left + margin_x, kept.top + margin_y, inner_w, inner_h)
            if inner.contains(*anchor):
                return kept
        return self._place(anchor, crop_w, crop_h, region)

    @staticmethod
    def _place(center: tuple[float, float], width: int, height: int, within: Box) -> Box:
        """A ``width`` × ``height`` box centred on ``center`` as far as ``within`` allows."""
        left = round(center[0] - width / 2)
        top = round(center[1] - height / 2)
        if width <= within.width:
            left = min(max(left, within.left), within.right - width)
        if height <= within.height:
            top = min(max(top, within.top), within.bottom - height)
        return Box(left, top, width, height)

    # pictures -------------------------------------------------------------------------------
    def parts(
        self, image: np.ndarray, focus: Box, small: np.ndarray | None = None
    ) -> tuple[ScreenImage, ...]:
        """The images to send for ``image`` with the focus at ``focus``: (overview, focus), or the
        whole picture alone when it fits the focus budget.

        ``small`` is ``image`` already downscaled to ``max_pixels`` (the ring
        frame); the overview is made from it when given.
        """
        height, width = image.shape[:2]
        size = (width, height)
        if self.fits_whole(width, height):
            whole = _pad_to_patches(np.ascontiguousarray(image))
            return (ScreenImage(whole, FOCUS, box=Box(0, 0, width, height), screen_size=size),)
        screen = Box(0, 0, width, height)
        inside = focus.intersect(screen) or screen
        crop = np.ascontiguousarray(image[inside.top : inside.bottom, inside.left : inside.right])
        crop = _pad_to_patches(crop)
        source = small if small is not None else image
        o_h, o_w = budget_size(height, width, self.overview_tokens * TOKEN_PIXELS)
        overview = cv2.resize(np.ascontiguousarray(source), (o_w, o_h), interpolation=cv2.INTER_AREA)
        return (
            ScreenImage(overview, OVERVIEW, box=screen, screen_size=size),
            ScreenImage(crop, FOCUS, box=inside, screen_size=size),
        )

    def shoot(
        self,
        image: np.ndarray,
        hints: FocusHints | None = None,
        previous: Box | None = None,
        small: np.ndarray | None = None,
    ) -> ScreenImage:
        """The ring frame for a captured full-size ``image``: downscaled to ``max_pixels``, carrying the
        images to send (none when the policy is off, so the frame is sent downscaled)."""
        if small is None:
            small = downscale_to_budget(np.asarray(image), self.max_pixels)
        height, width = image.shape[:2]
        if not self.enabled:
            return ScreenImage(small, SCREEN, screen_size=(width, height))
        focus = self.choose_focus(width, height, hints, previous)
        return ScreenImage(
            small, SCREEN, parts=self.parts(image, focus, small), box=focus, screen_size=(width, height)
        )
