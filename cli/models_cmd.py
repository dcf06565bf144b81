"""``nexus-cli models list|download|verify``: the model manager from the terminal."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from engine.config import Settings, load_settings
from engine.errors import DownloadCancelled
from engine.models import DownloadProgress, ModelManager, format_bytes, get_spec

_REDRAW_S = 0.1
_REDRAW_PIPE_S = 2.0


def _manager(settings: Settings, endpoint: str | None = None) -> ModelManager:
    return ModelManager(settings.folders.resolved_models_dir(), endpoint=endpoint)


def list_models(args: argparse.Namespace) -> int:
    """Print every known model with whether it is installed."""
    settings = load_settings()
    manager = _manager(settings)
    selected = {settings.model.model_id, settings.voices.whisper_model}
    voices = (settings.voices.assistant_voice, settings.voices.host_a_voice, settings.voices.host_b_voice)
    selected |= {f"piper-{voice}" for voice in voices}
    statuses = manager.list()
    width = max(len(s.spec.key) for s in statuses) + 2
    print(f"{'KEY'.ljust(width)}{'KIND'.ljust(9)}{'SIZE'.ljust(10)}STATUS")
    for status in statuses:
        spec = status.spec
        mark = "*" if selected & {spec.key, spec.repo_id} else " "
        if status.installed:
            state = f"installed in {status.path}"
        elif status.bytes_on_disk:
            state = f"partial ({format_bytes(status.bytes_on_disk)} on disk; download resumes)"
        else:
            state = "not downloaded"
        size = format_bytes(spec.approx_bytes)
        print(f"{(spec.key + mark).ljust(width)}{spec.kind.ljust(9)}{size.ljust(10)}{state}")
    print(f"\n* selected in the settings. Models folder: {manager.models_dir}")
    if settings.model.local_path is not None:
        print(f"The language model is loaded from the local folder {settings.model.local_path}.")
    return 0


class _ProgressLine:
    """Redraws one progress line on stderr, at most every few tenths of a second."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self._last = 0.0
        self._width = 0

    def __call__(self, progress: DownloadProgress) -> None:
        now = time.monotonic()
        finished = progress.bytes_done >= progress.bytes_total
        if not finished and now - self._last < (_REDRAW_S if self.tty else _REDRAW_PIPE_S):
            return
        self._last = now
        speed = f"  {format_bytes(progress.speed)}/s" if progress.speed > 0 else ""
        line = (
            f"{progress.fraction * 100:5.1f}%  {format_bytes(progress.bytes_done)} / "
            f"{format_bytes(progress.bytes_total)}{speed}  "
            f"[{progress.file_index}/{progress.file_count}] {progress.file}"
        )
        if self.tty:
            print("\r" + line.ljust(self._width), end="", file=sys.stderr, flush=True)
            self._width = len(line)
        else:
            print(line, file=sys.stderr, flush=True)

    def end(self) -> None:
        """Leave the cursor on a fresh line."""
        if self.tty and self._width:
            print(file=sys.stderr, flush=True)


def _wait_cancellable(finished: threading.Event, cancel: threading.Event, line: _ProgressLine) -> None:
    """Wait for the worker; a first Ctrl-C asks it to stop, a second one stops waiting."""

    def on_interrupt(_signum: int, _frame: FrameType | None) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        line.end()
        print("Stopping after the current chunk… (Ctrl-C again to quit at once)", file=sys.stderr)

    # A handler rather than catching KeyboardInterrupt: the exception could land between two
    # statements of the wait loop and escape it, leaving the download running uncancelled.
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_interrupt) if in_main else None
    try:
        # Short waits, so the handler runs soon even when the signal went to another thread.
        while not finished.wait(0.2):
            pass
    finally:
        if in_main:
            signal.signal(signal.SIGINT, previous)


def download(args: argparse.Namespace) -> int:
    """Download a model with a progress line; Ctrl-C stops cleanly and keeps the partial files."""
    manager = _manager(load_settings(), args.endpoint)
    spec = get_spec(args.key)
    cancel = threading.Event()
    line = _ProgressLine()
    outcome: dict[str, Path | BaseException] = {}
    finished = threading.Event()

    def work() -> None:
        try:
            outcome["path"] = manager.download(spec.key, progress=line, cancel=cancel)
        except BaseException as exc:  # handed to the main thread, which reports it
            outcome["error"] = exc
        finally:
            finished.set()

    print(f"Downloading {spec.title} ({spec.repo_id}) into {manager.root_for(spec)}", file=sys.stderr)
    worker = threading.Thread(target=work, name="nexus-download", daemon=True)
    worker.start()
    _wait_cancellable(finished, cancel, line)
    worker.join()
    line.end()
    error = outcome.get("error")
    if isinstance(error, DownloadCancelled):
        print(f"{error.message}\n{error.hint}", file=sys.stderr)
        return 130
    if isinstance(error, BaseException):
        raise error
    print(f"{spec.title} is ready in {outcome['path']}")
    return 0


def verify(args: argparse.Namespace) -> int:
    """Re-hash a downloaded model's files; exit 1 when any is missing or damaged."""
    manager = _manager(load_settings())
    spec = get_spec(args.key)
    print(f"Verifying {spec.title} in {manager.path_for(spec)}…", file=sys.stderr)
    report = manager.verify(spec.key)
    labels = {"missing": "missing", "size_mismatch": "wrong size", "hash_mismatch": "damaged (hash differs)"}
    for check in report.problems:
        print(f"  {labels.get(check.status, check.status)}: {check.path}")
    if report.ok:
        print(f"All {len(report.files)} files of {spec.title} are intact.")
        return 0
    print(f"{len(report.problems)} of {len(report.files)} files are missing or damaged.")
    print(f"Run `nexus-cli models download {spec.key}` to fetch them again.", file=sys.stderr)
    return 1


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``models`` and its ``list``, ``download`` and ``verify`` actions to the CLI."""
    parser = subparsers.add_parser(
        "models",
        help="list, download and verify models",
        description="Manage the language, speech recognition and voice models in the models folder.",
    )
    parser.set_defaults(func=list_models)
    actions = parser.add_subparsers(dest="models_action", metavar="ACTION")
    actions.add_parser("list", help="show every known model and whether it is installed").set_defaults(
        func=list_models
    )
    fetch = actions.add_parser(
        "download",
        help="download a model (resumes a partial download)",
        description="Download a model into the models folder. Ctrl-C stops; running it again resumes.",
    )
    fetch.add_argument(
        "key", metavar="KEY", help="a key from `models list`, or a repository id like org/name"
    )
    fetch.add_argument(
        "--endpoint", metavar="URL", default=None, help="hub address (default: HF_ENDPOINT or huggingface.co)"
    )
    fetch.set_defaults(func=download)
    check = actions.add_parser("verify", help="re-check a downloaded model's sizes and hashes (offline)")
    check.add_argument("key", metavar="KEY", help="a key from `models list`")
    check.set_defaults(func=verify)

