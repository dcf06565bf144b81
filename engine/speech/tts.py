"""Piper text-to-speech: voices loaded once and kept warm, several at a time.

A voice is a Piper ONNX model plus its ``.onnx.json`` config. ``PiperVoice``
pairs a loaded model with a speaking style (speed, variation, speaker); styles
made with ``with_style`` share the loaded model, so a podcast's two hosts can
come from one multi-speaker voice, or from one voice at two settings, without
loading it twice. ``VoiceBank`` holds the named voices of a session.

Synthesis runs an ONNX model for about a tenth of the audio's duration on a
laptop CPU: call it from a worker thread, never from an audio callback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from engine import privacy as _privacy  # noqa: F401,I001 - before onnxruntime loads: its telemetry stays off
from onnxruntime.capi import onnxruntime_pybind11_state as ort_errors
from piper import PiperVoice as _PiperModel
from piper import SynthesisConfig

from engine.models import ModelManager, get_spec, resolve_downloaded
from engine.privacy import quiet_onnxruntime
from engine.speech.audio import resample
from engine.speech.errors import SpeechModelError

log = logging.getLogger(__name__)

_WARM_UP_TEXT = "Ready."


@dataclass(frozen=True)
class VoiceStyle:
    """How a voice speaks; ``None`` keeps the value from the voice's config.

    ``length_scale`` > 1 speaks slower, < 1 faster; ``noise_scale`` and
    ``noise_w_scale`` vary timbre and rhythm; ``speaker_id`` picks a speaker of
    a multi-speaker voice; ``volume`` scales the peak-normalised output.
    """

    length_scale: float | None = None
    noise_scale: float | None = None
    noise_w_scale: float | None = None
    speaker_id: int | None = None
    volume: float = 1.0


@dataclass(frozen=True)
class VoiceFiles:
    """The two files of a Piper voice."""

    onnx: Path
    config: Path


def resolve_voice(voice: str | Path, manager: ModelManager | None = None) -> VoiceFiles:
    """The files of ``voice``: a ``.onnx`` path, a folder holding one, or a registry key.

    Registry keys (``piper-en_US-lessac-medium`` or ``en_US-lessac-medium``) are
    looked up offline with ``ModelManager.resolve``. Raises
    ``SpeechModelError`` (or ``ModelNotFound`` for a key that is not downloaded).
    """
    candidate = Path(voice).expanduser()
    if candidate.suffix == ".onnx" or candidate.is_dir():
        folder_or_file = candidate
    else:
        spec = get_spec(str(voice))
        if spec.kind != "piper":
            raise SpeechModelError(
                f"'{voice}' is a {spec.kind} model, not a Piper voice.",
                "Pick a voice with `nexus-cli models list` (the keys that start with 'piper-').",
            )
        folder_or_file = resolve_downloaded(spec, manager, "use a Piper .onnx voice file that is already on disk")
    if folder_or_file.is_dir():
        models = sorted(folder_or_file.glob("*.onnx"))
        if len(models) != 1:
            raise SpeechModelError(
                f"The folder {folder_or_file} holds {len(models)} .onnx voices; exactly one was expected.",
                "Point at the voice's .onnx file itself.",
            )
        onnx = models[0]
    else:
        onnx = folder_or_file
    if not onnx.is_file():
        raise SpeechModelError(f"The voice file {onnx} does not exist.", "Check the path to the .onnx voice.")
    config = onnx.with_name(onnx.name + ".json")
    if not config.is_file():
        raise SpeechModelError(
            f"The voice {onnx.name} has no config file {config.name} next to it.",
            "Download both files of the voice (the .onnx and the .onnx.json) into the same folder.",
        )
    return VoiceFiles(onnx, config)


def _load_model(files: VoiceFiles, use_cuda: bool) -> _PiperModel:
    try:
        quiet_onnxruntime()
        return _PiperModel.load(files.onnx, files.config, use_cuda=use_cuda)
    except (
        OSError,
        ValueError,
        KeyError,
        ort_errors.Fail,
        ort_errors.InvalidArgument,
        ort_errors.InvalidProtobuf,
        ort_errors.InvalidGraph,
        ort_errors.NoSuchFile,
    ) as exc:
        raise SpeechModelError(
            f"The Piper voice {files.onnx} could not be loaded: {exc}.",
            "The download may be damaged: run `nexus-cli models verify` or download the voice again.",
        ) from exc


class PiperVoice:
    """A loaded Piper voice speaking in one style.

    ``voice`` is a registry key, a ``.onnx`` path or a folder holding one; the
    model is loaded once. ``warm_up`` synthesises one word at load time, which
    takes ONNX's first-run cost (about 30 ms on a laptop CPU) off the first
    real sentence.
    """

    def __init__(
        self,
        voice: str | Path,
        style: VoiceStyle | None = None,
        *,
        manager: ModelManager | None = None,
        use_cuda: bool = False,
        warm_up: bool = True,
    ) -> None:
        self.files = resolve_voice(voice, manager)
        self._model = _load_model(self.files, use_cuda)
        self.style = style or VoiceStyle()
        self._check_speaker(self.style)
        if warm_up:
            self.synthesize(_WARM_UP_TEXT)
        log.info("loaded Piper voice %s (%d Hz)", self.files.onnx.name, self.sample_rate)

    @classmethod
    def _sharing(cls, other: PiperVoice, style: VoiceStyle) -> PiperVoice:
        voice = cls.__new__(cls)
        voice.files = other.files
        voice._model = other._model
        voice.style = style
        voice._check_speaker(style)
        return voice

    def with_style(self, style: VoiceStyle | None = None, /, **changes: Any) -> PiperVoice:
        """The same loaded model speaking in ``style``, or in this style with ``changes``.

        ``changes`` are ``VoiceStyle`` fields: ``voice.with_style(length_scale=1.2)``.
        """
        return PiperVoice._sharing(self, replace(style or self.style, **changes))

    def with_rate(self, rate: float) -> PiperVoice:
        """The same voice ``rate`` times as fast as its config's default speed (1.0 = unchanged)."""
        if rate <= 0:
            raise ValueError(f"speech rate must be positive, got {rate}")
        return self.with_style(length_scale=self._model.config.length_scale / rate)

    @property
    def sample_rate(self) -> int:
        """The rate of the audio this voice produces, in Hz."""
        return int(self._model.config.sample_rate)

    @property
    def speakers(self) -> dict[str, int]:
        """Speaker names and ids of a multi-speaker voice (empty for a single speaker)."""
        return dict(self._model.config.speaker_id_map)

    @property
    def num_speakers(self) -> int:
        """How many speakers the model has."""
        return int(self._model.config.num_speakers)

    def _check_speaker(self, style: VoiceStyle) -> None:
        if style.speaker_id is not None and not 0 <= style.speaker_id < max(self.num_speakers, 1):
            raise SpeechModelError(
                f"Speaker {style.speaker_id} does not exist in {self.files.onnx.name}, "
                f"which has {self.num_speakers} speaker(s).",
                "Choose a speaker id from 0 to the number of speakers minus one.",
            )

    def _config(self) -> SynthesisConfig:
        s = self.style
        return SynthesisConfig(
            speaker_id=s.speaker_id,
            length_scale=s.length_scale,
            noise_scale=s.noise_scale,
            noise_w_scale=s.noise_w_scale,
            volume=s.volume,
        )

    def sentences(self, text: str, output_rate: int | None = None) -> Iterator[np.ndarray]:
        """Float32 audio for each sentence of ``text`` as soon as it is synthesised."""
        config = self._config()
        for chunk in self._model.synthesize(text, syn_config=config):
            audio = chunk.audio_float_array
            yield (
                audio
                if output_rate in (None, self.sample_rate)
                else resample(audio, self.sample_rate, output_rate)
            )

    def synthesize(self, text: str, output_rate: int | None = None) -> np.ndarray:
        """Float32 mono audio of ``text`` at ``output_rate`` (the voice's own rate by default)."""
        pieces = list(self.sentences(text))
        audio = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        if output_rate is None or output_rate == self.sample_rate:
            return audio
        return resample(audio, self.sample_rate, output_rate)

    def __repr__(self) -> str:
        return f"PiperVoice({self.files.onnx.name!r}, {self.style})"


class VoiceBank:
    """Named voices that stay loaded together, each model file loaded only once.

    ``add("host_a", "piper-en_US-lessac-medium")`` and
    ``add("host_b", "piper-en_US-ryan-medium")`` give a podcast its two hosts;
    two names may also share one model with different styles or speakers.
    """

    def __init__(self, manager: ModelManager | None = None, *, use_cuda: bool = False) -> None:
        self._manager = manager
        self._use_cuda = use_cuda
        self._loaded: dict[Path, PiperVoice] = {}
        self._voices: dict[str, PiperVoice] = {}

    def add(self, name: str, voice: str | Path, style: VoiceStyle | None = None) -> PiperVoice:
        """Load ``voice`` (unless already loaded) and register it as ``name`` with ``style``."""
        files = resolve_voice(voice, self._manager)
        base = self._loaded.get(files.onnx.resolve())
        if base is None:
            base = PiperVoice(files.onnx, manager=self._manager, use_cuda=self._use_cuda)
            self._loaded[files.onnx.resolve()] = base
        self._voices[name] = base.with_style(style or VoiceStyle())
        return self._voices[name]

    def __getitem__(self, name: str) -> PiperVoice:
        try:
            return self._voices[name]
        except KeyError:
            raise SpeechModelError(
                f"No voice named '{name}' is loaded.", f"Loaded voices: {', '.join(self.names) or 'none'}."
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._voices

    @property
    def names(self) -> list[str]:
        """The registered voice names, in the order they were added."""
        return list(self._voices)

    @property
    def models_loaded(self) -> int:
        """How many distinct model files are in memory."""
        return len(self._loaded)

    def synthesize(self, name: str, text: str, output_rate: int | None = None) -> np.ndarray:
        """Audio of ``text`` spoken by the voice registered as ``name``."""
        return self[name].synthesize(text, output_rate)
