"""Reading the screen: OCR accuracy of what the engine sends, old frame rule against the frame policy.

For generated 14 px code screens (tests/screen_fixtures.py: DejaVu Sans Mono,
standard-library Python, a file tree and line numbers) at 1920 × 1080 and
2560 × 1440, the images the engine would send (the same code as ``nexus-cli
look``) are read by tesseract (Debian ``tesseract-ocr``, ``--psm 6``) and
scored by character accuracy (1 − edit distance / characters) against the
text they hold:

* full size: the whole screenshot, the reference;
* old: the whole screen downscaled to 980 × 560 (700 visual tokens), against the screen's text;
* new: the focus at native resolution, against the text inside it (also its share of the screen's
  text), with the overview's and focus's visual tokens;
* follow-up: the visual tokens a second turn over the unchanged screen sends, and (with the tiny
  thinker from tests/tiny_omni.py, unless ``--no-prefill``) that turn's prefill tokens.

    .venv/bin/python bench/screen.py [--pointer 900,600] [--no-prefill]
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cli.look_cmd import parse_point, sent_images  # noqa: E402
from engine.media.frame_policy import OVERVIEW, FocusHints, FramePolicy, image_kind, visual_tokens  # noqa: E402
from tests.screen_fixtures import (  # noqa: E402
    char_accuracy,
    code_screen,
    font_path,
    ocr,
    tesseract_available,
)

SIZES = ((1920, 1080), (2560, 1440))


def tiny_engine() -> Any:
    """The tiny random thinker (tests/tiny_omni.py, built once into .nexus-test) as a local engine."""
    from engine.omni.loader import load_thinker
    from engine.omni.local import GenerationSettings, LocalEngine
    from tests.tiny_omni import cached_tiny_thinker

    logging.disable(logging.INFO)
    loaded = load_thinker(cached_tiny_thinker(ROOT / ".nexus-test"), "cpu")
    return LocalEngine(loaded, GenerationSettings(max_new_tokens=8, min_new_tokens=8, temperature=0.0))


def follow_up_prefill(engine: Any, screen: np.ndarray, hints: FocusHints) -> tuple[int, int, int]:
    """(first turn prefill, follow-up prefill, follow-up image tokens) of ``engine`` over ``screen``."""
    from engine.omni.turn import Message, Turn, UserContent

    engine.reset()
    shot = FramePolicy().shoot(screen, hints)
    first = UserContent("What is on my screen?", images=[shot])
    answer = "".join(engine.stream(Turn(first)))
    first_prefill = engine.last_stats.prefill_tokens
    history = [Message("user", first.text, first), Message("assistant", answer)]
    list(engine.stream(Turn(UserContent("Which line has the error?", images=[shot]), history=history)))
    stats = engine.last_stats
    return first_prefill, stats.prefill_tokens, stats.tokens_by_modality.get("image", 0)


def main() -> int:
    """Print the figures for both screen sizes."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--pointer", type=parse_point, default=(900, 600), help="pointer X,Y (default 900,600)"
    )
    parser.add_argument("--no-prefill", action="store_true", help="skip the tiny-thinker prefill figure")
    args = parser.parse_args()
    if not tesseract_available() or font_path() is None:
        print("needs the tesseract-ocr and fonts-dejavu-core Debian packages", file=sys.stderr)
        return 1
    policy = FramePolicy()
    engine = None if args.no_prefill else tiny_engine()
    print(f"frame policy: focus {policy.focus_tokens} tokens, overview {policy.overview_tokens} tokens")
    for width, height in SIZES:
        screen = code_screen(width, height)
        everything = screen.text_in()
        print(f"\n{width}×{height} code screen ({len(everything):,} characters of text)")
        print(f"  full size (reference)            OCR {char_accuracy(everything, ocr(screen.image)):.3f}")
        (old,), _ = sent_images(screen.image, FramePolicy(focus_tokens=0), FocusHints())
        old_h, old_w = old.shape[:2]
        print(
            f"  old: whole screen {old_w}×{old_h}     OCR {char_accuracy(everything, ocr(old)):.3f}"
            f"   {visual_tokens(old):,} visual tokens"
        )
        cases = (("pointer on the code", FocusHints(pointer=args.pointer)), ("no hints", FocusHints()))
        for label, hints in cases:
            images, follow = sent_images(screen.image, policy, hints)
            focus = next(i for i in images if image_kind(i) != OVERVIEW)
            assert focus.box is not None
            inside = screen.text_in(focus.box)
            tokens = " + ".join(f"{visual_tokens(i):,}" for i in images)
            total = sum(visual_tokens(i) for i in images)
            where = f"{focus.shape[1]}×{focus.shape[0]} at ({focus.box.left}, {focus.box.top})"
            print(
                f"  new ({label}): focus {where}"
                f"  OCR {char_accuracy(inside, ocr(np.asarray(focus))):.3f} of its {len(inside):,} characters"
                f" ({len(inside) / max(1, len(everything)):.0%} of the screen's text);"
                f" first turn {tokens} = {total:,} visual tokens;"
                f" follow-up {sum(visual_tokens(i) for i in follow)} visual tokens"
            )
        if engine is not None:
            pointed = FocusHints(pointer=args.pointer)
            first, again, image_tokens = follow_up_prefill(engine, screen.image, pointed)
            print(
                f"  tiny thinker (its processor caps an image at 64 tokens): first turn prefill {first},"
                f" follow-up over the unchanged screen {again} tokens ({image_tokens} image)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
