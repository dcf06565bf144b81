"""Long inputs through the real CLI: hours-long audio with flat memory, and tens of megabytes of text.

``nexus-cli transcribe`` once held a whole 3-hour file (and Whisper's features
of all of it) in memory and turned its silence into "you" hundreds of times;
``nexus-cli podcast ingest`` joined wrapped lines in quadratic time. These
tests run the commands as subprocesses on generated files.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from engine.podcast.sources import load_source
from tests.speech_fixtures import RATE, synthesize_16k, wer, whisper_tiny_dir, words_of

ROOT = Path(__file__).resolve().parents[1]
SENTENCES = (
    "The river flows past the old stone mill every morning.",
    "Please bring the green umbrella when you visit the harbor.",
    "Our garden needs more water during the summer.",
)
# Where the sentences are spoken, as shares of the recording's length; the rest is faint hiss.
PLACES = (0.1, 0.5, 0.85)

# Runs the CLI in this process and writes its peak resident memory (ru_maxrss) to the file named by argv[1].
_MEASURED_CLI = """
import resource, sys
from cli.main import main
out, args = sys.argv[1], sys.argv[2:]
try:
    code = main(args)
finally:
    with open(out, "w") as handle:
        handle.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
sys.exit(code)
"""


def _write_mostly_silence(path: Path, minutes: float, speech: list[np.ndarray]) -> list[float]:
    """A 16 kHz WAV of hiss at about -60 dBFS with ``speech`` at PLACES; returns where each starts (s)."""
    total = int(minutes * 60 * RATE)
    starts = [int(total * share) for share in PLACES]
    rng = np.random.default_rng(0)
    with sf.SoundFile(path, "w", RATE, 1, subtype="PCM_16") as out:
        written = 0
        for start, utterance in zip([*starts, total], [*speech, None]):
            while written < start:
                count = min(10 * RATE, start - written)
                out.write((rng.standard_normal(count) * 0.001).astype(np.float32))
                written += count
            if utterance is not None:
                out.write(utterance)
                written += utterance.size
    return [start / RATE for start in starts]


def _transcribe_measured(path: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], int]:
    rss_file = tmp_path / f"{path.stem}.rss"
    result = subprocess.run(
        [sys.executable, "-c", _MEASURED_CLI, str(rss_file), "transcribe", str(path),
         "--model", str(whisper_tiny_dir()), "--words"],
        cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=500,
    )
    return result, int(rss_file.read_text()) * 1024  # ru_maxrss is in KiB on Linux


@pytest.fixture(scope="module")
def spoken() -> list[np.ndarray]:
    return [synthesize_16k(sentence) for sentence in SENTENCES]


@pytest.mark.slow
def test_transcribing_half_an_hour_of_mostly_silence_finds_the_words_invents_none_and_keeps_memory_flat(
    tmp_path: Path, spoken: list[np.ndarray]
) -> None:
    rss: dict[int, int] = {}
    for minutes in (5, 30):
        recording = tmp_path / f"{minutes}min.wav"
        starts = _write_mostly_silence(recording, minutes, spoken)
        result, rss[minutes] = _transcribe_measured(recording, tmp_path)
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
        lines = result.stdout.splitlines()
        texts = [line for line in lines if not line[:8].strip().replace(".", "").isdigit()]
        words = [line.split(None, 2) for line in lines if line not in texts]
        # Every line of text is one of the spoken sentences: nothing came out of the silence.
        assert len(texts) == len(SENTENCES), texts
        for text, sentence in zip(texts, SENTENCES):
            assert wer(sentence, text) <= 0.25, (text, sentence)
        assert not [t for t in texts if words_of(t) in (["you"], ["thank", "you"], ["thanks", "for", "watching"])]
        # Each recognised word lies within the sentence it belongs to, in the recording's own time.
        spans = [(start, start + utterance.size / RATE) for start, utterance in zip(starts, spoken)]
        for start_s, end_s, _word in words:
            assert any(lo - 1.0 <= float(start_s) <= float(end_s) <= hi + 1.0 for lo, hi in spans), (start_s, end_s)
        assert len(words) >= 25
    # Six times the audio, the same memory: the file is streamed, not loaded (a whole 30-minute file as
    # float32 alone would add 100 MB, and Whisper's features of it several hundred more).
    assert rss[30] - rss[5] < 150 * 2**20, rss


WORDS = (
    "signal model voice latency speech window audio frame token buffer river stone garden "
    "lantern harbor meadow copper violet thunder quiet market pencil"
).split()


def _wrapped_lines(rng: random.Random, count: int) -> list[str]:
    """Hard-wrapped prose lines; every tenth ends in a hyphenated "infor-" continued as "mation"."""
    lines = []
    for number in range(count):
        words = [rng.choice(WORDS) for _ in range(10)]
        if number % 10 == 9:
            words[-1] = "infor-"
        elif number % 10 == 0 and number:
            words[0] = "mation"
        lines.append(" ".join(words))
    return lines


@pytest.mark.timeout(180)
def test_twenty_megabytes_of_text_and_markdown_ingest_correctly(tmp_path: Path) -> None:
    rng = random.Random(7)
    # Plain text: 600 blank-line paragraphs of 40 wrapped lines (each one section, ~2.6 kB), and one paragraph
    # of 180,001 wrapped lines (~12 MB) with no blank line at all, the shape of many exported text files.
    # Joining the lines of that paragraph was quadratic: minutes for a few thousand lines.
    paragraphs = ["\n".join(_wrapped_lines(rng, 40)) for _ in range(600)]
    giant = "\n".join(_wrapped_lines(rng, 180_001))
    text_file = tmp_path / "book.txt"
    text_file.write_text("\n\n".join([*paragraphs[:300], giant, *paragraphs[300:]]) + "\n", encoding="utf-8")
    # Markdown: 20 # parts of 100 ## sections, each with three paragraphs of 19 wrapped lines (none ends hyphenated).
    markdown = []
    titles = []
    for part in range(20):
        markdown.append(f"# Part {part + 1}\n")
        for section in range(100):
            titles.append(f"Section {part + 1}.{section + 1}")
            markdown.append(f"## {titles[-1]} ##\n")
            markdown.extend("\n".join(_wrapped_lines(rng, 19)) + "\n" for _ in range(3))
    markdown_file = tmp_path / "notes.md"
    markdown_file.write_text("\n".join(markdown), encoding="utf-8")
    assert text_file.stat().st_size + markdown_file.stat().st_size > 20_000_000

    result = subprocess.run(
        [sys.executable, "-m", "cli", "podcast", "ingest", str(text_file), str(markdown_file)],
        cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=170,
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert f"  {len(paragraphs) + 1} sections," in result.stdout and f"  {len(titles)} sections," in result.stdout

    book = load_source(text_file)
    assert [section.ref for section in book.sections] == [f"¶ {n}" for n in range(1, len(paragraphs) + 2)]
    middle = book.sections[300].text
    assert len(middle) > 11_000_000 and "\n" not in middle
    # Every "infor-" at a line end is joined with the "mation" that starts the next line.
    assert middle.count("information") == 18_000 and "infor-" not in middle
    assert book.sections[0].text == " ".join(paragraphs[0].split("\n")).replace("infor- mation", "information")

    notes = load_source(markdown_file)
    assert notes.title == "Part 1"
    # A part heading with no text of its own makes no section; each ## heading makes one.
    assert [section.ref for section in notes.sections] == [f"§ {title}" for title in titles]
    assert all(section.text.count("\n\n") == 2 for section in notes.sections)
