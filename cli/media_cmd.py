"""``nexus-cli transcribe|vad|speak|devices|look``: the speech and media layer from the terminal."""

from __future__ import annotations

import argparse
import io
import itertools
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

from engine import feedback, system_info
from engine.atomic import write_bytes_atomic
from engine.config import Settings, load_settings
from engine.errors import describe_os_error
from engine.models import ModelManager
from engine.speech.errors import AudioFileError

from cli import look_cmd


def _manager(settings: Settings) -> ModelManager:
    return ModelManager(settings.folders.resolved_models_dir())


def transcribe(args: argparse.Namespace) -> int:
    """Print what is said in an audio file, a line per stretch of speech as it is recognised.

    With ``--words`` each line is followed by its words with their start and
    end second. Files of any length are read in blocks with flat memory, and
    silence is skipped (voice activity detection), never transcribed.
    """
    from engine.speech.asr import WhisperTranscriber
    from engine.speech.long_audio import decode_blocks

    path = Path(args.file).expanduser()
    next(decode_blocks(path, block_s=0.1), None)  # an unreadable file fails here, before the model loads
    settings = load_settings()
    transcriber = WhisperTranscriber(
        args.model or settings.voices.whisper_model,
        settings.voices.whisper_device,
        settings.voices.whisper_compute_type,
        manager=_manager(settings),
    )
    if transcriber.device_note:
        print(transcriber.device_note, file=sys.stderr)
    said = False
    for segment in transcriber.transcribe_file(path, language=args.language, word_timestamps=args.words):
        said = True
        print(segment.text, flush=True)
        for word in segment.words:
            print(f"{word.start:8.2f} {word.end:8.2f}  {word.text}", flush=True)
    if not said:
        print(f"no speech found in {path.name}", file=sys.stderr)
    return 0


def vad(args: argparse.Namespace) -> int:
    """Print the start and end second of every utterance in an audio file, as they are found.

    The file is decoded in blocks, so memory stays flat however long it is.
    """
    from engine.media.vad import SpeechEnd, SpeechSegmenter, make_detector
    from engine.speech.long_audio import audio_duration, decode_blocks

    path = Path(args.file).expanduser()
    blocks = decode_blocks(path, sample_rate=16_000)
    first = next(blocks, None)  # an unreadable file fails here, before the detector loads
    detector = make_detector(args.engine)
    segmenter = SpeechSegmenter(detector)
    total = audio_duration(path)
    stage = f"finding speech in {path.name}"
    done = 0

    def show(events: list) -> None:  # type: ignore[type-arg]
        for event in events:
            if isinstance(event, SpeechEnd):
                print(f"{event.start_s:.3f}\t{event.end_s:.3f}", flush=True)

    for block in itertools.chain([first] if first is not None else [], blocks):
        show(segmenter.feed(block))
        done += block.size
        feedback.progress(stage, done / 16_000, total)
    show(segmenter.flush())
    if total is not None:
        feedback.progress(stage, total, total)
    return 0


def speak(args: argparse.Namespace) -> int:
    """Synthesise ``text`` into a WAV (or FLAC) file, written whole or not at all."""
    from engine.speech.tts import PiperVoice

    out = _wav_target(args.out)
    settings = load_settings()
    voice = PiperVoice(
        args.voice or settings.voices.assistant_voice, manager=_manager(settings), warm_up=False
    )
    rate = args.speed if args.speed is not None else settings.voices.speech_rate
    if rate != 1.0:
        voice = voice.with_rate(rate)
    audio = voice.synthesize(args.text, output_rate=args.sample_rate)
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(audio, -1.0, 1.0), args.sample_rate or voice.sample_rate, subtype="PCM_16",
             format=_SPEAK_FORMATS[out.suffix.lower()])
    try:
        # Written whole under a temporary name and renamed: a full disk leaves no empty or truncated WAV.
        write_bytes_atomic(out, buffer.getvalue())
    except OSError as exc:
        raise describe_os_error(exc, out) from exc
    print(out)
    return 0


def _wav_target(name: str) -> Path:
    """The ``-o`` path checked before anything is loaded: a .wav or .flac file name, not a folder."""
    out = Path(name).expanduser()
    if out.is_dir() or name.endswith(("/", "\\")):
        raise AudioFileError(
            f"{out} is a folder; speak writes one WAV file.", f"Give a file name, e.g. -o {out / 'speech.wav'}."
        )
    if out.suffix.lower() not in _SPEAK_FORMATS:
        raise AudioFileError(
            f"{out} does not end in .wav or .flac, the formats speak writes.", f"Use -o {out.with_suffix('.wav')}."
        )
    return out


_SPEAK_FORMATS = {".wav": "WAV", ".flac": "FLAC"}


def devices(args: argparse.Namespace) -> int:
    """List microphones, speakers and screens as Nexus sees them."""
    audio = system_info.audio_devices()
    for title, found in (("Audio inputs", audio.inputs), ("Audio outputs", audio.outputs)):
        print(f"{title}:")
        if audio.error:
            print(f"  {audio.error}")
        elif not found:
            print("  none")
        for device in found:
            default = device.is_default_input if title == "Audio inputs" else device.is_default_output
            channels = device.inputs if title == "Audio inputs" else device.outputs
            mark = " (default)" if default else ""
            print(
                f"  [{device.index}] {device.name}{mark}: {channels} ch, {device.default_samplerate:.0f} Hz"
            )
    display = system_info.displays()
    print(f"Screens ({display.display or 'no display'}):")
    if display.error:
        print(f"  {display.error}")
    elif not display.screens:
        print("  none")
    for screen in display.screens:
        print(f"  #{screen.index} {screen.width}x{screen.height} at ({screen.left}, {screen.top})")
    return 0


def _speed(value: str) -> float:
    speed = float(value)
    if not 0.25 <= speed <= 4.0:
        raise argparse.ArgumentTypeError("speed must be between 0.25 and 4.0")
    return speed


def _sample_rate(value: str) -> int:
    rate = int(value)
    if not 8000 <= rate <= 192_000:
        raise argparse.ArgumentTypeError("sample rate must be between 8000 and 192000 Hz")
    return rate


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``transcribe``, ``vad``, ``speak``, ``devices`` and ``look`` to the CLI."""
    parser = subparsers.add_parser("transcribe", help="print the text spoken in an audio file")
    parser.add_argument("file", help="audio or video file (WAV, FLAC, MP3, OGG, M4A, WebM …)")
    parser.add_argument("--model", help="Whisper registry key (whisper-small.en) or model folder")
    parser.add_argument("--language", help="language code such as 'en'; detected when omitted")
    parser.add_argument("--words", action="store_true", help="also print each word with its start and end")
    parser.set_defaults(func=transcribe)

    parser = subparsers.add_parser("vad", help="print where speech starts and ends in an audio file")
    parser.add_argument("file", help="audio or video file")
    parser.add_argument("--engine", choices=("webrtc", "silero"), default="silero")
    parser.set_defaults(func=vad)

    parser = subparsers.add_parser("speak", help="synthesise text into a WAV file")
    parser.add_argument("text", help="what to say")
    parser.add_argument("-o", "--out", required=True, help="WAV file to write")
    parser.add_argument("--voice", help="Piper registry key (piper-en_US-lessac-medium) or .onnx file")
    parser.add_argument("--speed", type=_speed, help="speech rate, 1.0 = the voice's normal speed")
    parser.add_argument(
        "--sample-rate", type=_sample_rate, help="resample to this rate (default: the voice's)"
    )
    parser.set_defaults(func=speak)

    parser = subparsers.add_parser("devices", help="list microphones, speakers and screens")
    parser.set_defaults(func=devices)
    look_cmd.register(subparsers)  # ``look``: what the engine sends for a screen
