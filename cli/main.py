"""Entry point of ``nexus-cli``: builds the argument parser from command modules.

Each command module exposes ``register(subparsers)`` which adds its parser and
sets ``func`` (a callable taking the parsed namespace and returning an exit code).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence

from engine import __version__, feedback
from engine.errors import NexusError, describe_os_error
from engine.logging_setup import setup_logging
from engine.privacy import make_private

from cli import data_cmd, doctor_cmd, engine_cmd, live_cmd, media_cmd, models_cmd, podcast_cmd, screenshot_cmd, train_cmd, turns_cmd

COMMAND_MODULES = (doctor_cmd, models_cmd, engine_cmd, media_cmd, live_cmd, turns_cmd, podcast_cmd, data_cmd, train_cmd,
                   screenshot_cmd)


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


log = logging.getLogger("nexus.cli")


class _StderrFeedback:
    """Prints engine progress and warnings on stderr.

    A stage's progress shows only once it has run for a second, then at most
    once a second, and ends with its 100 % line; quick work prints nothing.
    """

    def __init__(self) -> None:
        self._started: dict[str, float] = {}
        self._shown: dict[str, float] = {}

    def progress(self, stage: str, done: float, total: float | None) -> None:
        """Show ``done`` of ``total`` for ``stage`` when it is worth a line."""
        now = time.monotonic()
        started = self._started.setdefault(stage, now)
        if total is not None and done >= total:
            if self._shown.pop(stage, None) is not None:
                print(f"  {stage}: 100%", file=sys.stderr, flush=True)
            self._started.pop(stage, None)
            return
        if now - started < 1.0 or now - self._shown.get(stage, started) < 1.0:
            return
        self._shown[stage] = now
        shown = f"{done / total:.0%}" if total else f"{done:,.0f}"
        print(f"  {stage}: {shown}", file=sys.stderr, flush=True)

    def warning(self, message: str) -> None:
        """Print a problem the command carried on past."""
        print(f"warning: {message}", file=sys.stderr, flush=True)


def _report(error: NexusError) -> int:
    """Print ``error`` as the CLI's "error:" and "hint:" lines; return the exit code 2."""
    print(f"error: {error.message}", file=sys.stderr)
    if error.hint:
        print(f"hint: {error.hint}", file=sys.stderr)
    return 2


def _command_name(args: argparse.Namespace) -> str:
    words = [args.command] + [
        value for key, value in vars(args).items() if key.endswith("_action") and isinstance(value, str)
    ]
    return "nexus-cli " + " ".join(word for word in words if word)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code (2 for a reported error, 130 for Ctrl-C).

    Errors a person can act on (``NexusError``) print an "error:" and a "hint:"
    line. File-system faults nothing caught earlier (a full disk, a read-only or
    forbidden folder) and unexpected failures are reported the same way, with
    the traceback written to the log file instead of the terminal.
    """
    make_private()
    parser = build_parser()
    args = parser.parse_args(argv)
    log_file = setup_logging(logging.DEBUG if args.verbose else logging.INFO, console=args.verbose)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    printer = _StderrFeedback()
    try:
        with feedback.listening(printer.progress, printer.warning):
            return int(args.func(args) or 0)
    except NexusError as exc:
        return _report(exc)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of stdout went away (`| head`): nothing to say, and nothing more may be written.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:
        log.error("%s failed", _command_name(args), exc_info=True)
        return _report(describe_os_error(exc))
    except Exception as exc:  # the last resort: one sentence, the details in the log
        log.error("%s failed unexpectedly", _command_name(args), exc_info=True)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        return _report(
            NexusError(
                f"{_command_name(args)} failed unexpectedly ({exc.__class__.__name__}: {reason}).",
                f"The details are in {log_file}; run the command again with -v to see them here.",
            )
        )


if __name__ == "__main__":
    sys.exit(main())
