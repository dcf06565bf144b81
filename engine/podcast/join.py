"""Answering a listener who joins the show: find the relevant sections, let the hosts answer, bridge back.

Retrieval is BM25 over the sources' sections (rank-bm25), so answers are
grounded in what the episode was made from and cite it. The hosts' answer is
streamed: each turn is handed on as soon as its JSON object closes, so the
first answer can be spoken while the rest is written. A model answer that
holds no turns becomes one honest line rather than silence; the bridge back
to the episode is a short fixed phrase that names the chapter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rank_bm25 import BM25Okapi

from engine.omni.base import Engine
from engine.omni.turn import AnyCancel, CancelToken, Turn, UserContent
from engine.podcast import prompts
from engine.podcast.document import Source
from engine.podcast.formats import PodcastFormat
from engine.podcast.script import ScriptTurn, TurnStreamParser, TurnValidator, raw_turns

MAX_ANSWER_TURNS = 4
_WORD = re.compile(r"[\w']+")
_BRIDGES = (
    "Good question. Now, back to where we were{topic}.",
    "Thanks for jumping in. Let's pick up where we left off{topic}.",
    "Great, that helps. So, back to the episode{topic}.",
)
_NO_ANSWER = "Good question, but we couldn't find a clear answer to that in the sources."


def _tokens(text: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(text)]


@dataclass(frozen=True)
class Passage:
    """A section found for a question."""

    ref: str
    title: str
    text: str
    score: float


class SourceIndex:
    """BM25 over every section of an episode's sources."""

    def __init__(self, sources: Sequence[Source]) -> None:
        self._sections = [section for source in sources for section in source.sections]
        corpus = [_tokens(f"{s.title} {s.text}") or ["_"] for s in self._sections]
        self._bm25 = BM25Okapi(corpus) if corpus else None

    def search(self, question: str, k: int = 4) -> list[Passage]:
        """The ``k`` sections most relevant to ``question`` (best first)."""
        if self._bm25 is None:
            return []
        scores = self._bm25.get_scores(_tokens(question) or ["_"])
        order = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)[:k]
        return [Passage(self._sections[i].ref, self._sections[i].title, self._sections[i].text, float(scores[i]))
                for i in order]


def render_passages(passages: Sequence[Passage], max_chars: int = 6_000) -> str:
    """Passages as prompt material with their references."""
    share = max(300, max_chars // max(1, len(passages)))
    return "\n\n".join(f"[{p.ref}] {p.title}\n{p.text[:share]}" for p in passages)[:max_chars]


class AnswerWriter:
    """Asks the model for the hosts' answer to a listener, streaming turns as they complete."""

    def __init__(self, engine: Engine, fmt: PodcastFormat, index: SourceIndex, *, language: str = "English",
                 max_tokens: int = 400) -> None:
        self.engine = engine
        self.fmt = fmt
        self.index = index
        self.language = language
        self.max_tokens = max_tokens

    def answer(self, question: str, recent: Sequence[tuple[str, str]], on_turn: Callable[[ScriptTurn], None],
               cancel: CancelToken | None = None) -> list[ScriptTurn]:
        """Stream the hosts' answer turns to ``on_turn`` (one to four); returns them."""
        cancel = cancel or CancelToken()
        passages = self.index.search(question)
        known = [p.ref for p in passages]
        prompt = prompts.answer_prompt(fmt=self.fmt, question=question, material=render_passages(passages),
                                       recent=recent, language=self.language)
        turn = Turn(UserContent(text=prompt), system_prompt=prompts.SCRIPT_SYSTEM, max_new_tokens=self.max_tokens)
        validator = TurnValidator(self.fmt.hosts, known)
        parser = TurnStreamParser()
        out: list[ScriptTurn] = []
        stop = CancelToken()
        for delta in self.engine.stream(turn, AnyCancel(cancel, stop)):
            for raw in parser.feed(delta):
                made = validator.turn(raw, out[-1].speaker if out else None)
                if made is not None and len(out) < MAX_ANSWER_TURNS:
                    out.append(made)
                    on_turn(made)
            if len(out) >= MAX_ANSWER_TURNS:
                stop.cancel()
        if cancel.cancelled:
            return out
        if not out:
            # The stream may hold turns the incremental parser could not close (a cut-off answer).
            for made in validator.turns(raw_turns(parser.text))[:MAX_ANSWER_TURNS]:
                out.append(made)
                on_turn(made)
        if not out:
            made = ScriptTurn(self.fmt.hosts[0], _NO_ANSWER, [])
            out.append(made)
            on_turn(made)
        return out



def bridge_turn(fmt: PodcastFormat, chapter_title: str, last_speaker: str, seed: int) -> ScriptTurn:
    """A short line that returns to the episode, spoken by the host who did not answer last."""
    hosts = list(fmt.hosts)
    speaker = hosts[(hosts.index(last_speaker) + 1) % len(hosts)] if last_speaker in hosts else hosts[0]
    topic = f": {chapter_title.rstrip('.')}" if chapter_title else ""
    return ScriptTurn(speaker, _BRIDGES[seed % len(_BRIDGES)].format(topic=topic), [])
