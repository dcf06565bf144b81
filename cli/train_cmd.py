"""``nexus-cli train run|status|cancel|resume``: fine-tune jobs from the terminal (the same queue as the GUI)."""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from engine.config import load_settings
from engine.errors import NexusError, describe_os_error


_SPEC_HINT = "A job spec is a UTF-8 YAML mapping (name, method, model, data …); see Fine-tune jobs in the README."


def _jobs_folder() -> Path:
    return load_settings().folders.resolved_data_dir() / "jobs"


def _queue():  # type: ignore[no-untyped-def]
    from training.jobs.queue import JobQueue

    folder = _jobs_folder()
    try:
        return JobQueue(folder)
    except OSError as exc:
        raise _unwritable(folder, exc) from exc


def _unwritable(folder: Path, exc: OSError) -> NexusError:
    """The pre-start message when the jobs folder cannot be written (read-only, full, forbidden)."""
    reason = describe_os_error(exc, folder).message
    return NexusError(
        f"The job was not started: {reason[0].lower()}{reason[1:]}",
        "Point the data folder (Settings → Folders; the jobs folder is inside it) at a writable disk with "
        "free space, then run the command again.",
    )


def _check_base_model(model_dir: Path) -> None:
    """Refuse, before anything is queued, a base model folder that holds another kind of model."""
    from engine.omni.errors import ModelLoadError
    from engine.omni.loader import detect_layout

    if not (model_dir / "config.json").is_file():
        return  # the spec check names a missing config.json with the other problems
    try:
        detect_layout(model_dir)
    except ModelLoadError as exc:
        raise NexusError(f"The job was not started: {exc.message[0].lower()}{exc.message[1:]}", exc.hint) from exc


def _read_spec(path: Path):  # type: ignore[no-untyped-def]
    """The checked spec at ``path``; a binary, non-UTF-8 or unreadable file is one sentence and a next step."""
    from training.jobs.spec import SpecError, load_spec

    try:
        return load_spec(path)
    except UnicodeDecodeError:
        raise NexusError(
            f"{path} is not a YAML job spec: it holds binary data or is not UTF-8 text.", _SPEC_HINT
        ) from None
    except IsADirectoryError:
        raise NexusError(f"{path} is a folder, not a job spec.", "Pass the job's .yaml file.") from None
    except OSError as exc:
        raise describe_os_error(exc, path) from exc
    except SpecError as exc:
        if exc.hint:
            raise
        raise SpecError(exc.message, _SPEC_HINT) from exc


def _jobs(queue):  # type: ignore[no-untyped-def]
    """The queue's jobs; a job spec damaged on disk (binary, not UTF-8) is named with what to do."""
    jobs = queue.jobs()
    if queue.damaged:
        raise NexusError(
            f"The job spec {queue.damaged[0]} is damaged and cannot be read.",
            "Delete that job's folder (or restore its job.yaml); the other jobs are listed then.",
        )
    return jobs


def _find(queue, name: str) -> Path:  # type: ignore[no-untyped-def]
    path = Path(name).expanduser()
    if (path / "job.yaml").is_file():
        return path
    matches = [job.path for job in _jobs(queue) if job.path.name == name or job.path.name.startswith(name)]
    if len(matches) != 1:
        raise NexusError(f"No single job matches '{name}'.", "Run `nexus-cli train status` to list jobs.")
    return matches[0]


def _follow(queue, job: Path) -> int:  # type: ignore[no-untyped-def]
    from training.jobs.state import read_progress, read_state

    seen = 0
    try:
        while True:
            queue.tick()
            for row in read_progress(job, seen):
                seen += 1
                parts = [f"step {row['step']}/{row['max_steps']}"]
                for key, label in (("loss", "loss"), ("eval_loss", "eval"), ("reward_margin", "margin")):
                    if row.get(key) is not None:
                        parts.append(f"{label} {row[key]:.4f}")
                if row.get("eta_s"):
                    parts.append(f"eta {row['eta_s']:.0f}s")
                if row.get("note"):
                    parts.append(f"({row['note']})")
                print("  " + "  ".join(parts), flush=True)
            state = read_state(job)
            if state.status in ("completed", "failed", "cancelled") and queue.running is None:
                print(f"{job.name}: {state.status}. {state.message}")
                return 0 if state.status == "completed" else 1
            time.sleep(queue.poll_s)
    except KeyboardInterrupt:
        print("cancelling (a checkpoint is saved; `nexus-cli train resume` continues)…", file=sys.stderr)
        queue.cancel(job)
        while queue.running is not None:
            queue.tick()
            time.sleep(queue.poll_s)
        return 130


def run(args: argparse.Namespace) -> int:
    """Check the spec, queue it and follow it until it ends."""
    from training.jobs.spec import SpecError

    spec = _read_spec(Path(args.spec).expanduser())
    _check_base_model(Path(spec.base_model).expanduser())
    queue = _queue()
    before = {path.name for path in queue.root.iterdir()} if queue.root.is_dir() else set()
    try:
        job = queue.submit(spec)
    except SpecError as exc:
        if exc.hint:
            raise
        raise SpecError(
            exc.message, "Change what it names in the job spec (or free what it asks for), then run it again."
        ) from exc
    except OSError as exc:
        # Nothing half-made stays behind: a job folder this submit created is removed.
        for path in queue.root.iterdir():
            if path.is_dir() and path.name not in before:
                shutil.rmtree(path, ignore_errors=True)
        raise _unwritable(queue.root, exc) from exc
    print(f"job {job.name} in {job}")
    return _follow(queue, job) if not args.detach else 0


def status(args: argparse.Namespace) -> int:
    """List jobs, or one job's state and last figures."""
    from training.jobs.state import read_progress

    if not _jobs_folder().is_dir():
        if args.job is not None:
            raise NexusError(f"No single job matches '{args.job}'.", "Run `nexus-cli train status` to list jobs.")
        print("no jobs")
        return 0
    queue = _queue()
    jobs = [job for job in _jobs(queue) if args.job is None or job.path == _find(queue, args.job)]
    if not jobs:
        print("no jobs")
    for job in jobs:
        rows = [r for r in read_progress(job.path) if r.get("loss") is not None or r.get("reward_margin") is not None]
        last = rows[-1] if rows else {}
        figure = f"loss {last['loss']:.4f}" if last.get("loss") is not None else ""
        print(f"{job.path.name:40s} {job.method:9s} {job.state.status:10s} step {job.state.step}/{job.state.max_steps} "
              f"{figure}  {job.state.message}")
    return 0


def cancel(args: argparse.Namespace) -> int:
    """Ask a running job to save a checkpoint and stop (or drop a queued one)."""
    queue = _queue()
    queue.cancel(_find(queue, args.job))
    return 0


def resume(args: argparse.Namespace) -> int:
    """Queue a cancelled or failed job again and follow it."""
    queue = _queue()
    job = _find(queue, args.job)
    queue.resume(job)
    return _follow(queue, job) if not args.detach else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``train`` and its actions."""
    parser = subparsers.add_parser("train", help="fine-tune jobs (LoRA SFT, DPO)")
    actions = parser.add_subparsers(dest="train_action", metavar="ACTION", required=True)
    run_parser = actions.add_parser("run", help="check and run a job spec (YAML), printing progress")
    run_parser.add_argument("spec", metavar="JOB.yaml")
    run_parser.add_argument("--detach", action="store_true", help="only queue it (the app's queue runs it)")
    run_parser.set_defaults(func=run)
    status_parser = actions.add_parser("status", help="list jobs and their state")
    status_parser.add_argument("job", nargs="?", help="a job folder or name prefix")
    status_parser.set_defaults(func=status)
    cancel_parser = actions.add_parser("cancel", help="stop a job after saving a checkpoint")
    cancel_parser.add_argument("job")
    cancel_parser.set_defaults(func=cancel)
    resume_parser = actions.add_parser("resume", help="continue a cancelled or failed job from its checkpoint")
    resume_parser.add_argument("job")
    resume_parser.add_argument("--detach", action="store_true")
    resume_parser.set_defaults(func=resume)
