"""``nexus-cli look IMAGE -o DIR``: the images the engine would send for a screen, and their tokens.

The screenshot goes through the same code as a live screen capture (the
frame policy of the Live settings: overview plus native-resolution focus)
and the engine's media rule, and the resulting images are written as PNG,
pixel for pixel what the model would get on the first turn. A follow-up over
the same, unchanged screen is checked too: the media rule drops both images
because the prompt still shows them.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from engine.atomic import write_bytes_atomic
from engine.config import load_settings
from engine.errors import NexusError, describe_os_error
from engine.media.frame_policy import OVERVIEW, Box, FocusHints, FramePolicy, image_kind, visual_tokens
from engine.omni.media_policy import MediaPolicy
from engine.omni.turn import Message, Turn, UserContent

MANIFEST = "look.json"


class LookError(NexusError):
    """The screenshot or the output folder cannot be used."""


def load_screenshot(path: Path) -> np.ndarray:
    """``path`` as an H × W × 3 uint8 RGB array; ``LookError`` when it is not a readable picture."""
    if not path.is_file():
        raise LookError(
            f"{path} does not exist or is not a file.",
            "Give the path of a PNG or JPEG screenshot.",
        )
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError) as exc:
        message = f"{path} is not a picture Nexus can read ({exc})."
        raise LookError(message, "Use a PNG or JPEG screenshot.") from exc


def _numbers(text: str, count: int, what: str) -> tuple[int, ...]:
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != count or not all(p.lstrip("-").isdigit() for p in parts):
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
    return tuple(int(p) for p in parts)


def parse_point(text: str) -> tuple[int, int]:
    """``X,Y`` in screen pixels."""
    x, y = _numbers(text, 2, "a point: write it as X,Y, e.g. 900,500")
    return x, y


def parse_box(text: str) -> Box:
    """``X,Y,W,H`` in screen pixels."""
    what = "a rectangle: write it as X,Y,WIDTH,HEIGHT, e.g. 0,0,1280,800"
    left, top, width, height = _numbers(text, 4, what)
    if width <= 0 or height <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} has no area: WIDTH and HEIGHT must be positive")
    return Box(left, top, width, height)


def _tokens(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.strip().isdigit() or int(text) < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least {minimum}")
        return int(text)

    return parse


def sent_images(
    screenshot: np.ndarray, policy: FramePolicy, hints: FocusHints, media: MediaPolicy | None = None
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """What the engine sends on a first turn over ``screenshot``, and on a follow-up over the same screen."""
    media = media or MediaPolicy()
    shot = policy.shoot(screenshot, hints)
    first = UserContent(images=[shot])
    media.prepare(Turn(first))
    history = [Message("user", "", first), Message("assistant", "")]
    follow_up, _dropped = media.planned(Turn(UserContent(images=[shot]), history=history))
    return first.images, follow_up


def _clear_previous(out: Path) -> None:
    """Remove the pictures a previous ``look`` listed in ``out``'s manifest."""
    manifest = out / MANIFEST
    try:
        previous = json.loads(manifest.read_text(encoding="utf-8"))
        names = [str(item["file"]) for item in previous.get("images", [])]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return
    for name in names:
        if Path(name).name == name:
            (out / name).unlink(missing_ok=True)


def _png(image: np.ndarray) -> bytes:
    buffer = BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buffer, format="PNG")
    return buffer.getvalue()


def run(args: argparse.Namespace) -> int:
    """Write the images and print their sizes and tokens."""
    path = Path(args.image).expanduser()
    out = Path(args.out).expanduser()
    screenshot = load_screenshot(path)
    live = load_settings().live
    policy = FramePolicy.from_settings(live)
    if args.focus_tokens is not None or args.overview_tokens is not None:
        policy = FramePolicy(
            focus_tokens=policy.focus_tokens if args.focus_tokens is None else args.focus_tokens,
            overview_tokens=policy.overview_tokens if args.overview_tokens is None else args.overview_tokens,
        )
    hints = FocusHints(pointer=args.pointer, window=args.window, change=args.change)
    images, follow_up = sent_images(screenshot, policy, hints)
    if out.exists() and not out.is_dir():
        raise LookError(
            f"{out} is a file; look writes a folder of pictures.", f"Give a folder, e.g. -o {out.parent}"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        _clear_previous(out)
        rows = []
        for index, image in enumerate(images, 1):
            kind = image_kind(image) or "screen"
            name = f"{index}-{kind}.png"
            write_bytes_atomic(out / name, _png(image))
            box = getattr(image, "box", None)
            rows.append(
                {
                    "file": name,
                    "kind": kind,
                    "width": int(image.shape[1]),
                    "height": int(image.shape[0]),
                    "visual_tokens": visual_tokens(image),
                    "region": None if box is None else [box.left, box.top, box.width, box.height],
                }
            )
        total = sum(row["visual_tokens"] for row in rows)
        follow_tokens = sum(visual_tokens(i) for i in follow_up)
        manifest = {
            "screenshot": str(path),
            "screen": [int(screenshot.shape[1]), int(screenshot.shape[0])],
            "focus_tokens": policy.focus_tokens,
            "overview_tokens": policy.overview_tokens,
            "images": rows,
            "visual_tokens": total,
            "follow_up_visual_tokens": follow_tokens,
        }
        write_bytes_atomic(out / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))
    except OSError as exc:
        raise describe_os_error(exc, out) from exc
    height, width = screenshot.shape[:2]
    setting = "off"
    if policy.enabled:
        setting = f"focus {policy.focus_tokens} tokens, overview {policy.overview_tokens}"
    print(f"{path.name}: {width}×{height}, frame policy: {setting}")
    for row, image in zip(rows, images):
        size = f"{row['width']}×{row['height']}"
        box = getattr(image, "box", None)
        if image_kind(image) == OVERVIEW or box is None:
            where = "the whole screen, downscaled"
        else:
            where = f"{box}, native resolution"
        print(f"  {row['file']:<16}{size:>10}  {row['visual_tokens']:>5} visual tokens  {where}")
    plural = "s" if len(rows) != 1 else ""
    print(f"  total: {total} visual tokens in {len(rows)} image{plural}, written to {out}")
    if follow_up:
        print(
            f"  a follow-up over this unchanged screen sends {len(follow_up)} image(s), "
            f"{follow_tokens} visual tokens"
        )
    else:
        print("  a follow-up over this unchanged screen sends no image (0 visual tokens)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``look`` to the CLI."""
    parser = subparsers.add_parser(
        "look",
        help="write the images the engine would send for a screenshot, with their visual tokens",
        description="Run a screenshot through the Live frame policy and the engine's media rule and write, "
        "as PNG, exactly the images the model would get on the first turn; prints each one's size and "
        "visual tokens (28×28 pixels each) and the total.",
    )
    parser.add_argument("image", help="a screenshot (PNG or JPEG) at the screen's full resolution")
    parser.add_argument("-o", "--out", required=True, help="folder to write the images (and look.json) into")
    parser.add_argument("--pointer", type=parse_point, help="pointer position X,Y (it has just moved there)")
    parser.add_argument("--window", type=parse_box, help="the active window X,Y,WIDTH,HEIGHT")
    parser.add_argument("--change", type=parse_box, help="where the screen last changed, X,Y,WIDTH,HEIGHT")
    parser.add_argument(
        "--focus-tokens",
        type=_tokens(0),
        help="focus budget instead of the settings' (0: the whole screen downscaled)",
    )
    parser.add_argument("--overview-tokens", type=_tokens(1), help="overview budget instead of the settings'")
    parser.set_defaults(func=run)
