"""Long documents in a small window: section notes (map), then an outline of chapters (reduce).

Sources that fit ``direct_chars`` are used as they are. Longer ones are cut
into chunks of whole sections, each summarised by the model into notes that
keep their references; notes are cached per source hash, chunking and model,
so a second episode from the same 300-page PDF costs nothing. The outline is
asked of the model as JSON; if the model cannot produce a usable one, the
chapters come from the sources' own headings, which is always possible.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import json_repair

from engine.atomic import write_text_atomic
from engine.omni.base import Engine
from engine.omni.turn import CancelToken, Turn, UserContent
from engine.podcast import prompts
from engine.podcast.document import Source
from engine.podcast.formats import PodcastFormat

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]
"""(stage, done, total)."""
_NOTES_VERSION = 1


class Cancelled(Exception):
    """The user cancelled episode generation."""


@dataclass(frozen=True)
class Note:
    """Text about part of a source, with the references it covers."""

    source_title: str
    refs: tuple[str, ...]
    text: str

    def render(self) -> str:
        """The note as prompt material."""
        return f"[{', '.join(self.refs)}] ({self.source_title})\n{self.text}"


@dataclass
class Chapter:
    """A part of the episode: title, what to cover and where it comes from."""

    title: str
    points: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain JSON form."""
        return {"title": self.title, "points": list(self.points), "refs": list(self.refs)}


@dataclass
class Outline:
    """The plan of an episode. ``origin`` is "model" or "headings" (the fallback)."""

    title: str
    chapters: list[Chapter]
    origin: str = "model"


def all_refs(sources: Sequence[Source]) -> list[str]:
    """Every section reference of the sources, in order, without repeats."""
    return list(dict.fromkeys(section.ref for source in sources for section in source.sections))


def chunk_source(source: Source, chunk_chars: int) -> list[tuple[tuple[str, ...], str]]:
    """Whole sections grouped into chunks of about ``chunk_chars`` (a longer section is cut)."""
    chunks: list[tuple[tuple[str, ...], str]] = []
    refs: list[str] = []
    parts: list[str] = []
    size = 0
    for section in source.sections:
        text = f"{section.title}\n{section.text}" if section.title else section.text
        for start in range(0, max(len(text), 1), chunk_chars):
            piece = text[start : start + chunk_chars]
            if size and size + len(piece) > chunk_chars:
                chunks.append((tuple(dict.fromkeys(refs)), "\n\n".join(parts)))
                refs, parts, size = [], [], 0
            refs.append(section.ref)
            parts.append(piece)
            size += len(piece)
    if parts:
        chunks.append((tuple(dict.fromkeys(refs)), "\n\n".join(parts)))
    return chunks


class NotesCache:
    """Notes of each chunk of a source, in one JSON file per source hash and model."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, source: Source, key: str) -> Path:
        return self.root / source.sha256[:2] / f"{source.sha256}-{key}.json"

    def load(self, source: Source, key: str) -> dict[str, str]:
        """Cached notes by chunk index (empty when none)."""
        path = self._path(source, key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return {}
        return data if isinstance(data, dict) else {}

    def save(self, source: Source, key: str, notes: dict[str, str]) -> None:
        """Store the notes (atomically, so a crash never leaves half a file)."""
        write_text_atomic(self._path(source, key), json.dumps(notes, ensure_ascii=False, indent=1))


class OutlineBuilder:
    """Builds notes and an outline for an episode from its sources."""

    def __init__(
        self,
        engine: Engine,
        cache: NotesCache,
        *,
        model_key: str = "model",
        direct_chars: int = 24_000,
        chunk_chars: int = 8_000,
        note_tokens: int = 400,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        self.engine = engine
        self.cache = cache
        self.model_key = re.sub(r"[^A-Za-z0-9_.-]+", "_", model_key)[:80]
        self.direct_chars = direct_chars
        self.chunk_chars = chunk_chars
        self.note_tokens = note_tokens
        self.progress = progress or (lambda stage, done, total: None)
        self.cancel = cancel or CancelToken()
        self.model_calls = 0

    def notes(self, sources: Sequence[Source]) -> list[Note]:
        """Notes covering all sources: the text itself when short, model notes (cached) when long."""
        if sum(source.chars for source in sources) <= self.direct_chars:
            return [
                Note(source.title, (section.ref,), f"{section.title}\n{section.text}".strip())
                for source in sources
                for section in source.sections
            ]
        plans = [(source, chunk_source(source, self.chunk_chars)) for source in sources]
        total = sum(len(chunks) for _, chunks in plans)
        done = 0
        notes: list[Note] = []
        key = f"{self.model_key}-c{self.chunk_chars}-v{_NOTES_VERSION}"
        for source, chunks in plans:
            cached = self.cache.load(source, key)
            for index, (refs, text) in enumerate(chunks):
                self._check_cancel()
                self.progress("notes", done, total)
                note = cached.get(str(index))
                if note is None:
                    note = self._ask(prompts.NOTES_SYSTEM, prompts.notes_prompt(source.title, refs, text), self.note_tokens)
                    cached[str(index)] = note
                    self.cache.save(source, key, cached)
                notes.append(Note(source.title, refs, note.strip() or text[:500]))
                done += 1
        self.progress("notes", total, total)
        return notes

    def outline(self, sources: Sequence[Source], notes: Sequence[Note], fmt: PodcastFormat, chapters: int,
                language: str = "English", steer: str = "", attempts: int = 2) -> Outline:
        """An outline of ``chapters`` chapters, from the model or, failing that, from the headings."""
        known = set(all_refs(sources))
        material = render_notes(notes, 12_000)
        prompt = prompts.outline_prompt(material, chapters, fmt, language, steer)
        for attempt in range(attempts):
            self._check_cancel()
            self.progress("outline", attempt, attempts)
            answer = self._ask(prompts.OUTLINE_SYSTEM, prompt, 300 + 120 * chapters)
            outline = parse_outline(answer, known, chapters)
            if outline is not None:
                return outline
            log.info("outline attempt %d was unusable; %r", attempt + 1, answer[:200])
        return headings_outline(sources, chapters)

    def _ask(self, system: str, prompt: str, max_tokens: int) -> str:
        self.model_calls += 1
        turn = Turn(UserContent(text=prompt), system_prompt=system, max_new_tokens=max_tokens)
        parts: list[str] = []
        for delta in self.engine.stream(turn, self.cancel):
            parts.append(delta)
        self._check_cancel()
        return "".join(parts)

    def _check_cancel(self) -> None:
        if self.cancel.cancelled:
            raise Cancelled("Episode generation was cancelled.")


def render_notes(notes: Sequence[Note], max_chars: int) -> str:
    """Notes as prompt material, cut evenly to fit ``max_chars``."""
    if not notes:
        return ""
    share = max(200, max_chars // len(notes))
    return "\n\n".join(note.render()[:share] for note in notes)[:max_chars]


def parse_outline(answer: str, known_refs: set[str], chapters: int) -> Outline | None:
    """The outline in a model answer, or ``None`` when it is unusable."""
    start = answer.find("{")
    if start == -1:
        return None
    value = json_repair.repair_json(answer[start:], return_objects=True)
    if not isinstance(value, dict) or not isinstance(value.get("chapters"), list):
        return None
    parsed: list[Chapter] = []
    for raw in value["chapters"]:
        if not isinstance(raw, dict) or not isinstance(raw.get("title"), str) or not _wordy(raw["title"]):
            continue
        points = [str(p).strip() for p in raw.get("points", []) if isinstance(p, str) and _wordy(p)]
        refs = [str(r) for r in raw.get("refs", []) if str(r) in known_refs] if isinstance(raw.get("refs"), list) else []
        parsed.append(Chapter(" ".join(raw["title"].split())[:120], points[:8], refs))
    if not parsed:
        return None
    title = value.get("title") if isinstance(value.get("title"), str) and _wordy(value["title"]) else parsed[0].title
    return Outline(" ".join(title.split())[:120], parsed[: max(chapters, 1)], "model")


def _wordy(text: str) -> bool:
    letters = sum(ch.isalpha() for ch in text)
    return letters >= 3 and letters >= 0.5 * len(text.strip())


def headings_outline(sources: Sequence[Source], chapters: int) -> Outline:
    """Chapters made of consecutive sections, titled by their first heading."""
    sections = [(source, section) for source in sources for section in source.sections]
    count = max(1, min(chapters, len(sections)))
    size = -(-len(sections) // count)
    out: list[Chapter] = []
    for start in range(0, len(sections), size):
        group = sections[start : start + size]
        titles = [section.title or source.title for source, section in group]
        out.append(Chapter(titles[0], list(dict.fromkeys(titles))[:8], [section.ref for _, section in group]))
    title = sources[0].title if len(sources) == 1 else f"{sources[0].title} and {len(sources) - 1} more"
    return Outline(title, out, "headings")


def chapters_for(minutes: float) -> int:
    """How many chapters an episode of ``minutes`` gets (about one per 2½ minutes, 1 to 8)."""
    return max(1, min(8, round(minutes / 2.5)))


def notes_for_chapter(notes: Sequence[Note], chapter: Chapter, max_chars: int) -> str:
    """Material for one chapter: the notes sharing its references, else all notes cut to fit."""
    wanted = set(chapter.refs)
    chosen = [note for note in notes if wanted.intersection(note.refs)] if wanted else []
    return render_notes(chosen or list(notes), max_chars)
