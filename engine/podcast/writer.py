"""Writes an episode's script chapter by chapter, to a spoken-word budget, never hanging on bad JSON.

Each chapter is one bounded model call (``max_new_tokens`` from the chapter's
word budget; the stream is also cut at a character cap) answered as a JSON
array of turns. An answer with no usable turns is asked again with a repair
prompt, up to ``attempts`` times, then ``ScriptGenerationError`` says which
chapter failed. Each chapter is brought within the length tolerance before
it is handed on (playback may start on it): a short chapter gets one
extension call, a long one loses turns from its middle (never the opening or
the goodbye). The first chapter is different: with ``on_turn`` set, each of
its turns is handed on as soon as its JSON object closes, so the episode can
start while the model is still writing; turns already played cannot be
trimmed, so later chapters' budgets absorb what it over- or undershot.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from engine.errors import NexusError
from engine.omni.base import Engine
from engine.omni.turn import AnyCancel, CancelToken, Turn, UserContent
from engine.podcast import prompts
from engine.podcast.formats import LENGTH_TOLERANCE, PodcastFormat, count_words
from engine.podcast.outline import Cancelled, Note, Outline, notes_for_chapter
from engine.podcast.script import ScriptFormatError, ScriptTurn, TurnStreamParser, TurnValidator, parse_turns

log = logging.getLogger(__name__)

_TOKENS_PER_WORD = 2.0  # words → tokens (~1.3) plus the JSON around them
_CHARS_PER_WORD_CAP = 12


class ScriptGenerationError(NexusError):
    """The model could not write a usable script."""


@dataclass
class ScriptResult:
    """Turns per chapter and how the length came out."""

    chapters: list[list[ScriptTurn]]
    target_words: int
    attempts: int = 0
    repairs: int = 0
    extended: int = 0
    trimmed: int = 0
    dropped_turns: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def words(self) -> int:
        """Spoken words in the script."""
        return sum(count_words(turn.text) for turns in self.chapters for turn in turns)

    @property
    def length_ratio(self) -> float:
        """Words written over words asked for."""
        return self.words / self.target_words if self.target_words else 0.0


class ScriptWriter:
    """Asks the model for each chapter's turns and keeps the script to its word budget."""

    def __init__(
        self,
        engine: Engine,
        fmt: PodcastFormat,
        *,
        language: str = "English",
        steer: str = "",
        attempts: int = 3,
        material_chars: int = 10_000,
        cancel: CancelToken | None = None,
        on_chapter: Callable[[int, list[ScriptTurn]], None] | None = None,
        on_turn: Callable[[int, ScriptTurn], None] | None = None,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> None:
        self.engine = engine
        self.fmt = fmt
        self.language = language
        self.steer = steer
        self.attempts = attempts
        self.material_chars = material_chars
        self.cancel = cancel or CancelToken()
        self.on_chapter = on_chapter or (lambda index, turns: None)
        self.on_turn = on_turn
        self.progress = progress or (lambda stage, done, total: None)

    def write(self, outline: Outline, notes: Sequence[Note], target_words: int, known_refs: Sequence[str]) -> ScriptResult:
        """The whole script; ``on_chapter`` gets each chapter once final (playback may start)."""
        result = ScriptResult([], target_words)
        count = len(outline.chapters)
        for index, chapter in enumerate(outline.chapters):
            self.progress("script", index, count)
            # What is left of the budget, shared by the chapters still to write.
            budget = max(40, round((target_words - result.words) / (count - index)))
            material = notes_for_chapter(notes, chapter, self.material_chars)
            stream = self.on_turn is not None and index == 0
            turns = self._chapter(result, outline, index, material, budget, known_refs, extend=False, stream=stream)
            self._fit_chapter(result, outline, index, turns, material, budget, known_refs, streamed=stream)
            result.chapters.append(turns)
            self.on_chapter(index, turns)
        self.progress("script", count, count)
        if not 1 - LENGTH_TOLERANCE <= result.length_ratio <= 1 + LENGTH_TOLERANCE:
            result.notes.append(
                f"The script is {result.length_ratio:.0%} of the asked length "
                f"({result.words} of {result.target_words} words)."
            )
        return result

    def _fit_chapter(self, result: ScriptResult, outline: Outline, index: int, turns: list[ScriptTurn],
                     material: str, budget: int, known_refs: Sequence[str], *, streamed: bool = False) -> None:
        """Bring one chapter within the tolerance before it is published (chapters are final once played)."""
        last_chapter = index == len(outline.chapters) - 1
        words = _words(turns)
        if words < (1 - LENGTH_TOLERANCE) * budget:
            try:
                more = self._chapter(result, outline, index, material, budget - words, known_refs, extend=True,
                                     previous_turns=turns, stream=streamed)
            except ScriptGenerationError:
                more = []
            if more:
                # A streamed chapter's turns may be playing already: more can only come after them.
                position = len(turns) - 1 if last_chapter and len(turns) > 1 and not streamed else len(turns)
                turns[position:position] = more
                result.extended += 1
        if streamed:
            return
        first = 1 if index == 0 else 0
        while _words(turns) > (1 + LENGTH_TOLERANCE * 0.4) * budget:
            end = len(turns) - (1 if last_chapter else 0)
            if end - first <= 1:
                break
            # The middle of a chapter loses least: its opening sets it up, its end leads on.
            del turns[(first + end) // 2]
            result.trimmed += 1

    def _previous(self, result: ScriptResult, extra: Sequence[ScriptTurn] = ()) -> list[tuple[str, str]]:
        flat = [turn for turns in result.chapters for turn in turns] + list(extra)
        return [(turn.speaker, turn.text) for turn in flat[-2:]]

    def _chapter(self, result: ScriptResult, outline: Outline, index: int, material: str, words: int,
                 known_refs: Sequence[str], *, extend: bool, previous_turns: Sequence[ScriptTurn] = (),
                 stream: bool = False) -> list[ScriptTurn]:
        chapter = outline.chapters[index]
        prompt = prompts.segment_prompt(
            fmt=self.fmt, episode_title=outline.title, chapter_title=chapter.title, chapter_index=index,
            chapters=len(outline.chapters), points=chapter.points, material=material, words=words,
            language=self.language, steer=self.steer, previous=self._previous(result, previous_turns), extend=extend,
        )
        flat = [turn for turns in result.chapters for turn in turns] + list(previous_turns)
        previous_speaker = flat[-1].speaker if flat else None
        answer = ""
        for attempt in range(self.attempts):
            result.attempts += 1
            if attempt:
                result.repairs += 1
            ask = prompt if attempt == 0 else prompt + "\n\n" + prompts.repair_prompt(answer)
            validator = TurnValidator(self.fmt.hosts, known_refs) if stream else None
            streamed: list[ScriptTurn] = []

            def hand_on(raw: dict) -> None:
                assert validator is not None and self.on_turn is not None
                made = validator.turn(raw, streamed[-1].speaker if streamed else previous_speaker)
                if made is not None:
                    streamed.append(made)
                    self.on_turn(index, made)

            answer = self._generate(ask, words, hand_on if stream else None)
            if streamed:
                return streamed
            try:
                turns = parse_turns(answer, self.fmt.hosts, known_refs, previous_speaker)
            except ScriptFormatError as exc:
                log.info("chapter %d attempt %d: %s", index + 1, attempt + 1, exc)
                continue
            return turns
        raise ScriptGenerationError(
            f"The model did not write a usable script for chapter {index + 1} ({chapter.title!r}) "
            f"after {self.attempts} attempts.",
            "Its answers were not JSON turns. Try again, choose a larger model in Settings → Model, "
            "or shorten the sources.",
        )

    def _generate(self, prompt: str, words: int, on_object: Callable[[dict], None] | None = None) -> str:
        if self.cancel.cancelled:
            raise Cancelled("Episode generation was cancelled.")
        turn = Turn(UserContent(text=prompt), system_prompt=prompts.SCRIPT_SYSTEM,
                    max_new_tokens=int(words * _TOKENS_PER_WORD) + 200)
        cap = words * _CHARS_PER_WORD_CAP + 2_000
        stop = CancelToken()
        parser = TurnStreamParser()
        relay = AnyCancel(self.cancel, stop)
        for delta in self.engine.stream(turn, relay):
            for raw in parser.feed(delta):
                if on_object is not None:
                    on_object(raw)
            if len(parser.text) > cap:
                stop.cancel()  # a runaway answer: keep what was written, stop paying for more
        if self.cancel.cancelled:
            raise Cancelled("Episode generation was cancelled.")
        return parser.text


def _words(turns: Sequence[ScriptTurn]) -> int:
    return sum(count_words(turn.text) for turn in turns)
