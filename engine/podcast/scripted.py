"""An instant, deterministic stand-in for the model that writes valid podcast JSON from the prompt's material.

It reads what the real model would be asked (outline, chapter, listener
answer), takes sentences from the material given in the prompt and returns
them as well-formed JSON turns with their references, at the word count the
prompt asks for. ``bench/podcast.py`` uses it to time the pipeline without
the model's speed in the figures, and tests use it where the tiny random
model's output cannot be spoken; the real model runs the same code paths in
the end-to-end tests.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

from engine.omni.turn import CancelToken, Turn, TurnStats

_REF_LINE = re.compile(r"^\[([^\]]+)\](?: \(([^)]*)\))?\s*(.*)$")
_WORDS_ASKED = re.compile(r"about (\d+) spoken words")
_CHAPTERS_ASKED = re.compile(r"exactly (\d+) chapter")
_HOSTS = re.compile(r"^- (\w+): ", re.M)
_END_OF_MATERIAL = ("The episode so far", "Write this chapter", "Continue this chapter", "Answer ", "Plan a ",
                    "Write concise", "A listener joined", "Your previous answer", "Write the chapter again")


class ScriptedHosts:
    """Answers outline, chapter and listener prompts with valid JSON built from the prompt's material."""

    def __init__(self, token_s: float = 0.0, first_token_s: float = 0.0) -> None:
        self.token_s = token_s
        self.first_token_s = first_token_s
        self.turns: list[Turn] = []
        self.last_stats = TurnStats()

    def describe(self) -> dict[str, str]:
        """A short description for logs."""
        return {"model": "scripted-hosts", "backend": "scripted"}

    def reset(self) -> None:
        """Nothing to forget: each answer is built from its own prompt."""

    def stream(self, turn: Turn, cancel: CancelToken | None = None) -> Iterator[str]:
        """Yield the JSON answer a few characters at a time; stops when cancelled."""
        cancel = cancel or CancelToken()
        self.turns.append(turn)
        self.last_stats = TurnStats()
        text = self._answer(turn.user.text)
        if self.first_token_s:
            time.sleep(self.first_token_s)
        for start in range(0, len(text), 16):
            if cancel.cancelled:
                self.last_stats.cancelled = True
                return
            if start and self.token_s:
                time.sleep(self.token_s)
            self.last_stats.generated_tokens += 1
            yield text[start : start + 16]

    def _answer(self, prompt: str) -> str:
        material = _material(prompt)
        hosts = _HOSTS.findall(prompt) or ["Alex"]
        if "Plan a " in prompt:
            count = int(_CHAPTERS_ASKED.search(prompt).group(1)) if _CHAPTERS_ASKED.search(prompt) else 1
            return json.dumps(_outline(material, count))
        if "A listener joined the show" in prompt:
            return json.dumps(_turns(material, hosts, 60, max_turns=3, opening="Good question."))
        if "Write concise bullet-point notes" in prompt:
            return "\n".join(f"- {sentence} [{ref}]" for ref, sentence in material[:12])
        words = int(_WORDS_ASKED.search(prompt).group(1)) if _WORDS_ASKED.search(prompt) else 80
        return json.dumps(_turns(material, hosts, words))


def _material(prompt: str) -> list[tuple[str, str]]:
    """(reference, sentence) pairs from the prompt's material block."""
    pairs: list[tuple[str, str]] = []
    ref = ""
    for line in prompt.splitlines():
        if line.startswith(_END_OF_MATERIAL):
            ref = ""
            continue
        match = _REF_LINE.match(line.strip())
        if match:
            ref = match.group(1).split(",")[0].strip()
            line = match.group(3)
        for sentence in re.split(r"(?<=[.!?])\s+", line.strip()):
            if ref and len(sentence.split()) >= 4 and sentence[-1:] in ".!?":
                pairs.append((ref, sentence))
    return pairs or [("", "The sources are short, so this is a brief look at them.")]


def _outline(material: list[tuple[str, str]], count: int) -> dict:
    refs = list(dict.fromkeys(ref for ref, _ in material if ref))
    size = max(1, -(-len(refs) // max(count, 1)))
    chapters = []
    for index in range(count):
        part = refs[index * size : (index + 1) * size] or refs[-1:]
        chapters.append({"title": f"Part {index + 1} of the story", "points": [f"What {r} says" for r in part],
                         "refs": part})
    return {"title": "A walk through the sources", "chapters": chapters}


def _turns(material: list[tuple[str, str]], hosts: list[str], words: int, max_turns: int = 60,
           opening: str = "") -> list[dict]:
    turns: list[dict] = []
    total = 0
    index = 0
    while total < words and len(turns) < max_turns:
        ref, sentence = material[index % len(material)]
        text = f"{opening} {sentence}".strip() if index == 0 and opening else sentence
        turns.append({"speaker": hosts[index % len(hosts)], "text": text, "refs": [ref] if ref else []})
        total += len(text.split())
        index += 1
    return turns
