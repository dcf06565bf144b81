"""The hosts' voices, Whisper and the answering engine as the Podcast tab uses them (no Qt).

Loading a Piper voice or Whisper takes from a fraction of a second to
several seconds, so each is loaded once per process and only ever from a
worker thread. A missing model raises the engine's ``NexusError`` with its
message and hint, which the tab shows as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache

from engine.config import VoiceSettings
from engine.errors import NexusError
from engine.omni.base import Engine
from engine.omni.turn import CancelToken, Turn, TurnStats
from engine.podcast.builder import host_voices
from engine.podcast.formats import EpisodeSpec
from engine.speech.asr import WhisperTranscriber
from engine.speech.tts import PiperVoice, VoiceStyle

# Two hosts with the same voice and speaker would sound like one person talking to themself.
_SECOND_HOST_STYLE = {"length_scale": 1.08, "noise_scale": 0.4}


@lru_cache(maxsize=4)
def piper_voice(voice: str, speaker: int | None) -> PiperVoice:
    """The Piper voice ``voice`` (registry key or ``.onnx`` path) speaking as ``speaker``."""
    return PiperVoice(voice, VoiceStyle(speaker_id=speaker))


@lru_cache(maxsize=2)
def whisper(model: str, device: str = "auto", compute_type: str = "auto") -> WhisperTranscriber:
    """The Whisper model ``model`` (registry key or folder) on ``device`` as ``compute_type`` (Voices settings)."""
    return WhisperTranscriber(model, device, compute_type)


def load_host_voices(voices: VoiceSettings, spec: EpisodeSpec) -> dict[str, PiperVoice]:
    """Each host of ``spec``'s format with the voice chosen in Settings (worker thread)."""
    first = piper_voice(voices.host_a_voice, voices.host_a_speaker)
    second = piper_voice(voices.host_b_voice, voices.host_b_speaker)
    if (voices.host_a_voice, voices.host_a_speaker) == (voices.host_b_voice, voices.host_b_speaker):
        second = second.with_style(**_SECOND_HOST_STYLE)
    return host_voices(spec, first, second)


def spec_of(data: dict) -> EpisodeSpec:
    """The ``EpisodeSpec`` saved in an episode (unknown keys from newer versions are ignored)."""
    known = {name: data[name] for name in ("format", "length", "language", "steer", "minutes") if name in data}
    return EpisodeSpec(**known)


class NoModelLoaded(NexusError):
    """A listener asked a question while no model is loaded."""


class HostEngine:
    """Whatever engine the app holds when a question is asked (the model may load after playback starts)."""

    def __init__(self, current: Callable[[], Engine | None]) -> None:
        self._current = current
        self._stats = TurnStats()

    @property
    def last_stats(self) -> TurnStats:
        """The statistics of the last answer."""
        engine = self._current()
        return engine.last_stats if engine is not None else self._stats

    def stream(self, turn: Turn, cancel: CancelToken | None = None) -> Iterator[str]:
        """The current engine's answer; raises ``NoModelLoaded`` when there is none."""
        engine = self._current()
        if engine is None:
            raise NoModelLoaded(
                "The hosts cannot answer: no model is loaded.",
                "Choose and download a model with File › Models…, then ask again.",
            )
        yield from engine.stream(turn, cancel)

    def reset(self) -> None:
        """Reset the current engine, if any."""
        engine = self._current()
        if engine is not None:
            engine.reset()

    def describe(self) -> dict[str, str]:
        """The current engine's description."""
        engine = self._current()
        return engine.describe() if engine is not None else {"model": "none", "backend": "none"}
