"""Does a model the user picked load? Checks for a thinker folder, a Whisper model and a Piper voice.

Settings lets people point at models on disk instead of downloading them.
``quick_check`` answers at once (files that must be there, headers that must
be whole) so a dialog can refuse a wrong choice on OK; ``load_check`` really
loads a speech model (seconds, so callers run it off the GUI thread) and says
what loaded. Both raise a ``NexusError`` with one sentence and a next step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from engine.errors import ModelNotFound
from engine.models import REGISTRY, ModelManager

Kind = Literal["thinker", "whisper", "piper"]
WHAT = {"thinker": "language model", "whisper": "Whisper model", "piper": "Piper voice"}


def is_registry_key(kind: Kind, value: str) -> bool:
    """Whether ``value`` names a model of the registry (rather than a path on disk)."""
    text = value.strip()
    candidates = [text, f"piper-{text}"] if kind == "piper" else [text, f"whisper-{text}"]
    return any(spec.kind == kind and (spec.key in candidates or spec.repo_id == text) for spec in REGISTRY)


def is_local_path(kind: Kind, value: str) -> bool:
    """Whether ``value`` points at a model on disk (an existing path, or one written as a path)."""
    text = value.strip()
    if not text or is_registry_key(kind, text):
        return False
    return Path(text).expanduser().exists() or text.startswith(("/", "~", ".")) or text.endswith(".onnx")


def quick_check(kind: Kind, value: str | Path, manager: ModelManager | None = None) -> str:
    """A short sentence on what ``value`` holds, without loading it; raises a ``NexusError`` when unusable.

    ``value`` is a folder (thinker, Whisper), a ``.onnx`` file or folder (Piper)
    or a registry key; a key must be downloaded into ``manager``'s folder.
    """
    text = str(value).strip()
    if not text:
        raise ModelNotFound(f"No {WHAT[kind]} is chosen.", "Pick one from the list or browse to it.")
    if kind == "thinker":
        return _check_thinker_folder(Path(text).expanduser())
    if kind == "whisper":
        from engine.speech.asr import resolve_whisper_model

        if is_registry_key("whisper", text):
            return f"Whisper model in {resolve_whisper_model(text, manager)}."
        folder = Path(text).expanduser()
        if not folder.is_dir():
            raise ModelNotFound(
                f"The folder {folder} does not exist.",
                "Choose the folder of a faster-whisper model (it holds model.bin), or pick one from the list.",
            )
        if not (folder / "model.bin").is_file():
            raise ModelNotFound(
                f"The folder {folder} holds no model.bin, so it is not a faster-whisper model.",
                "Choose a CTranslate2 conversion of Whisper (the folder with model.bin, config.json and "
                "the tokenizer), or pick a Whisper model from the list.",
            )
        return f"Whisper model in {folder}."
    from engine.speech.tts import resolve_voice

    files = resolve_voice(text, manager)
    return f"Piper voice {files.onnx.name} with its config."


def load_check(kind: Kind, value: str | Path, manager: ModelManager | None = None) -> str:
    """Load the speech model ``value`` on the CPU and say what loaded (thinkers get ``quick_check``)."""
    summary = quick_check(kind, value, manager)
    if kind == "whisper":
        from engine.speech.asr import WhisperTranscriber

        model = WhisperTranscriber(str(value).strip(), device="cpu", compute_type="int8", manager=manager)
        return f"Loads: faster-whisper model in {model.path}."
    if kind == "piper":
        from engine.speech.tts import PiperVoice

        voice = PiperVoice(str(value).strip(), manager=manager, warm_up=True)
        speakers = f", {voice.num_speakers} speakers" if voice.num_speakers > 1 else ""
        return f"Loads and speaks: {voice.files.onnx.name}, {voice.sample_rate} Hz{speakers}."
    return summary


def _check_thinker_folder(folder: Path) -> str:
    from engine.omni.loader import _check_weight_files, detect_layout

    if not folder.is_dir():
        raise ModelNotFound(
            f"The folder {folder} does not exist.",
            "Choose the folder that holds config.json and the weights of a Qwen2.5-Omni model.",
        )
    layout = detect_layout(folder)
    _check_weight_files(folder)
    what = "a Qwen2.5-Omni thinker" if layout == "thinker" else "a Qwen2.5-Omni model"
    return f"Holds {what} with all of its weight files."
