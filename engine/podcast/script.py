"""Script turns, and reading them out of a model's JSON (streamed, broken or wrapped in prose).

The model is asked for a JSON array of ``{"speaker", "text", "refs"}``
objects. Models add prose around it, forget a bracket or a quote, or stop
mid-object; ``TurnStreamParser`` pulls each complete object out of the
stream as soon as its closing brace arrives (so the first turn can be spoken
while the rest is written), and ``parse_turns`` repairs what is left with
json-repair. Turns are then checked against the hosts and the known
references; whatever cannot be made valid is dropped, never guessed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import json_repair

from engine.errors import NexusError

_MAX_TURN_CHARS = 1200


class ScriptFormatError(NexusError):
    """A model answer held no usable turns."""


@dataclass
class ScriptTurn:
    """One spoken turn: who says it, what they say, and the source sections it draws on."""

    speaker: str
    text: str
    refs: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain JSON form."""
        return {"speaker": self.speaker, "text": self.text, "refs": list(self.refs)}


class TurnStreamParser:
    """Finds complete top-level JSON objects in streamed text, string- and escape-aware."""

    def __init__(self) -> None:
        self._buffer: list[str] = []
        self._depth = 0
        self._in_string = False
        self._escaped = False
        self._current: list[str] = []
        self.text = ""

    def feed(self, delta: str) -> list[dict]:
        """Add ``delta``; return the objects completed by it (broken ones are repaired or skipped)."""
        self.text += delta
        done: list[dict] = []
        for ch in delta:
            if self._depth > 0:
                self._current.append(ch)
            if self._in_string:
                if self._escaped:
                    self._escaped = False
                elif ch == "\\":
                    self._escaped = True
                elif ch == '"':
                    self._in_string = False
                continue
            if ch == '"' and self._depth > 0:
                self._in_string = True
            elif ch == "{":
                if self._depth == 0:
                    self._current = ["{"]
                self._depth += 1
            elif ch == "}" and self._depth > 0:
                self._depth -= 1
                if self._depth == 0:
                    parsed = _load_object("".join(self._current))
                    if parsed is not None:
                        done.append(parsed)
        return done


def _load_object(text: str) -> dict | None:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = json_repair.repair_json(text, return_objects=True)
    return value if isinstance(value, dict) else None


def raw_turns(text: str) -> list[dict]:
    """Every turn-like object in a whole model answer, repairing broken JSON."""
    stripped = re.sub(r"```(?:json)?", "", text)
    start = stripped.find("[")
    region = stripped[start:] if start != -1 else stripped
    complete = TurnStreamParser().feed(region)
    value: object = None
    if start != -1:
        try:
            value = json.loads(region)
        except json.JSONDecodeError:
            value = json_repair.repair_json(region, return_objects=True)
    if not isinstance(value, list) or not any(isinstance(v, dict) for v in value):
        value = complete
    if len(value) == 1 and isinstance(value[0], dict) and isinstance(value[0].get("turns"), list):
        value = value[0]["turns"]
    items = [item for item in value if isinstance(item, dict)]
    # Repair also "completes" an object the model was cut off in; its text ends mid-sentence, so drop it.
    if complete and len(items) > len(complete):
        items = items[: len(complete)]
    return items


class TurnValidator:
    """Makes raw objects into valid turns for the given hosts and references."""

    def __init__(self, hosts: Sequence[str], known_refs: Iterable[str] = ()) -> None:
        self.hosts = list(hosts)
        self._by_lower = {host.lower(): host for host in self.hosts}
        self.known_refs = set(known_refs)
        self.dropped = 0

    def turn(self, raw: dict, previous_speaker: str | None = None) -> ScriptTurn | None:
        """A valid turn from ``raw``, or ``None`` (counted in ``dropped``) when it has no usable text."""
        text = raw.get("text") if isinstance(raw.get("text"), str) else raw.get("line")
        if not isinstance(text, str) or not _speakable(text):
            self.dropped += 1
            return None
        text = " ".join(text.split())[:_MAX_TURN_CHARS]
        speaker = self._speaker(raw.get("speaker"), previous_speaker)
        refs = raw.get("refs", [])
        if isinstance(refs, str):
            refs = [refs]
        if not isinstance(refs, list):
            refs = []
        clean_refs = [r for r in (str(r).strip() for r in refs) if r and (not self.known_refs or r in self.known_refs)]
        return ScriptTurn(speaker, text, list(dict.fromkeys(clean_refs)))

    def turns(self, raws: Iterable[dict], previous_speaker: str | None = None) -> list[ScriptTurn]:
        """Every valid turn of ``raws`` in order."""
        out: list[ScriptTurn] = []
        for raw in raws:
            turn = self.turn(raw, out[-1].speaker if out else previous_speaker)
            if turn is not None:
                out.append(turn)
        return out

    def _speaker(self, value: object, previous: str | None) -> str:
        if isinstance(value, str) and value.strip().lower() in self._by_lower:
            return self._by_lower[value.strip().lower()]
        # An unknown or missing speaker: the other host takes the turn, as in a conversation.
        if previous in self.hosts and len(self.hosts) > 1:
            return self.hosts[(self.hosts.index(previous) + 1) % len(self.hosts)]
        return self.hosts[0]


def _speakable(text: str) -> bool:
    letters = sum(ch.isalpha() for ch in text)
    return letters >= 2 and letters >= 0.5 * len(text.strip())


def parse_turns(text: str, hosts: Sequence[str], known_refs: Iterable[str] = (),
                previous_speaker: str | None = None) -> list[ScriptTurn]:
    """Valid turns of a whole model answer; ScriptFormatError when there are none."""
    validator = TurnValidator(hosts, known_refs)
    turns = validator.turns(raw_turns(text), previous_speaker)
    if not turns:
        preview = " ".join(text.split())[:120]
        raise ScriptFormatError(
            "The model's answer held no usable script turns.",
            f"It began: {preview!r}" if preview else "The answer was empty.",
        )
    return turns
