"""``nexus-cli podcast ingest|make|play``: read sources, make an episode, listen to it (and join it)."""

from __future__ import annotations

import argparse
import errno
import sys
import threading
from pathlib import Path

from engine.config import Settings, load_settings
from engine.errors import NexusError
from engine.podcast.formats import FORMATS, EpisodeSpec
from engine.podcast.sources import DocumentUnreadable, Source, load_source, load_sources


def _print_source(source: Source) -> None:
    print(f"{source.title}  [{source.kind}]  sha256 {source.sha256[:12]}  {source.path_or_url}")
    width = max(len(section.ref) for section in source.sections)
    for section in source.sections:
        print(f"  {section.ref:<{width}}  {section.title}  ({section.chars:,} chars)")
    print(f"  {len(source.sections)} sections, {source.chars:,} chars")


def ingest(args: argparse.Namespace) -> int:
    """Print each source's sections; report unreadable ones on stderr and return 1 if any failed."""
    failed = 0
    for target in args.files:
        try:
            source = load_source(target, timeout_s=args.timeout)
        except DocumentUnreadable as exc:
            failed += 1
            print(f"error: {exc.message}", file=sys.stderr)
            if exc.hint:
                print(f"hint: {exc.hint}", file=sys.stderr)
            continue
        _print_source(source)
    if failed:
        print(f"{failed} of {len(args.files)} sources could not be read", file=sys.stderr)
    return 1 if failed else 0


def _voices(settings: Settings, spec: EpisodeSpec, voice_a: str | None, voice_b: str | None) -> dict:
    from engine.podcast.builder import host_voices
    from engine.speech.tts import PiperVoice, VoiceStyle

    v = settings.voices
    first = PiperVoice(voice_a or v.host_a_voice, VoiceStyle(speaker_id=v.host_a_speaker))
    second_key = voice_b or v.host_b_voice
    second = (
        first.with_style(speaker_id=v.host_b_speaker)
        if str(second_key) == str(voice_a or v.host_a_voice)
        else PiperVoice(second_key, VoiceStyle(speaker_id=v.host_b_speaker))
    )
    return host_voices(spec, first.with_rate(v.speech_rate), second.with_rate(v.speech_rate))


def _store(settings: Settings):  # type: ignore[no-untyped-def]
    from engine.podcast.episode import EpisodeStore

    return EpisodeStore(settings.folders.resolved_data_dir() / "episodes")


def episode_write_error(exc: OSError, folder: Path | None) -> NexusError:
    """One sentence and a next step for a file-system failure while an episode was written."""
    where = folder or "the episode library"
    if exc.errno == errno.ENOSPC:
        return NexusError(f"The disk is full: the episode in {where} could not be written.",
                          "Free some space and run the command again; the unfinished episode is marked failed "
                          "and a new run replaces it.")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return NexusError(f"{where} cannot be written ({exc.strerror}).",
                          "Choose another folder with -o, or change the library folder in Settings → Folders.")
    return NexusError(f"The episode in {where} could not be written: {exc.strerror or exc}.",
                      "Check the folder and run the command again.")


def make(args: argparse.Namespace) -> int:
    """Make an episode from the sources and save it (with every turn's audio) in the library or ``-o``."""
    from cli.engine_loading import load_engine
    from engine.paths import cache_dir
    from engine.podcast.builder import EpisodeBuilder
    from engine.podcast.outline import NotesCache
    from engine.podcast.scripted import ScriptedHosts

    settings = load_settings()
    spec = EpisodeSpec(args.format, args.length, args.language, args.steer or "", args.minutes)
    spec.target_minutes()  # a bad length fails here, before anything is loaded
    sources = load_sources(args.files, timeout_s=args.timeout)
    for source in sources:
        print(f"read {source.title}: {len(source.sections)} sections, {source.chars:,} chars", file=sys.stderr)
    engine = ScriptedHosts() if args.scripted_hosts else load_engine(settings, args.model, args.device)
    voices = _voices(settings, spec, args.voice_a, args.voice_b)
    last = [""]

    def progress(stage: str, done: int, total: int) -> None:
        line = f"{stage} {done}/{total}"
        if line != last[0]:
            last[0] = line
            print(f"  {line}", file=sys.stderr, flush=True)

    builder = EpisodeBuilder(engine, _store(settings), NotesCache(cache_dir() / "podcast-notes"), voices,
                             model_key=getattr(engine, "describe", lambda: {})().get("model", "model"),
                             progress=progress)
    folder = Path(args.output).expanduser().resolve() if args.output else None
    try:
        episode = builder.build(sources, spec, folder=folder, synthesize_all=True)
    except OSError as exc:
        raise episode_write_error(exc, builder.episode.folder if builder.episode else folder) from exc
    seconds = sum(turn.duration_s for turn in episode.turns)
    print(f"{episode.title}: {len(episode.turns)} turns in {len(episode.chapters)} chapters, "
          f"{seconds / 60:.1f} min (asked {spec.target_minutes():g} min)")
    for note in episode.notes:
        print(f"  {note}")
    print(f"saved in {episode.folder}")
    return 0


def play(args: argparse.Namespace) -> int:
    """Play an episode; typed lines are questions to the hosts; with --voice-join, just talk."""
    from cli.engine_loading import load_engine
    from engine.media.player import Player
    from engine.omni.turn import AUDIO_RATE
    from engine.podcast.episode import load_episode
    from engine.podcast.scripted import ScriptedHosts
    from engine.podcast.session import PodcastSession, open_voice_join

    settings = load_settings()
    episode = load_episode(Path(args.episode).expanduser())
    spec = EpisodeSpec(**{k: v for k, v in episode.spec.items() if k in EpisodeSpec.__dataclass_fields__})
    voices = _voices(settings, spec, args.voice_a, args.voice_b)
    asr = None
    if args.voice_join:
        from engine.speech.asr import WhisperTranscriber

        asr = WhisperTranscriber(
            args.whisper or settings.voices.whisper_model,
            settings.voices.whisper_device,
            settings.voices.whisper_compute_type,
        )
    engine = ScriptedHosts() if args.scripted_hosts else load_engine(settings, args.model, args.device)
    player = Player(settings.audio.output_device, sample_rate=AUDIO_RATE)
    voice = (open_voice_join(player, input_device=settings.audio.input_device, vad_engine=settings.live.vad_engine,
                             echo=settings.live.echo) if args.voice_join else None)
    session = PodcastSession(episode, _store(settings), voices, engine, player, asr=asr, voice=voice,
                             voice_join=args.voice_join, speed=args.speed)
    done = threading.Event()
    session.player.turn_started.connect(lambda turn: print(f"{turn.speaker}: {turn.text}", flush=True))
    session.player.state_changed.connect(lambda state: done.set() if state == "finished" else None)
    session.join_state_changed.connect(lambda state: print(f"  ({state})", file=sys.stderr, flush=True))
    session.error_occurred.connect(lambda exc: print(f"error: {exc}", file=sys.stderr, flush=True))
    session.start(args.from_turn)
    print("Playing; type a question and press Enter to join. Ctrl-C to stop.", file=sys.stderr)
    try:
        if args.no_input:
            done.wait()
        else:
            for line in sys.stdin:
                session.ask(line)
            done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        session.close()
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``podcast`` and its ``ingest`` action to the CLI."""
    parser = subparsers.add_parser("podcast", help="prepare podcast episodes from documents and web pages")
    actions = parser.add_subparsers(dest="podcast_action", metavar="ACTION", required=True)
    ingest_parser = actions.add_parser(
        "ingest",
        help="read sources and print their sections with references and sizes",
        description="Read PDF, DOCX, Markdown, text and HTML files or http(s) pages and list their sections.",
    )
    ingest_parser.add_argument("files", nargs="+", metavar="FILE", help="a file path or an http(s) address")
    ingest_parser.add_argument(
        "--timeout", type=float, default=15.0, metavar="SECONDS", help="how long to wait for a web page"
    )
    ingest_parser.set_defaults(func=ingest)

    make_parser = actions.add_parser(
        "make", help="make an episode from documents", description="Make a podcast episode from sources."
    )
    make_parser.add_argument("files", nargs="+", metavar="FILE", help="a file path or an http(s) address")
    make_parser.add_argument("--format", choices=list(FORMATS), default="deep-dive")
    make_parser.add_argument("--length", choices=("short", "default", "long"), default="default")
    make_parser.add_argument("--minutes", type=float, help="an exact length instead of the preset")
    make_parser.add_argument("--language", default="English")
    make_parser.add_argument("--steer", help="what to focus on, in your words")
    make_parser.add_argument("-o", "--output", metavar="FOLDER", help="episode folder (default: the library)")
    make_parser.add_argument("--timeout", type=float, default=15.0, metavar="SECONDS", help=argparse.SUPPRESS)
    make_parser.set_defaults(func=make)
    play_parser = actions.add_parser("play", help="listen to an episode and join it", description=play.__doc__)
    play_parser.add_argument("episode", metavar="FOLDER", help="an episode folder")
    play_parser.add_argument("--voice-join", action="store_true", help="join by talking (uses the microphone)")
    play_parser.add_argument("--whisper", help="Whisper model key or folder")
    play_parser.add_argument("--speed", type=float, default=1.0)
    play_parser.add_argument("--from-turn", type=int, default=None, metavar="N")
    play_parser.add_argument("--no-input", action="store_true", help="do not read questions from stdin")
    play_parser.set_defaults(func=play)
    for sub in (make_parser, play_parser):
        sub.add_argument("--model", help="a thinker checkpoint folder (default: Settings)")
        sub.add_argument("--device", choices=("auto", "cuda", "cpu"))
        sub.add_argument("--voice-a", help="Piper voice key or .onnx file for the first host")
        sub.add_argument("--voice-b", help="Piper voice key or .onnx file for the second host")
        # Writes JSON from the sources' own sentences instead of the model: for tests and benches.
        sub.add_argument("--scripted-hosts", action="store_true", help=argparse.SUPPRESS)
