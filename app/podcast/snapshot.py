"""Frozen copies of an episode for the GUI thread.

An ``Episode`` is changed by worker threads (the builder appends chapters,
the session appends the listener's interactions) while the tab shows it, so
the GUI never reads one directly: whoever reports a change takes a snapshot
on its own thread and the tab only ever sees these immutable rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from engine.errors import NexusError
from engine.podcast.episode import Episode, EpisodeTurn
from engine.podcast.formats import get_format

RowKind = Literal["chapter", "script", "question", "answer", "bridge"]


@dataclass(frozen=True)
class TranscriptRow:
    """One line of the transcript: a chapter heading or a spoken turn."""

    id: int
    """The turn's id; chapter headings use ``-1 - chapter index``."""
    kind: RowKind
    speaker: str
    text: str
    refs: tuple[str, ...] = ()
    script_index: int | None = None
    """Index in ``Episode.turns`` for script turns (what ``seek`` takes)."""
    chapter: int = 0
    via: str = ""
    """``voice`` or ``text`` for a listener's question."""
    host: int = 0
    """The host's position in the format (0 or 1), for the speaker's colour."""


@dataclass(frozen=True)
class ChapterEntry:
    """A chapter of the episode, where it starts and when."""

    title: str
    first_turn: int
    start_s: float | None
    """When it starts, once every turn before it has audio."""


@dataclass(frozen=True)
class EpisodeSnapshot:
    """What the tab shows of an episode at one moment."""

    id: str
    title: str
    status: str
    created: str
    rows: tuple[TranscriptRow, ...]
    chapters: tuple[ChapterEntry, ...]
    durations: tuple[float, ...]
    """Seconds of each script turn (0 for turns without audio yet)."""
    ref_titles: dict[str, str] = field(default_factory=dict)
    """Reference → what it points at (section title, with the source when there are several)."""
    format: str = ""
    """The format's name (deep-dive, brief, critique or debate)."""

    @property
    def turn_count(self) -> int:
        """Number of script turns."""
        return len(self.durations)

    def row(self, turn_id: int) -> TranscriptRow | None:
        """The row of the turn with ``turn_id``."""
        return next((row for row in self.rows if row.id == turn_id), None)

    def elapsed_before(self, script_index: int) -> float:
        """Seconds of script audio before turn ``script_index``."""
        return sum(self.durations[:script_index])

    @property
    def duration_s(self) -> float:
        """Seconds of script audio synthesised so far."""
        return sum(self.durations)

    def chapter_at(self, script_index: int) -> int:
        """Index of the chapter that holds script turn ``script_index``."""
        current = 0
        for index, chapter in enumerate(self.chapters):
            if chapter.first_turn <= script_index:
                current = index
        return current


def _row(turn: EpisodeTurn, hosts: list[str], script_index: int | None, via: str = "") -> TranscriptRow:
    host = hosts.index(turn.speaker) if turn.speaker in hosts else 0
    return TranscriptRow(turn.id, turn.kind, turn.speaker, turn.text, tuple(turn.refs), script_index,
                         turn.chapter, via, host % 2)


def _hosts(episode: Episode) -> list[str]:
    try:
        return list(get_format(str(episode.spec.get("format", ""))).hosts)
    except NexusError:
        return list(dict.fromkeys(turn.speaker for turn in episode.turns))


def snapshot(episode: Episode) -> EpisodeSnapshot:
    """A frozen copy of ``episode`` (call it on the thread that changes the episode)."""
    turns = list(episode.turns)
    chapters = list(episode.chapters)
    interactions = list(episode.interactions)
    hosts = _hosts(episode)
    index_of = {turn.id: index for index, turn in enumerate(turns)}
    via_of = {interaction.question.id: interaction.via for interaction in interactions}
    starts = {mark.first_turn: number for number, mark in enumerate(chapters)}
    rows: list[TranscriptRow] = []
    for turn in episode.timeline():
        index = index_of.get(turn.id)
        if index is not None and index in starts:
            number = starts.pop(index)
            rows.append(TranscriptRow(-1 - number, "chapter", "", chapters[number].title, chapter=number))
        rows.append(_row(turn, hosts, index, via_of.get(turn.id, "")))
    durations = tuple(turn.duration_s for turn in turns)
    entries = tuple(
        ChapterEntry(mark.title, mark.first_turn,
                     sum(durations[: mark.first_turn]) if all(durations[: mark.first_turn]) else None)
        for mark in chapters
    )
    many = len(episode.sources) > 1
    ref_titles: dict[str, str] = {}
    for source in episode.sources:
        for ref, title in source.refs.items():
            shown = f"{source.title} — {title}" if many else title
            ref_titles[ref] = f"{ref_titles[ref]}\n{shown}" if ref in ref_titles else shown
    return EpisodeSnapshot(episode.id, episode.title, episode.status, episode.created, tuple(rows), entries,
                           durations, ref_titles, str(episode.spec.get("format", "")))
