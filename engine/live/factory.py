"""Build a Live session's parts from settings: devices, detectors, speech models."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from engine.config import LiveSettings
from engine.errors import NexusError
from engine.live.listener import Listener
from engine.media.camera import CameraCapture
from engine.media.capture import CaptureSource
from engine.media.frame_ring import FrameRing
from engine.media.microphone import Microphone
from engine.media.player import Player
from engine.media.desktop import parse_window_id
from engine.media.frame_policy import FramePolicy
from engine.media.screen import ScreenCapture, WindowCapture
from engine.media.vad import SegmenterConfig, SpeechSegmenter, make_detector
from engine.live.session import LiveParts
from engine.live.smart_turn import SmartTurn
from engine.omni.base import Engine
from engine.omni.turn import AUDIO_RATE
from engine.speech.asr import WhisperTranscriber
from engine.speech.tts import PiperVoice


@lru_cache(maxsize=2)
def _transcriber(whisper: str, device: str = "auto", compute_type: str = "auto") -> WhisperTranscriber:
    return WhisperTranscriber(whisper, device, compute_type)


@lru_cache(maxsize=4)
def _voice(voice: str) -> PiperVoice:
    return PiperVoice(voice)


def load_speech_models(
    whisper: str | Path | None,
    voice: str | Path | None,
    *,
    whisper_device: str = "auto",
    whisper_compute_type: str = "auto",
) -> None:
    """Load (once per process) the Whisper and Piper models a session will use.

    ``whisper_device`` and ``whisper_compute_type`` are the Voices settings of
    the same names; a session must pass the same values to reuse the model.

    Loading Whisper parses its tokenizer with the GIL held for tens of
    milliseconds; doing it ahead of Start (the Live tab calls this when it is
    first shown) keeps that out of a running session, and later sessions reuse
    the same models.
    """
    if whisper is not None:
        _transcriber(str(whisper), whisper_device, whisper_compute_type)
    if voice is not None:
        _voice(str(voice))


def parse_source(source: str) -> tuple[str, int | str]:
    """``screen:N`` → (screen, N); ``window:0xID`` → (window, ID); ``camera:N`` → (camera, N);
    a path → (camera, path)."""
    kind, _, value = source.partition(":")
    if kind in ("screen", "camera") and value.isdigit():
        return kind, int(value)
    window_id = parse_window_id(value) if kind == "window" else None
    if window_id is not None:
        return kind, window_id
    if kind == "none":
        return "none", 0
    if Path(source).expanduser().is_file():
        return "camera", str(Path(source).expanduser())
    raise NexusError(
        f"'{source}' is not a capture source.",
        "Use screen:1 for the first monitor, window:0xID for a window, camera:0 for the first camera, "
        "or a video file path.",
    )


def make_capture(source: str, frames: FrameRing, settings: LiveSettings) -> CaptureSource | None:
    """The screen or camera capture named by ``source`` (``none`` for no pictures)."""
    kind, value = parse_source(source)
    policy = FramePolicy.from_settings(settings)
    if kind == "screen":
        return ScreenCapture(frames, int(value), fps=settings.fps_idle, frame_policy=policy)
    if kind == "window":
        return WindowCapture(frames, int(value), fps=settings.fps_idle, frame_policy=policy)
    if kind == "camera":
        return CameraCapture(frames, value, fps=settings.fps_idle)
    return None


def build_live_parts(
    engine: Engine,
    settings: LiveSettings,
    *,
    whisper: str | Path | None,
    voice: str | Path | None,
    input_device: str | int | None = None,
    output_device: str | int | None = None,
    speech_rate: float = 1.0,
    whisper_device: str = "auto",
    whisper_compute_type: str = "auto",
) -> LiveParts:
    """Everything a ``LiveSession`` drives, opened lazily by ``LiveSession.start``.

    ``whisper_device``/``whisper_compute_type`` are the Voices settings; the
    transcriber's ``device_note`` says when Whisper fell back to the CPU.
    """
    frames = FrameRing(capacity=64, max_age_s=60.0)
    capture = make_capture(settings.source, frames, settings)
    asr = (
        _transcriber(str(whisper), whisper_device, whisper_compute_type)
        if whisper is not None and settings.mode != "text_only"
        else None
    )
    piper = _voice(str(voice)).with_rate(speech_rate) if voice is not None and not settings.mute_voice else None
    # The speaker runs at 16 kHz so the echo canceller's reference is written by the
    # audio callback itself, in step with the device (the voice is resampled once, upstream).
    player = Player(output_device, sample_rate=AUDIO_RATE) if piper is not None else None
    microphone = listener = None
    if settings.mode != "text_only":
        microphone = Microphone(input_device)
        segmenter = SpeechSegmenter(
            make_detector(settings.vad_engine), SegmenterConfig(end_ms=settings.end_of_turn_ms)
        )
        reference = (lambda: player.callback_reference) if player is not None else None
        listener = Listener(segmenter, lambda _event: None, echo=settings.echo, reference=reference)
    turn_model = SmartTurn() if listener is not None and settings.smart_turn else None
    return LiveParts(
        engine=engine,
        frames=frames,
        asr=asr,
        voice=piper,
        player=player,
        microphone=microphone,
        capture=capture,
        listener=listener,
        turn_model=turn_model,
    )
