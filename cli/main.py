"""Entry point of ``nexus-cli``: builds the argument parser from command modules.

Each command module exposes ``register(subparsers)`` which adds its parser and
sets ``func`` (a callable taking the parsed namespace and returning an exit code).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from engine import __version__
from engine.errors import NexusError
from engine.logging_setup import setup_logging
from engine.privacy import make_private

from cli import data_cmd, doctor_cmd, engine_cmd, live_cmd, media_cmd, models_cmd, podcast_cmd, screenshot_cmd, train_cmd

COMMAND_MODULES = (doctor_cmd, models_cmd, engine_cmd, media_cmd, live_cmd, podcast_cmd, data_cmd, train_cmd, screenshot_cmd)


def build_parser() -> argparse.ArgumentParser:
    """The full ``nexus-cli`` parser."""
    parser = argparse.ArgumentParser(
        prog="nexus-cli",
        description="Nexus, the private on-device assistant, from the terminal.",
    )
    parser.add_argument("--version", action="version", version=f"nexus {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details to the console")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code (2 for a reported error)."""
    make_private()
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(logging.DEBUG if args.verbose else logging.INFO, console=args.verbose)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except NexusError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
