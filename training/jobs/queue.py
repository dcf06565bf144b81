"""The job queue: several jobs waiting, one running in its own process, all of it kept on disk.

Each job is a folder under ``root`` (see ``training.jobs.state``); the order
of waiting jobs is ``queue.json``. A scheduler thread starts the next queued
job when none is running, watches the process, and records how it ended.
Every process that opens the same folder (the app, ``nexus-cli train run``)
shares one queue: a runner starts only with the folder's runner lock
(``training.jobs.runner_lock``), so two never train at once.
Cancel sends SIGTERM (the runner saves a checkpoint and stops), then SIGKILL
after ``grace_s``. After an app restart, a job whose process is gone is
marked failed; ``resume`` queues it again and it continues from its last
checkpoint.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil
from psygnal import Signal

from engine.atomic import write_text_atomic
from training.jobs.launch import runner_command
from training.jobs.preflight import preflight
from training.jobs.runner_lock import RunnerSlot, order_lock
from training.jobs.spec import JobSpec, SpecError, load_spec, save_spec
from training.jobs.state import JobState, read_state, update_state, write_state

QUEUE_FILE = "queue.json"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobInfo:
    """A job in the list: its folder, name, method and state."""

    path: Path
    name: str
    method: str
    state: JobState


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        process = psutil.Process(pid)
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class JobQueue:
    """Runs queued jobs one at a time; ``job_changed(path)`` fires on every state change."""

    job_changed = Signal(object)

    def __init__(self, root: Path, *, grace_s: float = 60.0, poll_s: float = 0.5,
                 environment: dict[str, str] | None = None,
                 on_finished: Callable[[Path, JobState], None] | None = None) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.grace_s = grace_s
        self.poll_s = poll_s
        self.environment = environment or {}
        self.on_finished = on_finished or (lambda path, state: None)
        self._lock = threading.RLock()
        self._process: subprocess.Popen | None = None
        self._running: Path | None = None
        self._kill_at: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._slot = RunnerSlot(self.root)
        self.damaged: list[Path] = []
        """Job specs the last ``jobs`` could not read (skipped, so the other jobs still run)."""
        self.recover()

    # ----- the list ---------------------------------------------------------------------

    def jobs(self) -> list[JobInfo]:
        """Every job folder, newest first."""
        out: list[JobInfo] = []
        self.damaged = []
        for folder in self.root.iterdir():
            if (folder / "job.yaml").is_file():
                try:
                    spec = load_spec(folder / "job.yaml")
                    out.append(JobInfo(folder, spec.name, spec.method, read_state(folder)))
                except (SpecError, OSError, ValueError) as exc:  # a damaged job is named, never fatal
                    log.warning("skipping the job in %s: %s", folder, exc)
                    self.damaged.append(folder / "job.yaml")
        return sorted(out, key=lambda job: job.state.created, reverse=True)

    def _order(self) -> list[str]:
        try:
            return list(json.loads((self.root / QUEUE_FILE).read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError):
            return []

    def _save_order(self, order: list[str]) -> None:
        write_text_atomic(self.root / QUEUE_FILE, json.dumps(order))

    # ----- actions ------------------------------------------------------------------------

    def submit(self, spec: JobSpec) -> Path:
        """Check the spec and queue it; SpecError lists every problem found before anything starts."""
        problems = preflight(spec, self.root)
        if problems:
            raise SpecError("The job cannot start: " + " ".join(problems))
        stamp = time.strftime("%Y%m%d-%H%M%S")
        slug = re.sub(r"[^a-z0-9]+", "-", spec.name.lower()).strip("-")[:40] or "job"
        folder = self.root / f"{stamp}-{slug}"
        n = 1
        while folder.exists():
            n += 1
            folder = self.root / f"{stamp}-{slug}-{n}"
        folder.mkdir(parents=True)
        save_spec(spec, folder / "job.yaml")
        write_state(folder, JobState())
        with self._lock, order_lock(self.root):
            self._save_order(self._order() + [folder.name])
        self.job_changed.emit(folder)
        return folder

    def cancel(self, folder: Path) -> None:
        """Stop a running job gracefully (forced after ``grace_s``), or drop a queued one."""
        folder = Path(folder)
        with self._lock:
            state = read_state(folder)
            if state.status == "queued":
                with order_lock(self.root):
                    self._save_order([name for name in self._order() if name != folder.name])
                update_state(folder, status="cancelled", finished=time.time(), message="Cancelled before it started.")
            elif state.status in ("running", "cancelling") and state.pid:
                update_state(folder, status="cancelling")
                try:
                    os.kill(state.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                self._kill_at = time.monotonic() + self.grace_s
        self.job_changed.emit(folder)

    def resume(self, folder: Path) -> None:
        """Queue a cancelled or failed job again; it continues from its last checkpoint."""
        folder = Path(folder)
        with self._lock:
            if self._running == folder and self._process is not None:
                # The runner wrote its final state just before exiting: reap it first.
                self._process.wait(timeout=30)
                self._watch()
            state = read_state(folder)
            if state.status not in ("cancelled", "failed"):
                raise SpecError(f"Only a cancelled or failed job can be resumed; this one is {state.status}.")
            update_state(folder, status="queued", message="Queued to resume from its last checkpoint.", pid=None)
            with order_lock(self.root):
                self._save_order(self._order() + [folder.name])
        self.job_changed.emit(folder)

    def recover(self) -> None:
        """Mark jobs whose runner is gone (app restart, crash, kill) as failed."""
        for job in self.jobs():
            if job.state.status in ("running", "cancelling") and not _alive(job.state.pid):
                update_state(job.path, status="failed", pid=None, finished=time.time(),
                             message="The runner stopped unexpectedly; resume continues from the last checkpoint.")

    # ----- scheduling -------------------------------------------------------------------

    def start(self) -> None:
        """Start the scheduler thread."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="nexus-job-queue", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop scheduling (a running job keeps running and is found again on the next start)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def run_until_idle(self, timeout: float | None = None) -> bool:
        """Run the scheduler in this thread until no job is queued or running (CLI, tests)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while deadline is None or time.monotonic() < deadline:
            self.tick()
            if self._process is None and not self._order():
                return True
            time.sleep(self.poll_s)
        return False

    @property
    def running(self) -> Path | None:
        """The job whose process is running, if any."""
        return self._running

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(self.poll_s)

    def tick(self) -> None:
        """Start the next job or watch the running one (the scheduler thread calls this; so can a CLI loop)."""
        with self._lock:
            if self._process is not None:
                self._watch()
            if self._process is None:
                self._launch_next()

    def _launch_next(self) -> None:
        if not self._order() or not self._slot.acquire():
            return  # nothing waits, or a runner (of this or another process) is training
        try:
            with order_lock(self.root):
                folder = self._next_queued()
            if folder is None:
                return
            spec = load_spec(folder / "job.yaml")
            log = open(folder / "runner.log", "ab")
            env = {**os.environ, **self.environment}
            self._process = subprocess.Popen(runner_command(spec, folder), stdout=log, stderr=subprocess.STDOUT,
                                             env=env, cwd=str(Path(__file__).resolve().parents[2]),
                                             pass_fds=self._slot.inheritable_fd)
            log.close()
        finally:
            if self._process is None:
                self._slot.runner_finished()
        self._slot.handed_over()
        self._running = folder
        self._kill_at = None
        update_state(folder, status="running", pid=self._process.pid, message="Starting…")
        self.job_changed.emit(folder)

    def _next_queued(self) -> Path | None:
        """Take the first job still queued off ``queue.json`` (call with the order lock held)."""
        order = self._order()
        while order:
            folder = self.root / order.pop(0)
            self._save_order(order)
            if read_state(folder).status == "queued":
                return folder
        return None

    def _watch(self) -> None:
        assert self._process is not None and self._running is not None
        folder = self._running
        code = self._process.poll()
        if code is None:
            if self._kill_at is not None and time.monotonic() > self._kill_at:
                self._process.kill()
            self.job_changed.emit(folder)
            return
        state = read_state(folder)
        if state.status in ("running", "cancelling"):
            how = "was killed" if code < 0 else f"exited with code {code}"
            if state.status == "cancelling":
                update_state(folder, status="cancelled", pid=None, finished=time.time(),
                             message="Stopped by force; resume continues from the last checkpoint.")
            else:
                update_state(folder, status="failed", pid=None, finished=time.time(),
                             message=f"The runner {how}; see runner.log. Resume continues from the last checkpoint.")
        self._process = None
        self._running = None
        self._slot.runner_finished()
        final = read_state(folder)
        self.job_changed.emit(folder)
        self.on_finished(folder, final)
