"""An episode on disk: sources, outline, script, audio per turn and the listener's interactions.

An episode folder holds ``episode.json`` (rewritten atomically after every
change, so a crash loses at most the turn being spoken) and ``audio/`` with
one WAV per turn. Replaying an episode plays those files; nothing is
regenerated.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import psutil

from engine.atomic import write_text_atomic
from engine.errors import NexusError
from engine.podcast.document import Section, Source

EPISODE_FILE = "episode.json"
AUDIO_DIR = "audio"
TurnKind = Literal["script", "question", "answer", "bridge"]
LISTENER = "Listener"


class EpisodeError(NexusError):
    """An episode folder that cannot be read."""


@dataclass
class Sentence:
    """A sentence of a turn and where it lies in the turn's audio."""

    text: str
    start_s: float = 0.0
    end_s: float = 0.0


@dataclass
class EpisodeTurn:
    """One spoken turn of the episode or of an interaction."""

    id: int
    speaker: str
    text: str
    refs: list[str] = field(default_factory=list)
    chapter: int = 0
    kind: TurnKind = "script"
    audio: str | None = None
    duration_s: float = 0.0
    sentences: list[Sentence] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict) -> "EpisodeTurn":
        """Parse the JSON form."""
        data = dict(data)
        data["sentences"] = [Sentence(**s) for s in data.get("sentences", [])]
        return cls(**data)


@dataclass
class Interaction:
    """The listener joined: their question, the hosts' answers and the bridge back."""

    id: int
    after_turn: int
    resume_sentence: int
    via: Literal["voice", "text"]
    question: EpisodeTurn
    answers: list[EpisodeTurn] = field(default_factory=list)
    created: str = ""

    @classmethod
    def from_dict(cls, data: dict) -> "Interaction":
        """Parse the JSON form."""
        data = dict(data)
        data["question"] = EpisodeTurn.from_dict(data["question"])
        data["answers"] = [EpisodeTurn.from_dict(a) for a in data.get("answers", [])]
        return cls(**data)


@dataclass
class ChapterMark:
    """A chapter of the outline and the first script turn that belongs to it."""

    title: str
    first_turn: int
    points: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)


@dataclass
class SourceInfo:
    """What an episode was made from (enough to tell if a source changed)."""

    path_or_url: str
    title: str
    kind: str
    sha256: str
    sections: int
    refs: dict[str, str] = field(default_factory=dict)
    """Reference → section title, shown next to the transcript."""


@dataclass
class Episode:
    """Everything about one episode. ``status`` is writing, ready or failed."""

    id: str
    title: str
    created: str
    spec: dict
    sources: list[SourceInfo] = field(default_factory=list)
    chapters: list[ChapterMark] = field(default_factory=list)
    turns: list[EpisodeTurn] = field(default_factory=list)
    interactions: list[Interaction] = field(default_factory=list)
    status: str = "writing"
    notes: list[str] = field(default_factory=list)
    words_per_minute: float = 0.0
    voices: dict[str, str] = field(default_factory=dict)
    sample_rate: int = 22_050
    writer: dict | None = None
    """While writing: the writing process (``pid`` and its start time), so a killed one is recognised."""
    folder: Path | None = field(default=None, compare=False)

    def next_turn_id(self) -> int:
        """An id no turn of this episode has yet."""
        ids = [t.id for t in self.turns] + [
            t.id for i in self.interactions for t in [i.question, *i.answers]
        ]
        return max(ids, default=-1) + 1

    def audio_path(self, turn: EpisodeTurn) -> Path | None:
        """The WAV of ``turn``, when it was synthesised."""
        if turn.audio is None or self.folder is None:
            return None
        return self.folder / turn.audio

    def chapter_of(self, index: int) -> int:
        """The chapter the script turn at ``index`` belongs to."""
        return self.turns[index].chapter if 0 <= index < len(self.turns) else 0

    def timeline(self) -> Iterator[EpisodeTurn]:
        """Every turn in the order it was heard: the script with interactions where they happened."""
        by_turn: dict[int, list[Interaction]] = {}
        for interaction in self.interactions:
            by_turn.setdefault(interaction.after_turn, []).append(interaction)
        for index, turn in enumerate(self.turns):
            yield turn
            for interaction in by_turn.pop(index, []):
                yield interaction.question
                yield from interaction.answers
        for rest in by_turn.values():
            for interaction in rest:
                yield interaction.question
                yield from interaction.answers

    def to_json(self) -> str:
        """The episode as pretty JSON (without its folder)."""
        data = asdict(self)
        data.pop("folder")
        return json.dumps(data, indent=1, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str, folder: Path | None = None) -> "Episode":
        """Parse ``episode.json``."""
        data = json.loads(text)
        data["sources"] = [SourceInfo(**s) for s in data.get("sources", [])]
        data["chapters"] = [ChapterMark(**c) for c in data.get("chapters", [])]
        data["turns"] = [EpisodeTurn.from_dict(t) for t in data.get("turns", [])]
        data["interactions"] = [Interaction.from_dict(i) for i in data.get("interactions", [])]
        data.pop("folder", None)
        return cls(**data, folder=folder)


def this_process() -> dict:
    """The writer record of the current process."""
    return {"pid": os.getpid(), "started": psutil.Process().create_time()}


def writer_alive(writer: dict | None) -> bool:
    """Whether the process that ``writer`` names is still running (the same process, not a reused pid)."""
    if not writer:
        return False
    try:
        process = psutil.Process(int(writer["pid"]))
        return abs(process.create_time() - float(writer["started"])) < 1.0 and process.status() != psutil.STATUS_ZOMBIE
    except (psutil.Error, KeyError, TypeError, ValueError):
        return False


@dataclass(frozen=True)
class EpisodeSummary:
    """A line of the library."""

    id: str
    title: str
    created: str
    status: str
    turns: int
    duration_s: float
    folder: Path


@dataclass(frozen=True)
class DamagedEpisode:
    """A folder in the library whose ``episode.json`` cannot be read, and why."""

    folder: Path
    reason: str


class EpisodeStore:
    """The episode library: one folder per episode under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.damaged: list[DamagedEpisode] = []
        """The folders the last ``list`` could not read, with the reason (shown, never silently dropped)."""

    def create(self, title: str, spec: dict, folder: Path | None = None) -> Episode:
        """A new, empty episode with its own folder (``folder`` to choose it, e.g. ``podcast make -o``)."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] or "episode"
        if folder is None:
            folder = self.root / f"{stamp}-{slug}"
            n = 1
            while folder.exists():
                n += 1
                folder = self.root / f"{stamp}-{slug}-{n}"
        folder.mkdir(parents=True, exist_ok=True)
        if (folder / EPISODE_FILE).exists():
            self._clear_for_rewrite(folder)
        episode = Episode(folder.name, title, time.strftime("%Y-%m-%d %H:%M"), spec, writer=this_process(),
                          folder=folder)
        self.save(episode)
        return episode

    @staticmethod
    def _clear_for_rewrite(folder: Path) -> None:
        """Let a new episode replace one that failed or was interrupted; refuse to replace any other."""
        try:
            old = load_episode(folder)
        except EpisodeError as exc:
            raise EpisodeError(f"{folder} already holds an episode that cannot be read ({exc.message})",
                               "Choose an empty folder, or delete that one first.") from exc
        if old.status != "failed":
            what = "is being written by another process" if old.status == "writing" else "is finished"
            raise EpisodeError(f"{folder} already holds an episode that {what}.", "Choose an empty folder.")
        shutil.rmtree(folder / AUDIO_DIR, ignore_errors=True)

    def save(self, episode: Episode) -> None:
        """Write ``episode.json`` atomically."""
        if episode.folder is None:
            raise EpisodeError("This episode has no folder.")
        write_text_atomic(episode.folder / EPISODE_FILE, episode.to_json())

    def list(self) -> list[EpisodeSummary]:
        """Episodes in the library, newest first; unreadable folders go to ``damaged`` with their reason."""
        out: list[EpisodeSummary] = []
        self.damaged = []
        if not self.root.is_dir():
            return out
        for folder in self.root.iterdir():
            if not folder.is_dir() or not (folder / EPISODE_FILE).exists():
                continue
            try:
                episode = load_episode(folder)
            except EpisodeError as exc:
                self.damaged.append(DamagedEpisode(folder, exc.message))
                continue
            out.append(EpisodeSummary(episode.id, episode.title, episode.created, episode.status,
                                      len(episode.turns), sum(t.duration_s for t in episode.turns), folder))
        return sorted(out, key=lambda s: (s.created, s.id), reverse=True)

    def delete(self, episode_id: str) -> None:
        """Remove an episode and its audio."""
        folder = self.root / episode_id
        if not (folder / EPISODE_FILE).is_file():
            raise EpisodeError(f"No episode '{episode_id}' in the library.")
        shutil.rmtree(folder)


def load_episode(folder: Path) -> Episode:
    """Read the episode in ``folder`` (EpisodeError with the reason otherwise).

    An episode still marked ``writing`` whose writing process is gone (killed,
    crashed, out of disk) is marked ``failed`` here, with what was kept, and its
    audio files that no turn points to are removed.
    """
    path = Path(folder) / EPISODE_FILE
    try:
        episode = Episode.from_json(path.read_text(encoding="utf-8"), folder=Path(folder))
    except FileNotFoundError:
        raise EpisodeError(f"{folder} is not an episode folder.", f"It has no {EPISODE_FILE}.") from None
    except UnicodeDecodeError:
        raise EpisodeError(f"{path} is damaged: it is not UTF-8 text.", _DAMAGED_HINT) from None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise EpisodeError(f"{path} is damaged: {exc}.", _DAMAGED_HINT) from exc
    if episode.status == "writing" and not writer_alive(episode.writer):
        _mark_interrupted(episode)
    return episode


_DAMAGED_HINT = "Delete that episode folder, or restore episode.json from a backup."


def _mark_interrupted(episode: Episode) -> None:
    """Record that the writer stopped for good: failed, with what was kept; stray audio removed."""
    assert episode.folder is not None
    kept = {turn.audio for turn in episode.timeline() if turn.audio}
    audio = episode.folder / AUDIO_DIR
    for wav in audio.glob("*") if audio.is_dir() else []:
        if f"{AUDIO_DIR}/{wav.name}" not in kept:
            wav.unlink(missing_ok=True)
    episode.status = "failed"
    episode.writer = None
    spoken = sum(1 for turn in episode.turns if turn.audio)
    episode.notes.append(
        f"Generation was interrupted (the process writing it stopped) after {len(episode.turns)} script turns, "
        f"{spoken} of them with audio; that much is kept. Make the episode again to finish it."
    )
    try:
        write_text_atomic(episode.folder / EPISODE_FILE, episode.to_json())
    except OSError:
        pass  # a read-only or full disk: it still reads as failed, and is rewritten next time


SOURCES_FILE = "sources.json"


def save_sources(episode: Episode, sources: list[Source]) -> None:
    """Keep the sources' sections with the episode, so a listener can join a replay without re-reading files."""
    if episode.folder is None:
        raise EpisodeError("This episode has no folder.")
    data = [
        {"path_or_url": s.path_or_url, "kind": s.kind, "title": s.title, "sha256": s.sha256,
         "sections": [{"title": sec.title, "text": sec.text, "ref": sec.ref} for sec in s.sections]}
        for s in sources
    ]
    write_text_atomic(episode.folder / SOURCES_FILE, json.dumps(data, ensure_ascii=False))


def load_sources(episode: Episode) -> list[Source]:
    """The sources saved with ``episode`` (empty when none were saved)."""
    if episode.folder is None or not (episode.folder / SOURCES_FILE).is_file():
        return []
    data = json.loads((episode.folder / SOURCES_FILE).read_text(encoding="utf-8"))
    return [
        Source(d["path_or_url"], d["kind"], d["title"], tuple(Section(**sec) for sec in d["sections"]), d["sha256"])
        for d in data
    ]
