"""Podcast scripts: JSON turns out of any model answer, bounded retries, length control, map-reduce notes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.omni.scripted import ScriptedEngine
from engine.omni.turn import CancelToken, Turn
from engine.podcast.document import Section, Source
from engine.podcast.formats import EpisodeSpec, count_words, get_format, word_budget
from engine.podcast.outline import NotesCache, OutlineBuilder, chapters_for, headings_outline, parse_outline
from engine.podcast.script import ScriptFormatError, TurnStreamParser, parse_turns, raw_turns
from engine.podcast.scripted import ScriptedHosts
from engine.podcast.writer import ScriptGenerationError, ScriptWriter

HOSTS = ("Alex", "Sam")
SENTENCE = "Solar cells turn sunlight into current when the weather is clear"


def source(sections: int = 4, words: int = 60, title: str = "Solar power") -> Source:
    body = [Section(f"Part {i}", " ".join(f"{SENTENCE} number {i}." for _ in range(words // 10)), f"§ {i}")
            for i in range(sections)]
    return Source(f"/docs/{title}.md", "markdown", title, tuple(body), f"{sections:064x}")


def turns_json(count: int, words_each: int) -> str:
    text = " ".join(["word"] * (words_each - 1)) + " end."
    return json.dumps([{"speaker": HOSTS[i % 2], "text": text, "refs": ["§ 0"]} for i in range(count)])


def test_stream_parser_yields_each_turn_when_its_brace_closes() -> None:
    answer = 'Here you go:\n```json\n[{"speaker": "Alex", "text": "A {brace} and a \\"quote\\".", "refs": ["§ 0"]},'
    answer += ' {"speaker": "Sam", "text": "Second."}]\n```'
    parser = TurnStreamParser()
    seen = [parser.feed(answer[i : i + 5]) for i in range(0, len(answer), 5)]
    flat = [obj for batch in seen for obj in batch]
    assert [o["text"] for o in flat] == ['A {brace} and a "quote".', "Second."]
    # The first turn is available before the answer is complete.
    assert next(i for i, batch in enumerate(seen) if batch) * 5 < answer.index("Second")


@pytest.mark.parametrize(
    "answer",
    [
        '[{"speaker": "Alex", "text": "One two three.", "refs": ["§ 0"]}, {"speaker": "sam", "text": "Four five."}]',
        'Sure! [{speaker: "Alex", "text": "One two three.", "refs": ["§ 0"],}, {"speaker": "Sam", "text": "Four five."}',
        '{"turns": [{"speaker": "Alex", "text": "One two three.", "refs": "§ 0"}, {"speaker": "Sam", "text": "Four five."}]}',
    ],
)
def test_broken_or_wrapped_json_is_repaired(answer: str) -> None:
    turns = parse_turns(answer, HOSTS, ["§ 0"])
    assert [(t.speaker, t.text) for t in turns] == [("Alex", "One two three."), ("Sam", "Four five.")]
    assert turns[0].refs == ["§ 0"]


def test_cut_off_turn_unknown_speakers_and_refs_are_cleaned() -> None:
    answer = ('[{"speaker": "Narrator", "text": "First line here.", "refs": ["§ 9", "§ 1"]},'
              ' {"text": "Second line here."}, {"speaker": "Sam", "text": "cut off in the mid')
    turns = parse_turns(answer, HOSTS, ["§ 1"])
    assert [t.text for t in turns] == ["First line here.", "Second line here."]
    assert [t.speaker for t in turns] == ["Alex", "Sam"]  # unknown speakers alternate
    assert turns[0].refs == ["§ 1"]


def test_garbage_has_no_turns_and_says_how_it_began() -> None:
    with pytest.raises(ScriptFormatError, match="no usable script turns.*12 ,, <|>"):
        parse_turns("12 ,, <|> 4444 {{ [[", HOSTS)
    assert raw_turns("") == []


def writer_for(engine, fmt: str = "deep-dive", attempts: int = 3) -> ScriptWriter:  # type: ignore[no-untyped-def]
    return ScriptWriter(engine, get_format(fmt), attempts=attempts)


def test_a_long_answer_is_trimmed_and_a_short_one_extended_within_tolerance() -> None:
    src = source()
    outline = headings_outline([src], 2)
    notes = OutlineBuilder(ScriptedEngine(["unused"]), NotesCache(Path("/nonexistent"))).notes([src])
    refs = [s.ref for s in src.sections]
    long = writer_for(ScriptedEngine([turns_json(30, 20)])).write(outline, notes, 200, refs)
    assert long.trimmed > 0 and 0.75 <= long.length_ratio <= 1.25
    assert long.chapters[0][0].text == long.chapters[0][0].text  # the opening stays first
    short = writer_for(ScriptedEngine([turns_json(2, 10)])).write(outline, notes, 200, refs)
    assert short.extended == 2 and short.words > 40


def test_a_bad_answer_is_asked_again_with_a_repair_prompt() -> None:
    engine = ScriptedEngine(["I cannot write JSON today, sorry about that friend.", turns_json(6, 20)])
    result = writer_for(engine).write(headings_outline([source()], 1), [], 120, [])
    assert result.repairs == 1 and result.words == 120
    assert "was not a valid JSON array" in engine.turns[1].user.text


def test_persistent_garbage_fails_clearly_after_the_set_attempts() -> None:
    engine = ScriptedEngine(["<|endoftext|> 0 0 ]] {{"])
    started = time.monotonic()
    with pytest.raises(ScriptGenerationError, match="chapter 1 .* after 2 attempts") as info:
        writer_for(engine, attempts=2).write(headings_outline([source()], 1), [], 100, [])
    assert "larger model" in info.value.hint and time.monotonic() - started < 5
    assert len(engine.turns) == 2


class EndlessEngine:
    """Streams forever unless cancelled: the writer's character cap must stop it."""

    def __init__(self) -> None:
        self.tokens = 0

    def stream(self, turn: Turn, cancel: CancelToken | None = None) -> Iterator[str]:
        while not (cancel and cancel.cancelled):
            self.tokens += 1
            yield "na "

    def describe(self) -> dict[str, str]:
        return {"model": "endless"}


def test_a_runaway_answer_is_cut_and_never_hangs() -> None:
    engine = EndlessEngine()
    with pytest.raises(ScriptGenerationError):
        writer_for(engine, attempts=1).write(headings_outline([source()], 1), [], 50, [])
    assert engine.tokens < 2_000


def test_user_cancel_stops_the_writer() -> None:
    from engine.podcast.outline import Cancelled

    cancel = CancelToken()
    cancel.cancel()
    writer = ScriptWriter(ScriptedEngine([turns_json(3, 10)]), get_format("brief"), cancel=cancel)
    with pytest.raises(Cancelled):
        writer.write(headings_outline([source()], 1), [], 50, [])


def test_outline_from_the_model_keeps_known_refs_and_falls_back_to_headings() -> None:
    src = source(sections=6)
    known = {s.ref for s in src.sections}
    good = parse_outline('Plan: {"title": "Sunny days", "chapters": [{"title": "How cells work", '
                         '"points": ["light"], "refs": ["§ 1", "§ 99"]}]}', known, 3)
    assert good is not None and good.chapters[0].refs == ["§ 1"] and good.title == "Sunny days"
    assert parse_outline("}{ 123", known, 2) is None
    builder = OutlineBuilder(ScriptedEngine(["not an outline at all 0 0 0"]), NotesCache(Path("/nonexistent")))
    fallback = builder.outline([src], [], get_format("deep-dive"), 3)
    assert fallback.origin == "headings" and len(fallback.chapters) == 3
    assert [c.refs for c in fallback.chapters] == [["§ 0", "§ 1"], ["§ 2", "§ 3"], ["§ 4", "§ 5"]]


def test_long_sources_are_summarised_once_and_the_notes_cached(tmp_path: Path) -> None:
    book = source(sections=220, words=200, title="Long book")  # ~300 pages of text
    engine = ScriptedHosts()
    stages: list[tuple[str, int, int]] = []
    builder = OutlineBuilder(engine, NotesCache(tmp_path), progress=lambda *a: stages.append(a), chunk_chars=8_000)
    notes = builder.notes([book])
    assert book.chars > 24_000 and builder.model_calls == len(notes) > 10
    assert {ref for note in notes for ref in note.refs} == {s.ref for s in book.sections}
    assert stages[-1] == ("notes", len(notes), len(notes))
    again = OutlineBuilder(engine, NotesCache(tmp_path), chunk_chars=8_000)
    assert [n.text for n in again.notes([book])] == [n.text for n in notes] and again.model_calls == 0


def test_presets_and_word_budget() -> None:
    assert EpisodeSpec("brief", "default").target_minutes() == 2.0
    assert EpisodeSpec("deep-dive", "long").target_minutes() == 20.0
    assert word_budget(2.0, 150) == 300 and chapters_for(10) == 4 and chapters_for(1) == 1
    assert count_words("Hello, world — it's 3 p.m. !") == 5
    with pytest.raises(Exception, match="not a podcast format"):
        get_format("talk-show")


class RecordingEngine:
    """Streams a scripted answer and notes when each stream ended."""

    def __init__(self, answers: list[str]) -> None:
        self.inner = ScriptedEngine(answers)
        self.ended: list[float] = []

    def stream(self, turn: Turn, cancel: CancelToken | None = None) -> Iterator[str]:
        yield from self.inner.stream(turn, cancel)
        self.ended.append(time.monotonic())

    def describe(self) -> dict[str, str]:
        return {"model": "recording"}


def test_first_chapter_turns_are_handed_on_while_it_is_written_and_later_chapters_absorb_its_length() -> None:
    engine = RecordingEngine([turns_json(16, 20), turns_json(3, 20)])  # chapter one runs long: 320 words
    handed: list[tuple[int, float]] = []
    writer = ScriptWriter(engine, get_format("deep-dive"), on_turn=lambda index, turn: handed.append((index, time.monotonic())))
    result = writer.write(headings_outline([source(sections=4)], 2), [], 400, ["§ 0"])
    assert [index for index, _ in handed] == [0] * 16 and handed[0][1] < engine.ended[0]
    assert len(result.chapters[0]) == 16 and result.trimmed == 0  # nothing already played is cut
    # The second chapter was asked for what was left (80 words), not half of the total.
    assert "about 80 spoken words" in engine.inner.turns[1].user.text
    assert 0.75 <= result.length_ratio <= 1.25
