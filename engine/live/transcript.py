"""Transcript entries and the text of an answer that was actually heard."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Role = Literal["user", "assistant"]


@dataclass
class TranscriptEntry:
    """One line of the transcript; updated in place as speech is recognised or played."""

    id: int
    role: Role
    text: str
    started_at: float
    final: bool = False
    interrupted: bool = False
    heard_text: str = ""
    meta: dict[str, object] = field(default_factory=dict)
    dropped: bool = False
    """An answer cut before it was heard because the user went on with the same turn: not shown, not kept."""

    def shown_text(self) -> str:
        """What the transcript view shows: for the assistant, the words spoken so far."""
        if self.role == "assistant" and (self.interrupted or not self.final):
            return self.heard_text
        return self.text


@dataclass
class SpokenChunk:
    """A chunk of the answer sent to the speaker, and how long its audio is."""

    text: str
    samples: int


def heard_text(chunks: list[SpokenChunk], played: list[int]) -> str:
    """The words the listener heard, given how many samples of each chunk were played.

    Fully played chunks count whole; a partly played chunk counts the share of
    its words proportional to the share of its audio that was played.
    """
    words: list[str] = []
    for chunk, count in zip(chunks, played, strict=True):
        if chunk.samples <= 0 or count <= 0:
            break
        chunk_words = chunk.text.split()
        if count >= chunk.samples:
            words += chunk_words
            continue
        words += chunk_words[: int(len(chunk_words) * count / chunk.samples)]
        break
    return " ".join(words)
