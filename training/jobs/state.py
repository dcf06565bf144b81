"""A job's folder and its state file, written by the queue and the runner process alike.

Layout of a job folder::

    job.yaml          the spec
    state.json        status, pid, times, message (atomic writes)
    progress.jsonl    one line per logged step (the GUI tails it)
    runner.log        the runner's stdout and stderr
    checkpoints/      Trainer checkpoints (resume from the last)
    tensorboard/      TensorBoard events
    adapter/          the PEFT adapter when the job completed
    card.json         spec, data hash and final metrics
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from engine.atomic import write_text_atomic

Status = Literal["queued", "running", "cancelling", "cancelled", "failed", "completed"]
TERMINAL = ("cancelled", "failed", "completed")


@dataclass
class JobState:
    """Where a job stands."""

    status: Status = "queued"
    pid: int | None = None
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    message: str = ""
    step: int = 0
    max_steps: int = 0
    resumed_from: str | None = None


def state_path(job_dir: Path) -> Path:
    """The state file of a job."""
    return Path(job_dir) / "state.json"


def read_state(job_dir: Path) -> JobState:
    """The job's state (a fresh queued state when the file is missing or damaged)."""
    try:
        data = json.loads(state_path(job_dir).read_text(encoding="utf-8"))
        return JobState(**{k: v for k, v in data.items() if k in JobState.__dataclass_fields__})
    except (OSError, json.JSONDecodeError, TypeError):
        return JobState()


def write_state(job_dir: Path, state: JobState) -> None:
    """Replace the job's state atomically."""
    write_text_atomic(state_path(job_dir), json.dumps(asdict(state), indent=1))


def update_state(job_dir: Path, **changes: object) -> JobState:
    """Read, change and write the state."""
    state = read_state(job_dir)
    for key, value in changes.items():
        setattr(state, key, value)
    write_state(job_dir, state)
    return state


def read_progress(job_dir: Path, start_line: int = 0) -> list[dict]:
    """Progress records from line ``start_line`` on (a half-written last line is left for later)."""
    path = Path(job_dir) / "progress.jsonl"
    if not path.is_file():
        return []
    out: list[dict] = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if number < start_line or not line.endswith("\n"):
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return out


def last_checkpoint(job_dir: Path) -> Path | None:
    """The newest complete Trainer checkpoint of the job."""
    folder = Path(job_dir) / "checkpoints"
    if not folder.is_dir():
        return None
    done = [p for p in folder.glob("checkpoint-*") if (p / "trainer_state.json").is_file()]
    return max(done, key=lambda p: int(p.name.split("-")[-1]), default=None)
