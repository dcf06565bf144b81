"""``nexus-cli turns FILE``: the decisions the Live turn policy makes over a recording."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.config import load_settings


def run(args: argparse.Namespace) -> int:
    """Print each turn end (or, with --while-speaking, each interruption) with its time and reason."""
    from engine.live.smart_turn import SmartTurn
    from engine.live.turn_replay import replay_for
    from engine.speech.audio import load_audio

    settings = load_settings()
    live = settings.live
    audio, _rate = load_audio(Path(args.file), sample_rate=16_000)
    model = SmartTurn() if live.smart_turn and not args.no_model else None
    transcribe = None
    if not args.no_whisper:
        from engine.speech.asr import WhisperTranscriber

        asr = WhisperTranscriber(args.whisper or settings.voices.whisper_model, settings.voices.whisper_device,
                                 settings.voices.whisper_compute_type)
        transcribe = lambda samples: asr.transcribe(samples).text  # noqa: E731
    replay = replay_for(live, model.probability if model is not None else None, transcribe)
    if args.while_speaking:
        decisions = replay.interruptions(audio)
        for d in decisions:
            verdict = "confirmed" if d.kind == "interruption" else "dismissed"
            print(f"{d.at_s:7.2f} s  interruption {verdict:9s}  speech from {d.start_s:.2f} s: {d.reason}")
    else:
        decisions = replay.turns(audio)
        for d in decisions:
            print(f"{d.at_s:7.2f} s  turn ends  (speech from {d.start_s:.2f} s): {d.reason}")
    print(f"{len(decisions)} decision(s) over {audio.size / 16_000:.1f} s "
          f"(pause {live.end_of_turn_ms} ms, model {'on' if model else 'off'}, "
          f"Whisper {'on' if transcribe else 'off'})")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``turns``."""
    parser = subparsers.add_parser("turns", help="show where the Live turn policy ends turns in an audio file")
    parser.add_argument("file", help="audio file (WAV, FLAC, MP3, OGG …)")
    parser.add_argument("--while-speaking", action="store_true",
                        help="treat the file as speech over the assistant's answer: confirmed or dismissed")
    parser.add_argument("--whisper", help="Whisper model key or folder (default: Settings)")
    parser.add_argument("--no-whisper", action="store_true", help="decide without the transcript")
    parser.add_argument("--no-model", action="store_true", help="decide without the end-of-turn model")
    parser.set_defaults(func=run)
