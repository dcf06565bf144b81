"""Speech recognition with Whisper through faster-whisper (CTranslate2).

``WhisperTranscriber`` loads a model once and transcribes whole utterances:
16 kHz mono float32 arrays (what the VAD segmenter hands over) or audio files.
A call blocks for roughly a tenth to a half of the audio's duration on a CPU,
so it belongs on a worker thread (the speech pipeline's), never on the audio
callback; one transcriber serves one thread at a time.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel

from engine.models import REGISTRY, ModelManager, get_spec, resolve_downloaded
from engine.speech.audio import WHISPER_RATE, load_audio, resample, to_mono_float32
from engine.speech.errors import SpeechModelError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Word:
    """One recognised word with its time span in seconds and Whisper's confidence."""

    start: float
    end: float
    text: str
    probability: float


@dataclass(frozen=True)
class Segment:
    """One decoded stretch of speech."""

    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Transcript:
    """What was said: the joined text, the language, and the segments and words it came from.

    ``words`` is empty unless word timestamps were asked for.
    """

    text: str
    language: str
    language_probability: float
    duration: float
    segments: tuple[Segment, ...]
    words: tuple[Word, ...]


def resolve_whisper_model(model: str | Path, manager: ModelManager | None = None) -> Path:
    """The folder of a CTranslate2 Whisper model: a folder path, or a registry key resolved offline.

    Keys may be written with or without the ``whisper-`` prefix (``tiny.en``).
    Raises ``ModelNotFound`` when the model is not downloaded and
    ``SpeechModelError`` when the key names another kind of model.
    """
    candidate = Path(model).expanduser()
    if isinstance(model, Path) or candidate.exists() or str(model).startswith(("/", ".", "~")):
        # ``resolve`` with a local path only checks that the folder holds model files.
        return (manager or ModelManager(candidate.parent)).resolve(str(model), local_path=candidate)
    key = str(model)
    if not key.startswith("whisper-") and any(spec.key == f"whisper-{key}" for spec in REGISTRY):
        key = f"whisper-{key}"
    spec = get_spec(key)
    if spec.kind != "whisper":
        raise SpeechModelError(
            f"'{model}' is a {spec.kind} model, not a Whisper model.",
            "Pick one of the whisper-* models from `nexus-cli models list`.",
        )
    return resolve_downloaded(spec, manager, "use a folder that holds a faster-whisper model")


class WhisperTranscriber:
    """A Whisper model loaded once, turning speech into text.

    ``model`` is a registry key (``whisper-small.en``) or a folder with a
    CTranslate2 conversion (``model.bin``, ``config.json``, tokenizer).
    ``device`` is ``"auto"``, ``"cpu"`` or ``"cuda"``; ``compute_type`` is a
    CTranslate2 type (``int8`` is fast on CPUs and supported on GPUs).
    ``cpu_threads`` 0 lets CTranslate2 use every core.
    """

    def __init__(
        self,
        model: str | Path,
        device: str = "auto",
        compute_type: str = "int8",
        *,
        manager: ModelManager | None = None,
        cpu_threads: int = 0,
    ) -> None:
        self.path = resolve_whisper_model(model, manager)
        try:
            self._model = WhisperModel(
                str(self.path),
                device=device,
                compute_type=compute_type,
                cpu_threads=cpu_threads,
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise SpeechModelError(
                f"The Whisper model in {self.path} could not be loaded on '{device}' as {compute_type}: {exc}.",
                "Check the folder holds a faster-whisper (CTranslate2) model; on a machine without a GPU "
                "use device 'cpu' and compute type 'int8'.",
            ) from exc
        self._lock = threading.Lock()
        log.info("loaded Whisper model %s (%s, %s)", self.path.name, device, compute_type)

    @property
    def multilingual(self) -> bool:
        """Whether the model can detect and transcribe languages other than English."""
        return bool(self._model.model.is_multilingual)

    def transcribe(
        self,
        audio: np.ndarray | str | Path,
        language: str | None = None,
        word_timestamps: bool = False,
        *,
        sample_rate: int = WHISPER_RATE,
        beam_size: int = 1,
        initial_prompt: str | None = None,
    ) -> Transcript:
        """Transcribe ``audio``: a mono float32 array at ``sample_rate`` Hz, or a file path.

        ``language`` None detects it (English-only models always answer "en").
        ``beam_size`` 1 is greedy decoding, the fastest; 5 is Whisper's
        reference setting and a little more accurate.
        """
        if isinstance(audio, (str, Path)):
            samples, _ = load_audio(audio, WHISPER_RATE)
        else:
            samples = to_mono_float32(audio)
            if sample_rate != WHISPER_RATE:
                samples = resample(samples, sample_rate, WHISPER_RATE)
        with self._lock:
            segments_iter, info = self._model.transcribe(
                samples,
                language=language,
                beam_size=beam_size,
                word_timestamps=word_timestamps,
                initial_prompt=initial_prompt,
                vad_filter=False,
            )
            segments = tuple(
                Segment(
                    start=float(s.start),
                    end=float(s.end),
                    text=s.text.strip(),
                    avg_logprob=float(s.avg_logprob),
                    no_speech_prob=float(s.no_speech_prob),
                    words=tuple(
                        Word(float(w.start), float(w.end), w.word.strip(), float(w.probability))
                        for w in (s.words or ())
                    ),
                )
                for s in segments_iter
            )
        text = " ".join(s.text for s in segments if s.text).strip()
        return Transcript(
            text=text,
            language=info.language,
            language_probability=float(info.language_probability),
            duration=float(info.duration),
            segments=segments,
            words=tuple(w for s in segments for w in s.words),
        )
