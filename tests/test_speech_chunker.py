"""SentenceChunker: early first clause, sentence boundaries, abbreviations, code, streaming invariance."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.speech.chunker import SentenceChunker


def chunk_stream(text: str, cuts: list[int] | None = None, **options: int) -> list[str]:
    """Feed ``text`` in pieces split at ``cuts`` (every character when None) and collect all chunks."""
    chunker = SentenceChunker(**options)
    points = sorted({c for c in (cuts if cuts is not None else range(len(text))) if 0 < c < len(text)})
    chunks: list[str] = []
    last = 0
    for point in [*points, len(text)]:
        chunks += chunker.push(text[last:point])
        last = point
    return chunks + chunker.flush()


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_first_clause_is_released_before_the_sentence_ends() -> None:
    chunker = SentenceChunker(min_clause_words=4)
    assert chunker.push("Well, I think that,") == []
    # The comma is only a boundary once a space shows it is not "1,000".
    assert chunker.push(" honestly") == ["Well, I think that,"]
    assert chunker.push(", we should wait until Monday, then") == []
    assert chunker.push(" decide. Next") == ["honestly, we should wait until Monday, then decide."]
    assert chunker.flush() == ["Next"]


def test_short_opening_clause_waits_for_more_words() -> None:
    assert chunk_stream("Sure, here it is. Done.") == ["Sure, here it is.", "Done."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr. Smith arrived. He sat down.", ["Dr. Smith arrived.", "He sat down."]),
        ("Use tools, e.g. Python or Rust. They help.", ["Use tools, e.g. Python or Rust.", "They help."]),
        ("Pi is 3.14 or so. Right?", ["Pi is 3.14 or so.", "Right?"]),
        (
            "Open https://example.com/a.b?c=1 now. It loads.",
            ["Open https://example.com/a.b?c=1 now.", "It loads."],
        ),
        ("It costs $1,000.50 today. Cheap!", ["It costs $1,000.50 today.", "Cheap!"]),
        ("J. R. R. Tolkien wrote it. Read it.", ["J. R. R. Tolkien wrote it.", "Read it."]),
        ("Wait... what? Really!", ["Wait... what?", "Really!"]),
        ('He said "stop." Then he left.', ['He said "stop."', "Then he left."]),
        ("I love the sun. It is warm.", ["I love the sun.", "It is warm."]),
        ("Steps:\n1. Open it.\n2. Close it.", ["Steps:", "1. Open it.", "2. Close it."]),
    ],
)
def test_sentence_boundaries(text: str, expected: list[str]) -> None:
    assert chunk_stream(text) == expected


def test_code_is_not_split_inside_backticks_or_fences() -> None:
    text = "Call `os.path.join(a, b). Then` it. Code:\n```python\nx = 1. Y = 2.\n```\nThat is all."
    chunks = chunk_stream(text)
    assert "Call `os.path.join(a, b). Then` it." in chunks
    assert "```python\nx = 1. Y = 2.\n```" in chunks
    assert chunks[-1] == "That is all."


def test_run_on_text_is_cut_at_max_chars() -> None:
    text = " ".join(["word"] * 200)
    chunks = chunk_stream(text, max_chars=60)
    assert len(chunks) > 10
    assert all(len(c) <= 60 for c in chunks)
    assert squash("".join(chunks)) == squash(text)


def test_flush_resets_for_the_next_reply() -> None:
    chunker = SentenceChunker(min_clause_words=2)
    assert chunker.push("One two, three") == ["One two,"]
    assert chunker.flush() == ["three"]
    assert chunker.pending == ""
    assert chunker.push("Again and again, yes") == ["Again and again,"]


_ALPHABET = st.sampled_from(
    list("abcdefgh ABC .,;:!?…\n'\")`-0123456789/") + ["e.g. ", "Dr. ", "3.14", "```", " — "]
)
_TEXT = st.lists(_ALPHABET, max_size=120).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=_TEXT, cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=20))
def test_chunks_reassemble_the_input_and_do_not_depend_on_delta_sizes(text: str, cuts: list[int]) -> None:
    streamed = chunk_stream(text, cuts, min_clause_words=2, max_chars=40)
    whole = chunk_stream(text, [], min_clause_words=2, max_chars=40)
    assert streamed == whole
    assert squash("".join(streamed)) == squash(text)
    assert all(c and c == c.strip() and len(c) <= 40 for c in streamed)
