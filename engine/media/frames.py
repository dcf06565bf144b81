"""Video frames: the ``Frame`` record, sizing to the model's pixel budget, and change detection.

Qwen2-VL-style vision encoders cut an image into 14-pixel patches and merge
2 × 2 of them into one visual token, so each token covers a 28 × 28 square
and both sides must be multiples of 28. ``downscale_to_budget`` follows the
model's own ``smart_resize`` rule so the processor never has to resize again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

PATCH_PIXELS = 28
# 720 visual tokens: a 1280 × 720 frame becomes 980 × 560 (700 tokens).
DEFAULT_MAX_PIXELS = 720 * PATCH_PIXELS * PATCH_PIXELS
# Mean absolute difference (0–255) of one thumbnail cell that counts as a change.
DEFAULT_DIFF_THRESHOLD = 2.0
_THUMB_LONG_SIDE = 64


@dataclass(frozen=True, eq=False)
class Frame:
    """One captured picture: ``image`` is H × W × 3 uint8 RGB, ``timestamp`` is ``time.monotonic()``."""

    image: np.ndarray
    timestamp: float
    source: str

    @property
    def width(self) -> int:
        """Width in pixels."""
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        """Height in pixels."""
        return int(self.image.shape[0])

    @property
    def visual_tokens(self) -> int:
        """How many 28 × 28 visual tokens the model spends on this frame."""
        return (self.width // PATCH_PIXELS) * (self.height // PATCH_PIXELS)


def budget_size(height: int, width: int, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[int, int]:
    """``(height, width)`` rounded to multiples of 28, aspect kept, area at most ``max_pixels``.

    Each side is at least 28. Sides are rounded to the nearest multiple when
    that fits the budget, otherwise scaled down together and rounded down.
    """
    if height <= 0 or width <= 0:
        raise ValueError(f"image size must be positive, got {height} × {width}")
    if max_pixels < PATCH_PIXELS * PATCH_PIXELS:
        raise ValueError(f"max_pixels must be at least {PATCH_PIXELS * PATCH_PIXELS}, got {max_pixels}")
    new_h = max(PATCH_PIXELS, round(height / PATCH_PIXELS) * PATCH_PIXELS)
    new_w = max(PATCH_PIXELS, round(width / PATCH_PIXELS) * PATCH_PIXELS)
    if new_h * new_w > max_pixels:
        beta = math.sqrt(height * width / max_pixels)
        new_h = max(PATCH_PIXELS, math.floor(height / beta / PATCH_PIXELS) * PATCH_PIXELS)
        new_w = max(PATCH_PIXELS, math.floor(width / beta / PATCH_PIXELS) * PATCH_PIXELS)
    return new_h, new_w


def downscale_to_budget(image: np.ndarray, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """``image`` resized to ``budget_size`` (area-averaged); returned as-is when already that size."""
    height, width = image.shape[:2]
    new_h, new_w = budget_size(height, width, max_pixels)
    if (new_h, new_w) == (height, width):
        return image
    # INTER_AREA averages source pixels, so text stays legible instead of aliasing.
    interpolation = cv2.INTER_AREA if new_h * new_w < height * width else cv2.INTER_LINEAR
    return cv2.resize(image, (new_w, new_h), interpolation=interpolation)


def thumbnail(image: np.ndarray, long_side: int = _THUMB_LONG_SIDE) -> np.ndarray:
    """A small block-averaged copy of ``image`` (its longer side ``long_side`` pixels), as int16.

    Every few pixels are sampled first (so each cell still averages 16 or more
    samples) because averaging all of them costs ten times more.
    """
    height, width = image.shape[:2]
    stride = max(1, max(height, width) // (4 * long_side))
    sampled = np.ascontiguousarray(image[::stride, ::stride])
    scale = long_side / max(sampled.shape[:2])
    size = (max(1, round(sampled.shape[1] * scale)), max(1, round(sampled.shape[0] * scale)))
    return cv2.resize(sampled, size, interpolation=cv2.INTER_AREA).astype(np.int16)


def frames_differ(a: np.ndarray, b: np.ndarray, threshold: float = DEFAULT_DIFF_THRESHOLD) -> bool:
    """Whether two pictures differ visibly: any thumbnail cell changes by more than ``threshold``.

    Each cell of a 64-pixel thumbnail averages a block of the picture (about
    0.3 ms for a 980 × 560 frame), so a
    change confined to one region (a typed word, a new window) is not diluted
    by the rest of the screen, while per-pixel camera noise averages out.
    Pictures of different sizes always differ.
    """
    if a.shape != b.shape:
        return True
    cell_change = np.abs(thumbnail(a) - thumbnail(b))
    if cell_change.ndim == 3:
        cell_change = cell_change.mean(axis=2)
    return bool(cell_change.max() > threshold)


def changed_box(
    a: np.ndarray, b: np.ndarray, threshold: float = DEFAULT_DIFF_THRESHOLD
) -> tuple[int, int, int, int] | None:
    """Where ``b`` differs from ``a``: ``(left, top, width, height)`` in their pixels, or ``None``.

    The thumbnail cells that changed by more than ``threshold`` (as in
    ``frames_differ``) are grouped into touching regions and the bounding box
    of the largest one is returned, so a typed line is found even while a
    clock ticks elsewhere. Pictures of different sizes have no common box.
    """
    if a.shape != b.shape:
        return None
    cell_change = np.abs(thumbnail(a) - thumbnail(b))
    if cell_change.ndim == 3:
        cell_change = cell_change.mean(axis=2)
    mask = (cell_change > threshold).astype(np.uint8)
    if not mask.any():
        return None
    count, _labels, stats, _centres = cv2.connectedComponentsWithStats(mask, connectivity=8)
    largest = 1 + int(np.argmax(stats[1:count, cv2.CC_STAT_AREA]))
    left, top, width, height = (int(v) for v in stats[largest, :4])
    scale_y = a.shape[0] / mask.shape[0]
    scale_x = a.shape[1] / mask.shape[1]
    x0, y0 = math.floor(left * scale_x), math.floor(top * scale_y)
    x1 = min(a.shape[1], math.ceil((left + width) * scale_x))
    y1 = min(a.shape[0], math.ceil((top + height) * scale_y))
    return x0, y0, x1 - x0, y1 - y0
