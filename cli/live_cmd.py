"""``nexus-cli live --no-gui``: the Live conversation in a terminal, printing the transcript."""

from __future__ import annotations

import argparse
import sys
import threading

from cli.engine_loading import load_engine
from engine.config import load_settings
from engine.errors import NexusError


def run(args: argparse.Namespace) -> int:
    """Run a Live session; typed lines are sent as text turns.

    With ``--text-only`` (or no microphone) the session ends once the input ends
    and the last answer is finished; otherwise it listens until Ctrl-C.
    """
    from engine.live.factory import build_live_parts
    from engine.live.recorder import SessionRecorder
    from engine.live.session import LiveSession
    from engine.live.states import LiveState

    if not args.no_gui:
        raise NexusError("The terminal loop needs --no-gui.", "Run `nexus` for the window, or add --no-gui.")
    settings = load_settings()
    live = settings.live.model_copy(update={"mute_voice": args.mute or settings.live.mute_voice})
    if args.screen is not None:
        live.source = f"screen:{args.screen}"
    elif args.camera is not None:
        live.source = f"camera:{args.camera}"
    if args.text_only:
        live.mode = "text_only"
    parts = build_live_parts(
        load_engine(settings, args.model, args.device),
        live,
        whisper=args.whisper or settings.voices.whisper_model,
        voice=None if live.mute_voice else (args.voice or settings.voices.assistant_voice),
        input_device=settings.audio.input_device,
        output_device=settings.audio.output_device,
        speech_rate=settings.voices.speech_rate,
        whisper_device=settings.voices.whisper_device,
        whisper_compute_type=settings.voices.whisper_compute_type,
    )
    if parts.asr is not None and parts.asr.device_note:
        print(parts.asr.device_note, file=sys.stderr)
    recorder = SessionRecorder(settings.folders.resolved_data_dir()) if args.record else None
    session = LiveSession(parts, live, recorder=recorder)
    printed: dict[int, str] = {}

    def show(entry) -> None:  # type: ignore[no-untyped-def]
        text = entry.shown_text()
        if entry.final and printed.get(entry.id) != text and text:
            printed[entry.id] = text
            mark = " [interrupted]" if entry.interrupted else ""
            who = "you" if entry.role == "user" else "nexus"
            print(f"{who:>5}: {text}{mark}", flush=True)

    # Set while no answer is in progress: the next piped line, or the end of input, waits for it.
    answered = threading.Event()
    answered.set()

    def on_state(change) -> None:  # type: ignore[no-untyped-def]
        print(f"  ({change.new.value})", file=sys.stderr, flush=True)
        if change.new == LiveState.LISTENING:
            answered.set()

    session.transcript_updated.connect(show)
    session.state_changed.connect(on_state)
    session.error_occurred.connect(lambda exc: print(f"error: {exc}", file=sys.stderr, flush=True))
    session.start()
    print(f"Live on {live.source}; speak, or type a line and press Enter. Ctrl-C to stop.", file=sys.stderr)
    # Typed at a terminal, a line interrupts the answer in progress; piped lines are asked one after the other.
    piped = not sys.stdin.isatty()
    # Without a microphone the input is the whole conversation: its end is the end of the session.
    text_only = live.mode == "text_only" or parts.microphone is None
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            if piped:
                answered.wait()
            answered.clear()
            session.submit_text(line)
        if args.wait_after_input:
            threading.Event().wait(args.wait_after_input)
        elif text_only:
            answered.wait()
        else:
            threading.Event().wait()  # still listening: Ctrl-C ends it
    except KeyboardInterrupt:
        pass
    finally:
        session.stop()
        if recorder is not None:
            print(f"session saved in {recorder.path}", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``live``."""
    parser = subparsers.add_parser("live", help="talk with Nexus about your screen in the terminal")
    parser.add_argument("--no-gui", action="store_true", help="run in this terminal (required)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--screen", nargs="?", const=1, type=int, help="share monitor N (default 1)")
    source.add_argument("--camera", type=int, help="use camera N")
    parser.add_argument("--text-only", action="store_true", help="no microphone; type your questions")
    parser.add_argument("--mute", action="store_true", help="text answers only")
    parser.add_argument("--record", action="store_true", help="save the session in the data folder")
    parser.add_argument("--model", help="a thinker checkpoint folder (default: Settings)")
    parser.add_argument("--device", choices=("auto", "cuda", "cpu"))
    parser.add_argument("--whisper", help="Whisper model key or folder")
    parser.add_argument("--voice", help="Piper voice key or .onnx file")
    parser.add_argument("--wait-after-input", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.set_defaults(func=run)
