"""``nexus-cli ask`` and ``nexus-cli engine info``: the model (in this process or on a server) from the terminal."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from cli.engine_loading import load_engine
from engine.config import load_settings
from engine.errors import NexusError


def _load_engine(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    return load_engine(
        load_settings(), args.model, args.device, args.max_new_tokens, args.server, args.server_model
    )


def _read_image(path: str) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    except (OSError, UnidentifiedImageError) as exc:
        raise NexusError(f"The image {path} cannot be read: {exc}.", "Use a PNG or JPEG file.") from exc


def _read_audio(path: str) -> np.ndarray:
    """Any file PyAV (FFmpeg) decodes, as 16 kHz mono float32."""
    from faster_whisper.audio import decode_audio

    if not Path(path).is_file():
        raise NexusError(f"The audio file {path} does not exist.", "Check the path.")
    try:
        return np.asarray(decode_audio(path, sampling_rate=16_000), dtype=np.float32)
    except Exception as exc:  # PyAV raises its own error classes for undecodable input
        raise NexusError(f"The audio file {path} cannot be decoded: {exc}.", "Use a WAV, FLAC, OGG or MP3 file.") from exc


def run_ask(args: argparse.Namespace) -> int:
    """Stream an answer to stdout, then print the turn's figures to stderr."""
    from engine.omni.turn import Turn, UserContent

    images = [_read_image(p) for p in args.image]
    audio = _read_audio(args.audio) if args.audio else None
    engine = _load_engine(args)
    for delta in engine.stream(Turn(UserContent(args.text, images=images, audio=audio))):
        sys.stdout.write(delta)
        sys.stdout.flush()
    stats = engine.last_stats
    print()
    print(
        f"[{stats.prompt_tokens} prompt tokens {stats.tokens_by_modality}, {stats.generated_tokens} generated, "
        f"first token {stats.time_to_first_token_s or 0:.2f}s, {stats.tokens_per_s:.1f} tok/s]",
        file=sys.stderr,
    )
    return 0


def run_info(args: argparse.Namespace) -> int:
    """Load the model (or connect to its server) and print what it is and where it runs."""
    from engine.speech.asr import plan_whisper_device

    engine = _load_engine(args)
    for key, value in engine.describe().items():
        print(f"{key:11s} {value}")
    voices = load_settings().voices
    whisper = plan_whisper_device(voices.whisper_device, voices.whisper_compute_type)
    print(f"{'whisper':11s} {whisper.device}, {whisper.compute_type} ({whisper.reason})")
    return 0


def _common(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--model", help="a thinker checkpoint folder (default: the one in Settings)")
    source.add_argument(
        "--server", metavar="URL", help="an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1 (llama-server, vLLM)"
    )
    parser.add_argument(
        "--server-model", metavar="NAME", help="the model the server should answer with (default: its first one)"
    )
    parser.add_argument("--device", choices=("auto", "cuda", "cpu"), help="override Settings → Model → Run on")
    parser.add_argument("--max-new-tokens", type=int, default=0, help="longest answer in tokens")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``ask`` and ``engine info``."""
    ask = subparsers.add_parser("ask", help="ask the model, with optional image and audio, and stream the answer")
    ask.add_argument("text")
    ask.add_argument("--image", action="append", default=[], help="an image file (repeatable)")
    ask.add_argument("--audio", help="an audio file the model listens to")
    _common(ask)
    ask.set_defaults(func=run_ask)
    engine = subparsers.add_parser("engine", help="the loaded model")
    engine_sub = engine.add_subparsers(dest="engine_command", metavar="COMMAND", required=True)
    info = engine_sub.add_parser("info", help="print the model, dtype, device and memory (or its server)")
    _common(info)
    info.set_defaults(func=run_info)
