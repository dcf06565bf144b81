"""Recorded Live sessions: a folder per session with the transcript, frames and utterances.

Only written when the user turns recording on. ``transcript.jsonl`` gets one
line per finished turn, flushed at once, so a crash loses at most the turn in
progress. The Expert tab turns these folders into training samples.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from PIL import Image

SESSIONS_DIR = "sessions"


@dataclass(frozen=True)
class SessionInfo:
    """A recorded session on disk."""

    path: Path
    started: str
    turns: int


class SessionRecorder:
    """Writes one Live session into ``root/sessions/<timestamp>/``."""

    def __init__(self, data_dir: Path) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        base = Path(data_dir) / SESSIONS_DIR
        path = base / stamp
        suffix = 1
        while path.exists():
            suffix += 1
            path = base / f"{stamp}-{suffix}"
        (path / "frames").mkdir(parents=True)
        (path / "audio").mkdir()
        self.path = path
        self._transcript = (path / "transcript.jsonl").open("a", encoding="utf-8")

    def save_frame(self, turn_id: int, image: np.ndarray) -> str:
        """Store the frame a turn was answered from; returns its path relative to the session."""
        relative = f"frames/turn-{turn_id:04d}.jpg"
        Image.fromarray(np.asarray(image, dtype=np.uint8)).save(self.path / relative, quality=90)
        return relative

    def save_utterance(self, turn_id: int, audio: np.ndarray, sample_rate: int = 16_000) -> str:
        """Store the user's utterance; returns its path relative to the session."""
        relative = f"audio/turn-{turn_id:04d}.wav"
        sf.write(self.path / relative, np.asarray(audio, dtype=np.float32), sample_rate)
        return relative

    def write_entry(self, entry: dict[str, object]) -> None:
        """Append one transcript record and flush it to disk."""
        self._transcript.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._transcript.flush()

    def close(self) -> None:
        """Close the transcript file."""
        if not self._transcript.closed:
            self._transcript.close()


def list_sessions(data_dir: Path) -> list[SessionInfo]:
    """Recorded sessions, newest first."""
    base = Path(data_dir) / SESSIONS_DIR
    if not base.is_dir():
        return []
    infos = []
    for folder in sorted(base.iterdir(), reverse=True):
        transcript = folder / "transcript.jsonl"
        if transcript.is_file():
            turns = sum(1 for line in transcript.read_text(encoding="utf-8").splitlines() if line.strip())
            infos.append(SessionInfo(folder, folder.name, turns))
    return infos


def delete_session(path: Path) -> None:
    """Remove a recorded session and everything in it."""
    path = Path(path)
    if not (path / "transcript.jsonl").exists() or path.parent.name != SESSIONS_DIR:
        raise ValueError(f"{path} is not a Nexus session folder")
    shutil.rmtree(path)
