"""Turn-taking figures of the Live turn policy on spoken sentences (``nexus-cli turns`` logic).

Three sets, spoken by Piper (the test voice) at 16 kHz:

* *paused*: whole sentences with a hesitation inside: each is synthesised in
  one piece with a comma where the speaker hesitates (so the voice keeps the
  rising, unfinished intonation of a clause that goes on) and that pause is
  stretched to 0.6–1.2 s of silence: one turn each is right, a turn end
  inside is a cut-off;
* *complete*: whole sentences and questions: the figure is the end-of-turn
  delay, from the true end of speech (last sample above -40 dBFS) to the decision;
* *backchannels* ("yeah", "okay", "mm-hm", "right", "thank you") replayed as if
  spoken over the answer: any confirmed interruption is a cancelled answer.

Decisions use the real Smart Turn model and Whisper tiny.en on this machine:
their compute time is part of each delay. Prints counts, medians and p95.

    .venv/bin/python bench/turns.py [--no-whisper] [--no-model]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from engine.config import LiveSettings  # noqa: E402
from engine.live.smart_turn import SmartTurn  # noqa: E402
from engine.live.turn_replay import replay_for  # noqa: E402
from tests.speech_fixtures import synthesize_16k, whisper_tiny_dir  # noqa: E402

PAUSED = [
    ("I was looking at the code on my screen and", "I wonder why the build keeps failing."),
    ("Could you tell me,", "what this error message actually means?"),
    ("So the first thing I want to do is", "open the settings and change the voice."),
    ("When I click on the", "blue button nothing happens at all."),
    ("I think the problem is that", "the test runs before the server starts."),
    ("Can you read the", "second paragraph on the page for me?"),
    ("My plan for today is to", "finish the report and send it to the team."),
    ("If the numbers in this table", "are right, why is the total so low?"),
    ("The meeting notes say that", "we ship on Friday after testing."),
    ("What do you think about", "the colours of this chart?"),
]
COMPLETE = [
    "What is the weather like in the city today?",
    "Open the settings window.",
    "Why does this test fail?",
    "Can you summarise the article on my screen?",
    "Please read me the first line of the error.",
    "How many rows are in this table?",
    "That looks right to me.",
    "What does this function return?",
    "Tell me a short joke.",
    "Where is the save button?",
]
BACKCHANNELS = ["Yeah.", "Okay.", "Mm-hm.", "Right.", "Thank you.", "Sure.", "Yes, yes.", "Okay, okay."]


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(16_000 * seconds), np.float32)


def with_hesitation(first: str, rest: str, pause_s: float) -> np.ndarray:
    """``first, rest`` spoken in one piece, its pause at the comma stretched to ``pause_s`` of silence."""
    audio = synthesize_16k(f"{first.rstrip(',')}, {rest}")
    frame = 320  # 20 ms
    loud = np.array([np.abs(audio[i : i + frame]).max() > 0.01 for i in range(0, audio.size - frame, frame)])
    spoken = np.nonzero(loud)[0]
    quiet_runs, start = [], None
    for index in range(spoken[0], spoken[-1] + 1):
        if not loud[index] and start is None:
            start = index
        elif loud[index] and start is not None:
            quiet_runs.append((start, index))
            start = None
    expected = len(first) / (len(first) + len(rest)) * (spoken[-1] - spoken[0]) + spoken[0]
    begin, end = min(quiet_runs, key=lambda run: abs((run[0] + run[1]) / 2 - expected))
    return np.concatenate([audio[: begin * frame], silence(pause_s), audio[end * frame :]])


def speech_end_s(audio: np.ndarray) -> float:
    """The last sample louder than -40 dBFS, in seconds."""
    loud = np.nonzero(np.abs(audio) > 0.01)[0]
    return float(loud[-1] + 1) / 16_000 if loud.size else 0.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    """Run the three sets and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-whisper", action="store_true")
    parser.add_argument("--no-model", action="store_true")
    args = parser.parse_args()
    settings = LiveSettings()
    model = None if args.no_model else SmartTurn()
    transcribe = None
    if not args.no_whisper:
        from engine.speech.asr import WhisperTranscriber

        asr = WhisperTranscriber(str(whisper_tiny_dir()), "cpu", "int8")
        transcribe = lambda audio: asr.transcribe(audio).text  # noqa: E731

    def replay():  # type: ignore[no-untyped-def]
        return replay_for(settings, model.probability if model else None, transcribe)

    rng = random.Random(7)
    cut_offs = 0
    pauses = []
    for first, rest in PAUSED:
        pause = rng.uniform(0.6, 1.2)
        pauses.append(pause)
        audio = np.concatenate([silence(0.3), with_hesitation(first, rest, pause), silence(0.3)])
        turns = replay().turns(audio)
        if len(turns) != 1:
            cut_offs += 1
            print(f"  cut-off: {first!r} … {rest!r} (pause {pause:.2f} s): {[(t.at_s, t.reason) for t in turns]}")
    delays = []
    for sentence in COMPLETE:
        spoken = np.concatenate([silence(0.3), synthesize_16k(sentence)])
        audio = np.concatenate([spoken, silence(0.3)])
        turns = replay().turns(audio)
        if turns:
            delays.append((turns[0].at_s - speech_end_s(spoken)) * 1000)
            print(f"  {delays[-1]:5.0f} ms  {sentence!r}: {turns[0].reason}")
    cancelled = 0
    for word in BACKCHANNELS:
        audio = np.concatenate([silence(0.3), synthesize_16k(word), silence(0.5)])
        confirmed = [d for d in replay().interruptions(audio) if d.kind == "interruption"]
        for decision in confirmed:
            print(f"  cancelled by {word!r}: {decision.reason}")
        cancelled += len(confirmed)
    print(f"turn policy: pause {settings.end_of_turn_ms} ms, model {'on' if model else 'off'}, "
          f"Whisper {'on' if transcribe else 'off'}; machine: {sys.platform}, 2-core CPU shared with other work")
    print(f"sentences with a 0.6–1.2 s pause inside (n={len(PAUSED)}): {cut_offs} cut off "
          f"({cut_offs / len(PAUSED):.0%}); pauses {min(pauses):.2f}–{max(pauses):.2f} s")
    print(f"complete sentences (n={len(delays)}): true end of speech → turn end decided: "
          f"median {statistics.median(delays):.0f} ms, p95 {pct(delays, 0.95):.0f} ms")
    print(f"backchannels over the answer (n={len(BACKCHANNELS)}): {cancelled} cancelled answers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
