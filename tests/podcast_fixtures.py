"""Podcast test material: a Markdown source of plain English prose and an episode made from it."""

from __future__ import annotations

import random
from functools import lru_cache
from pathlib import Path

from engine.podcast.builder import EpisodeBuilder, host_voices
from engine.podcast.episode import Episode, EpisodeStore
from engine.podcast.formats import EpisodeSpec
from engine.podcast.outline import NotesCache
from engine.podcast.scripted import ScriptedHosts
from engine.podcast.sources import Source, load_source
from engine.speech.tts import PiperVoice
from tests.speech_fixtures import piper_voice_onnx

SUBJECTS = ("Solar cells", "Modern panels", "Engineers", "Thin films", "Rooftop systems", "Grid operators")
VERBS = ("turn", "store", "carry", "measure", "guide", "absorb")
OBJECTS = ("sunlight into current", "energy for the evening", "heat away from the roof", "power across the city")
SECTIONS = ("Cells", "Panels", "Storage", "Grid", "Costs", "Future")


def write_solar_markdown(path: Path, seed: int = 1) -> Path:
    """A six-section Markdown article of speakable sentences."""
    rng = random.Random(seed)

    def sentence() -> str:
        weather = rng.choice(("clear", "cold", "warm", "windy"))
        return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} when the weather is {weather}."

    body = "\n\n".join(f"## {name}\n\n" + " ".join(sentence() for _ in range(8)) for name in SECTIONS)
    path.write_text(f"# Solar power\n\n{body}\n", encoding="utf-8")
    return path


@lru_cache(maxsize=1)
def host_voice_pair() -> tuple[PiperVoice, PiperVoice]:
    """Two distinguishable hosts from the one bundled voice (different speed and timbre)."""
    voice = PiperVoice(piper_voice_onnx())
    return voice, voice.with_style(length_scale=1.08, noise_scale=0.4)


def make_episode(root: Path, spec: EpisodeSpec, source: Source | None = None, synthesize_all: bool = True,
                 engine: object | None = None) -> Episode:
    """An episode made by the real pipeline with the scripted hosts."""
    source = source or load_source(write_solar_markdown(root / "solar.md"))
    a, b = host_voice_pair()
    builder = EpisodeBuilder(engine or ScriptedHosts(), EpisodeStore(root / "episodes"), NotesCache(root / "notes"),
                             host_voices(spec, a, b))
    return builder.build([source], spec, synthesize_all=synthesize_all)
