"""Speech recognition with Whisper through faster-whisper (CTranslate2).

``WhisperTranscriber`` loads a model once and transcribes whole utterances:
16 kHz mono float32 arrays (what the VAD segmenter hands over) or audio files.
A call blocks for roughly a tenth to a half of the audio's duration on a CPU,
so it belongs on a worker thread (the speech pipeline's), never on the audio
callback; one transcriber serves one thread at a time.

Where it runs. ``device="auto"`` is resolved here, not by CTranslate2: the
CUDA build of CTranslate2 (4.6.3 and later, built with CUDA 12 and without
cuDNN) loads cuBLAS for CUDA 12 (``libcublas.so.12``) only when it first
transcribes, while torch's cu130 wheels bring cuBLAS for CUDA 13. So a GPU is
used only when CTranslate2 sees one *and* cuBLAS 12 can be loaded (from the
system's library path, CUDA_HOME, or the pip package ``nvidia-cublas-cu12``,
the ``cuda`` extra); otherwise Whisper runs on the CPU as int8 and
``WhisperTranscriber.device_note`` says why. A CUDA model that fails to build
or to transcribe its first utterance is replaced by a CPU model once, with the
same kind of note.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Literal

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.transcribe import TranscriptionInfo
from faster_whisper.vad import SpeechTimestampsMap

from engine.models import REGISTRY, ModelManager, get_spec, resolve_downloaded
from engine.speech.audio import WHISPER_RATE, load_audio, resample, to_mono_float32
from engine.speech.errors import SpeechModelError

log = logging.getLogger(__name__)

WhisperDevice = Literal["auto", "cuda", "cpu"]
WhisperComputeType = Literal["auto", "int8", "int8_float16", "float16", "float32"]

CUBLAS_NOTE = (
    "Whisper runs on the CPU: the GPU needs cuBLAS for CUDA 12, which CUDA 13 builds of torch do not bring "
    "(pip install nvidia-cublas-cu12, or install Nexus with its `cuda` extra)."
)
# CTranslate2 loads these by name the first time it runs on a GPU (Lt first: cuBLAS needs it).
_CUBLAS_NAMES = (
    ("cublasLt64_12.dll", "cublas64_12.dll")
    if sys.platform == "win32"
    else ("libcublasLt.so.12", "libcublas.so.12")
)


@dataclass(frozen=True)
class CudaLibraries:
    """Whether the CUDA 12 libraries CTranslate2 needs could be loaded, and from where."""

    loaded: bool
    where: tuple[str, ...]
    missing: tuple[str, ...]


@dataclass(frozen=True)
class WhisperPlacement:
    """Where Whisper will run (device, compute type), why, and a note to show when it is not the GPU wanted."""

    device: Literal["cuda", "cpu"]
    compute_type: str
    reason: str
    note: str = ""


def cuda_device_count() -> int:
    """How many CUDA GPUs CTranslate2 sees (0 without a driver or a CUDA build)."""
    try:
        return int(ctranslate2.get_cuda_device_count())
    except RuntimeError:
        return 0


def _library_folders() -> list[Path]:
    """Folders that may hold cuBLAS 12: the pip package's, then CUDA_HOME's."""
    folders: list[Path] = []
    sub = "bin" if sys.platform == "win32" else "lib"
    for entry in sys.path:
        candidate = Path(entry or ".") / "nvidia" / "cublas" / sub
        if candidate.is_dir() and candidate not in folders:
            folders.append(candidate)
    for variable in ("CUDA_HOME", "CUDA_PATH"):
        home = os.environ.get(variable)
        if home:
            names = ("bin",) if sys.platform == "win32" else ("lib64", "lib")
            folders.extend(Path(home) / name for name in names)
    return folders


@lru_cache(maxsize=1)
def load_cuda12_libraries() -> CudaLibraries:
    """Load cuBLAS for CUDA 12 once per process and keep it loaded.

    Each library is tried by name (the system's search path, or already loaded)
    and then by full path in the folders of ``nvidia-cublas-cu12`` and CUDA_HOME.
    Once loaded, CTranslate2 finds it by name even when those folders are not
    on the library path.
    """
    where: list[str] = []
    missing: list[str] = []
    for name in _CUBLAS_NAMES:
        for candidate in (name, *(str(folder / name) for folder in _library_folders())):
            if candidate != name and not Path(candidate).is_file():
                continue
            try:
                ctypes.CDLL(candidate)
            except OSError:
                continue
            where.append(candidate)
            break
        else:
            missing.append(name)
    return CudaLibraries(not missing, tuple(where), tuple(missing))


def _supported_compute_types(device: str) -> set[str]:
    try:
        return set(ctranslate2.get_supported_compute_types(device))
    except (RuntimeError, ValueError):
        return set()


def _cpu_compute_type(asked: str) -> tuple[str, str]:
    """The CPU compute type for ``asked`` and a note when it cannot be used as asked."""
    if asked in ("auto", "int8"):
        return "int8", ""
    if asked in _supported_compute_types("cpu"):
        return asked, ""
    return "int8", f"Whisper uses int8 on the CPU: {asked} needs a GPU."


def _cuda_compute_type(asked: str) -> str:
    supported = _supported_compute_types("cuda")
    if asked != "auto" and (asked in supported or not supported):
        return asked
    for choice in ("float16", "int8_float16", "int8", "float32"):
        if choice in supported:
            return choice
    return "float16"


def _on_cpu(compute_type: str, reason: str, note: str) -> WhisperPlacement:
    chosen, type_note = _cpu_compute_type(compute_type)
    return WhisperPlacement("cpu", chosen, reason, " ".join(part for part in (note, type_note) if part))


def plan_whisper_device(device: str = "auto", compute_type: str = "auto") -> WhisperPlacement:
    """Decide where Whisper runs for the ``device`` and ``compute_type`` settings, and why.

    ``auto`` and ``cuda`` use the GPU only when CTranslate2 sees one and cuBLAS
    for CUDA 12 loads; otherwise the CPU with int8 (a ``cuda`` setting that
    cannot be honoured gets a note saying so).
    """
    if device not in ("auto", "cuda", "cpu"):
        raise SpeechModelError(
            f"'{device}' is not a Whisper device.", "Choose auto, cuda or cpu in Settings → Voices."
        )
    if device == "cpu":
        return _on_cpu(compute_type, "Settings → Voices ask for the CPU.", "")
    gpus = cuda_device_count()
    if gpus == 0:
        note = (
            "Whisper runs on the CPU: Settings ask for the GPU, but CTranslate2 sees no CUDA device."
            if device == "cuda"
            else ""
        )
        return _on_cpu(compute_type, "CTranslate2 sees no CUDA GPU.", note)
    libraries = load_cuda12_libraries()
    if not libraries.loaded:
        return _on_cpu(
            compute_type,
            f"a CUDA GPU is present, but {', '.join(libraries.missing)} (cuBLAS for CUDA 12) cannot be loaded.",
            CUBLAS_NOTE,
        )
    return WhisperPlacement(
        "cuda",
        _cuda_compute_type(compute_type),
        f"{gpus} CUDA GPU(s) and cuBLAS 12 ({libraries.where[-1]}).",
    )


def _cuda_failure_note(exc: BaseException) -> str:
    """The note shown when Whisper had to leave the GPU because of ``exc``."""
    if "cublas" in str(exc).lower():
        return CUBLAS_NOTE
    return f"Whisper runs on the CPU: it failed on the GPU ({exc})."


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
    ``device`` is ``"auto"``, ``"cpu"`` or ``"cuda"`` and ``compute_type`` a
    CTranslate2 type or ``"auto"`` (float16 on a GPU, int8 on the CPU); see
    ``plan_whisper_device`` for how they are resolved. ``device_note`` says
    why Whisper is not on the GPU when that is worth telling the user.
    ``cpu_threads`` 0 lets CTranslate2 use every core.
    """

    def __init__(
        self,
        model: str | Path,
        device: str = "auto",
        compute_type: str = "auto",
        *,
        manager: ModelManager | None = None,
        cpu_threads: int = 0,
    ) -> None:
        self.path = resolve_whisper_model(model, manager)
        self._cpu_threads = cpu_threads
        self._asked_compute_type = compute_type
        self._lock = threading.Lock()
        self.placement = plan_whisper_device(device, compute_type)
        # A GPU model has proven itself only once it has transcribed something.
        self._proven = self.placement.device == "cpu"
        try:
            self._model = self._build(self.placement)
        except (RuntimeError, ValueError, OSError) as exc:
            if self.placement.device != "cuda":
                raise self._load_error(self.placement, exc) from exc
            self._fall_back_to_cpu(exc)
        if self.placement.note:
            log.warning("%s", self.placement.note)
        log.info(
            "loaded Whisper model %s (%s, %s: %s)",
            self.path.name,
            self.placement.device,
            self.placement.compute_type,
            self.placement.reason,
        )

    @property
    def device(self) -> str:
        """Where the model runs now: ``cuda`` or ``cpu``."""
        return self.placement.device

    @property
    def compute_type(self) -> str:
        """The CTranslate2 compute type in use."""
        return self.placement.compute_type

    @property
    def device_note(self) -> str:
        """Why Whisper is on the CPU although a GPU was wanted or present; empty when nothing to say."""
        return self.placement.note

    def _build(self, placement: WhisperPlacement) -> WhisperModel:
        return WhisperModel(
            str(self.path),
            device=placement.device,
            compute_type=placement.compute_type,
            cpu_threads=self._cpu_threads,
            local_files_only=True,
        )

    def _load_error(self, placement: WhisperPlacement, exc: BaseException) -> SpeechModelError:
        return SpeechModelError(
            f"The Whisper model in {self.path} could not be loaded on '{placement.device}' "
            f"as {placement.compute_type}: {exc}.",
            "Check the folder holds a faster-whisper (CTranslate2) model; on a machine without a GPU "
            "use device 'cpu' and compute type 'int8'.",
        )

    def _fall_back_to_cpu(self, exc: BaseException) -> None:
        """Replace the GPU model by a CPU one after ``exc``; raises when the CPU fails too."""
        log.warning("Whisper failed on the GPU (%s); loading it on the CPU", exc)
        placement = _on_cpu(self._asked_compute_type, f"the GPU failed: {exc}", _cuda_failure_note(exc))
        try:
            self._model = self._build(placement)
        except (RuntimeError, ValueError, OSError) as cpu_exc:
            raise self._load_error(placement, cpu_exc) from cpu_exc
        self.placement = placement
        self._proven = True

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
            try:
                segments, info = self._decode(samples, language, word_timestamps, beam_size, initial_prompt)
            except RuntimeError as exc:
                if self._proven:
                    raise
                # The first GPU transcription loads cuBLAS and the kernels: fall back once.
                self._fall_back_to_cpu(exc)
                log.warning("%s", self.placement.note)
                segments, info = self._decode(samples, language, word_timestamps, beam_size, initial_prompt)
            self._proven = True
        text = " ".join(s.text for s in segments if s.text).strip()
        return Transcript(
            text=text,
            language=info.language,
            language_probability=float(info.language_probability),
            duration=float(info.duration),
            segments=segments,
            words=tuple(w for s in segments for w in s.words),
        )

    def transcribe_file(
        self,
        path: str | Path,
        language: str | None = None,
        word_timestamps: bool = False,
        *,
        beam_size: int = 1,
    ) -> Iterator[Segment]:
        """Yield the segments of a recording of any length as they are recognised, times in the file.

        The file is decoded in blocks and only its speech (Silero VAD) reaches
        Whisper, a window of up to a minute at a time, so memory stays flat
        however long the file is and silence is never turned into words.
        Progress in seconds of audio goes to :mod:`engine.feedback`.
        """
        from engine import feedback
        from engine.speech.long_audio import audio_duration, decode_blocks, speech_windows

        total = audio_duration(path)
        stage = f"transcribing {Path(path).name}"
        for window in speech_windows(decode_blocks(path)):
            feedback.progress(stage, window.offset_s, total)
            speech = window.speech_audio()
            if speech.size == 0:
                continue
            with self._lock:
                try:
                    segments, info = self._decode(speech, language, word_timestamps, beam_size, None, chunked=True)
                except RuntimeError as exc:
                    if self._proven:
                        raise
                    self._fall_back_to_cpu(exc)
                    log.warning("%s", self.placement.note)
                    segments, info = self._decode(speech, language, word_timestamps, beam_size, None, chunked=True)
                self._proven = True
            # One language for the whole file: the first window with speech decides it.
            language = language or info.language
            timeline = SpeechTimestampsMap(window.speech, WHISPER_RATE)
            for segment in segments:
                if segment.text:
                    yield _in_recording(segment, timeline, window.offset_s)
        if total is not None:
            feedback.progress(stage, total, total)

    def _decode(
        self,
        samples: np.ndarray,
        language: str | None,
        word_timestamps: bool,
        beam_size: int,
        initial_prompt: str | None,
        *,
        chunked: bool = False,
    ) -> tuple[tuple[Segment, ...], TranscriptionInfo]:
        segments_iter, info = self._model.transcribe(
            samples,
            language=language,
            beam_size=beam_size,
            word_timestamps=word_timestamps,
            initial_prompt=initial_prompt,
            vad_filter=False,
            # Windows of a long file are decoded on their own: no earlier text to repeat or loop on.
            condition_on_previous_text=not chunked,
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
        return segments, info


def _in_recording(segment: Segment, timeline: SpeechTimestampsMap, offset_s: float) -> Segment:
    """``segment`` of joined speech spans moved to its place in the recording (as faster-whisper does)."""
    if segment.words:
        words = []
        for word in segment.words:
            index = timeline.get_chunk_index((word.start + word.end) / 2)
            words.append(
                replace(
                    word,
                    start=round(offset_s + timeline.get_original_time(word.start, index), 2),
                    end=round(offset_s + timeline.get_original_time(word.end, index), 2),
                )
            )
        return replace(segment, start=words[0].start, end=words[-1].end, words=tuple(words))
    return replace(
        segment,
        start=round(offset_s + timeline.get_original_time(segment.start), 2),
        end=round(offset_s + timeline.get_original_time(segment.end, is_end=True), 2),
    )
