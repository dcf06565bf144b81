"""``nexus-cli screenshot OUT.png``: render the real main window to a PNG."""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from engine.errors import DisplayError


def render_main_window(out: Path, tab: str, size: tuple[int, int], settle_s: float, theme: str | None = None) -> Path:
    """Open the main window on the current display, wait for its probes, and save a PNG.

    ``theme`` (light, dark or system) overrides the settings' appearance for this picture.
    """
    from PySide6.QtWidgets import QApplication

    from app.main import create_application
    from app.main_window import MainWindow
    from app.theme import apply_theme
    from engine.config import load_settings

    if not os.environ.get("DISPLAY") and os.environ.get("QT_QPA_PLATFORM", "") not in ("offscreen", "minimal"):
        raise DisplayError(
            "No display to draw the window on (DISPLAY is not set).",
            "Run it inside a desktop session, under Xvfb (xvfb-run nexus-cli screenshot …), "
            "or with QT_QPA_PLATFORM=offscreen.",
        )
    app = create_application([])
    settings = load_settings()
    if theme is not None:
        settings.ui.theme = theme
    apply_theme(app, settings.ui.theme)
    window = MainWindow(settings)
    window.persist_state = False
    window.resize(*size)
    window.select_tab(tab)
    window.show()
    deadline = time.monotonic() + settle_s
    while time.monotonic() < deadline and window.status.pending > 0:
        QApplication.processEvents()
        time.sleep(0.02)
    for _ in range(10):
        QApplication.processEvents()
    out.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(out), "PNG"):
        raise DisplayError(f"Could not write {out}.", "Check that the folder exists and is writable.")
    window.close()
    return out


def parse_size(text: str) -> tuple[int, int]:
    """``WxH`` (e.g. ``900x600``) as a pair of positive integers; argparse error otherwise."""
    width, sep, height = text.lower().partition("x")
    if not sep or not width.strip().isdigit() or not height.strip().isdigit() or 0 in (int(width), int(height)):
        raise argparse.ArgumentTypeError(f"{text!r} is not a size: write it as WIDTHxHEIGHT, e.g. 900x600")
    return int(width), int(height)


def run(args: argparse.Namespace) -> int:
    """Render with a fresh configuration unless ``--my-settings`` is given."""
    out = Path(args.out).expanduser().resolve()
    size = args.size or (args.width, args.height)
    if args.my_settings:
        render_main_window(out, args.tab, size, args.settle, args.theme)
    else:
        with tempfile.TemporaryDirectory(prefix="nexus-shot-") as fresh:
            os.environ["NEXUS_CONFIG_DIR"] = fresh
            render_main_window(out, args.tab, size, args.settle, args.theme)
    print(out)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``screenshot`` to the CLI."""
    parser = subparsers.add_parser("screenshot", help="save a PNG of the main window")
    parser.add_argument("out", help="PNG file to write")
    parser.add_argument("--tab", choices=("live", "podcast", "expert"), default="live")
    parser.add_argument("--width", type=int, default=1180)
    parser.add_argument("--height", type=int, default=760)
    parser.add_argument("--size", type=parse_size, metavar="WxH", help="window size, e.g. 900x600 (instead of --width/--height)")
    parser.add_argument("--theme", choices=("light", "dark", "system"), help="appearance for this picture")
    parser.add_argument("--settle", type=float, default=15.0, help="seconds to wait for device probes")
    parser.add_argument("--my-settings", action="store_true", help="use your settings instead of fresh ones")
    parser.set_defaults(func=run)
