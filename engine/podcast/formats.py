"""Episode formats, length presets and the spoken-word budget that makes lengths come out right.

A length is a number of minutes; the script is written to a word budget of
``minutes × words_per_minute``, where the rate is the hosts' voices' own,
measured by synthesising a calibration paragraph (Piper voices speak at
roughly 140–190 words a minute depending on the voice and its length scale).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from engine.errors import NexusError

FormatName = Literal["deep-dive", "brief", "critique", "debate"]
LengthName = Literal["short", "default", "long"]
LENGTH_TOLERANCE = 0.25
DEFAULT_WORDS_PER_MINUTE = 155.0

_CALIBRATION_TEXT = (
    "Today we are looking at how a small team built a private assistant that runs on a laptop. "
    "It listens, it watches the screen, and it answers out loud, without sending anything away. "
    "The interesting part is not the model itself, but everything around it: the audio, the timing, "
    "and the way a conversation can be interrupted and picked up again."
)


@dataclass(frozen=True)
class PodcastFormat:
    """How an episode is shaped: hosts, their roles, and length presets in minutes."""

    name: FormatName
    title: str
    hosts: tuple[str, ...]
    roles: tuple[str, ...]
    instructions: str
    minutes: dict[str, float] = field(default_factory=dict)

    def minutes_for(self, length: LengthName) -> float:
        """Target minutes of the ``length`` preset."""
        return self.minutes[length]


FORMATS: dict[str, PodcastFormat] = {
    "deep-dive": PodcastFormat(
        "deep-dive",
        "Deep Dive",
        ("Alex", "Sam"),
        (
            "the curious host who asks the questions a listener would ask",
            "the expert host who explains with concrete examples from the sources",
        ),
        "A lively two-host conversation that unpacks the sources: why they matter, the key ideas, "
        "surprising details and what follows from them. The hosts react to each other and build on each "
        "other's points; every claim comes from the sources.",
        {"short": 5.0, "default": 10.0, "long": 20.0},
    ),
    "brief": PodcastFormat(
        "brief",
        "Brief",
        ("Alex",),
        ("a single host giving a crisp overview",),
        "One host gives a short, dense summary of the sources' core ideas and takeaways.",
        {"short": 1.0, "default": 2.0, "long": 3.0},
    ),
    "critique": PodcastFormat(
        "critique",
        "Critique",
        ("Alex", "Sam"),
        (
            "the host who presents the sources' arguments fairly",
            "the reviewer who probes weaknesses, missing evidence and alternatives",
        ),
        "An expert review of the sources: what they claim, how well the evidence supports it, what is "
        "missing and how it could be improved. Constructive, specific and fair.",
        {"short": 4.0, "default": 8.0, "long": 15.0},
    ),
    "debate": PodcastFormat(
        "debate",
        "Debate",
        ("Alex", "Sam"),
        ("the host arguing for the sources' main position", "the host arguing against it"),
        "A civil debate between two hosts taking opposite sides of the sources' central question, each "
        "grounding arguments in the sources, ending with where they agree.",
        {"short": 4.0, "default": 8.0, "long": 15.0},
    ),
}


def get_format(name: str) -> PodcastFormat:
    """The format called ``name`` (a NexusError listing the formats otherwise)."""
    try:
        return FORMATS[name]
    except KeyError:
        raise NexusError(
            f"'{name}' is not a podcast format.", f"Choose one of: {', '.join(FORMATS)}."
        ) from None


@dataclass(frozen=True)
class EpisodeSpec:
    """What the user asked for: format, length, language and a free-text steer."""

    format: str = "deep-dive"
    length: str = "default"
    language: str = "English"
    steer: str = ""
    minutes: float | None = None

    def target_minutes(self) -> float:
        """Minutes asked for (an explicit ``minutes`` wins over the preset)."""
        if self.minutes is not None:
            return self.minutes
        fmt = get_format(self.format)
        if self.length not in fmt.minutes:
            raise NexusError(f"'{self.length}' is not a length.", "Choose short, default or long.")
        return fmt.minutes_for(self.length)  # type: ignore[arg-type]


_DIGITS = re.compile(r"\d+")
_SPOKEN_SYMBOLS = re.compile(r"(?<=\d)[.:/](?=\d)|[%&@+=]")


def _spoken_words(token: str) -> int:
    if not any(ch.isalnum() for ch in token):
        return 0
    runs = _DIGITS.findall(token)
    if not runs:
        return 1
    # Numbers are read out: "0.5" is three words, "2024" four, "15%" two.
    said = sum(1 if len(run) == 1 else min(len(run), 4) for run in runs)
    letters = 1 if any(ch.isalpha() for ch in token) else 0
    return said + letters + len(_SPOKEN_SYMBOLS.findall(token))


def count_words(text: str) -> int:
    """Words ``text`` takes to say: one per word, numbers and symbols as they are read out."""
    return sum(_spoken_words(token) for token in text.split())


def measure_words_per_minute(synthesize: Callable[[str], np.ndarray], sample_rate: int) -> float:
    """Words a minute of a voice, from synthesising a calibration paragraph once."""
    audio = synthesize(_CALIBRATION_TEXT)
    seconds = audio.size / sample_rate
    if seconds <= 0:
        return DEFAULT_WORDS_PER_MINUTE
    return count_words(_CALIBRATION_TEXT) / seconds * 60.0


def word_budget(minutes: float, words_per_minute: float) -> int:
    """Words a script needs to last ``minutes`` at ``words_per_minute``."""
    return max(20, round(minutes * words_per_minute))
