"""Podcast episodes: the whole pipeline to audio at the asked length, the library, export, the tiny model."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
import soundfile as sf

from engine.omni.local import GenerationSettings, LocalEngine
from engine.podcast.builder import EpisodeBuilder, host_voices
from engine.podcast.episode import EpisodeError, EpisodeStore, Interaction, EpisodeTurn, load_episode, load_sources
from engine.podcast.export import ExportError, export_episode
from engine.podcast.formats import EpisodeSpec
from engine.podcast.outline import NotesCache
from engine.podcast.sources import load_source
from engine.podcast.writer import ScriptGenerationError
from tests.podcast_fixtures import host_voice_pair, make_episode, write_solar_markdown


@pytest.mark.parametrize("spec", [EpisodeSpec("brief", "short"), EpisodeSpec("deep-dive", "short", minutes=1.5)])
def test_episode_spoken_length_is_within_a_quarter_of_the_preset(tmp_path: Path, spec: EpisodeSpec) -> None:
    episode = make_episode(tmp_path, spec)
    spoken = sum(turn.duration_s for turn in episode.turns)
    target = spec.target_minutes() * 60
    assert 0.75 * target <= spoken <= 1.25 * target, (spoken, target, episode.notes)
    assert episode.status == "ready" and episode.chapters and episode.chapters[0].first_turn == 0
    assert {turn.speaker for turn in episode.turns} == ({"Alex"} if spec.format == "brief" else {"Alex", "Sam"})
    refs = {ref for info in episode.sources for ref in info.refs}
    assert all(turn.refs and set(turn.refs) <= refs for turn in episode.turns)
    assert all(turn.sentences and turn.sentences[-1].end_s <= turn.duration_s for turn in episode.turns)
    again = load_episode(episode.folder)
    assert again.turns == episode.turns and again.title == episode.title
    assert [s.sections for s in load_sources(again)] == [load_source(tmp_path / "solar.md").sections]


def test_library_lists_and_deletes_episodes(tmp_path: Path) -> None:
    episode = make_episode(tmp_path, EpisodeSpec("brief", "short"), synthesize_all=False)
    store = EpisodeStore(tmp_path / "episodes")
    (store.root / "not-an-episode").mkdir()
    [summary] = store.list()
    assert summary.id == episode.id and summary.turns == len(episode.turns) and summary.status == "ready"
    store.delete(episode.id)
    assert store.list() == []
    with pytest.raises(EpisodeError, match="No episode"):
        store.delete(episode.id)
    with pytest.raises(EpisodeError, match="not an episode folder"):
        load_episode(tmp_path)


def test_export_wav_and_mp3_decode_with_the_duration_of_the_turns(tmp_path: Path) -> None:
    episode = make_episode(tmp_path, EpisodeSpec("deep-dive", "short", minutes=0.75))
    store = EpisodeStore(tmp_path / "episodes")
    # A typed interaction is part of what was heard; its answers are synthesised like any turn.
    a, b = host_voice_pair()
    from engine.podcast.synthesis import TurnSynthesizer

    question = EpisodeTurn(episode.next_turn_id(), "Listener", "What about winter?", [], 0, "question")
    answer = EpisodeTurn(question.id + 1, "Sam", "In winter the panels still work, just a little less.", [], 0, "answer")
    episode.interactions.append(Interaction(0, 1, 0, "text", question, [answer]))
    synth = TurnSynthesizer(episode, host_voices(EpisodeSpec(), a, b))
    synth.schedule(answer)
    assert synth.wait(answer, 30)
    synth.close()
    store.save(episode)
    result = export_episode(episode, tmp_path / "out")
    expected = sum(turn.duration_s for turn in episode.turns) + answer.duration_s
    wav = sf.info(result.wav)
    assert abs(wav.duration - expected) < 0.01 and wav.samplerate == episode.sample_rate
    mp3_audio, mp3_rate = sf.read(result.mp3)
    assert abs(len(mp3_audio) / mp3_rate - expected) < 0.15 and abs(mp3_audio).max() > 0.05
    transcript = result.transcript.read_text()
    assert "## " + episode.chapters[0].title in transcript and "**Listener** (joined): What about winter?" in transcript
    assert transcript.index("What about winter?") > transcript.index(episode.turns[1].text)
    chapters = result.chapters.read_text()
    assert chapters.startswith(";FFMETADATA1") and chapters.count("[CHAPTER]") == len(episode.chapters)


def test_export_of_an_unsynthesised_episode_says_what_to_do(tmp_path: Path) -> None:
    episode = make_episode(tmp_path, EpisodeSpec("brief", "short"), synthesize_all=False)
    with pytest.raises(ExportError, match="has no audio yet"):
        export_episode(episode, tmp_path / "out")


@pytest.mark.slow
def test_tiny_random_model_ends_in_a_clear_bounded_failure_or_a_script(tmp_path: Path, tiny_loaded) -> None:  # type: ignore[no-untyped-def]
    source = load_source(write_solar_markdown(tmp_path / "solar.md"))
    a, b = host_voice_pair()
    spec = EpisodeSpec("brief", "short")
    engine = LocalEngine(tiny_loaded, GenerationSettings(temperature=0.0))
    builder = EpisodeBuilder(engine, EpisodeStore(tmp_path / "episodes"), NotesCache(tmp_path / "notes"),
                             host_voices(spec, a, b), attempts=2)
    started = time.monotonic()
    try:
        episode = builder.build([source], spec)
    except ScriptGenerationError as exc:
        assert "after 2 attempts" in exc.message
        assert builder.episode is not None and load_episode(builder.episode.folder).status == "failed"
    else:
        assert episode.turns and all(turn.text.strip() for turn in episode.turns)
    assert time.monotonic() - started < 240


def test_cli_make_writes_an_episode_folder_and_reports_bad_sources(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from cli.main import main
    from tests.speech_fixtures import piper_voice_onnx

    doc = write_solar_markdown(tmp_path / "solar.md")
    voice = str(piper_voice_onnx())
    out = tmp_path / "ep"
    code = main(["podcast", "make", str(doc), "--format", "brief", "--length", "short", "-o", str(out),
                 "--voice-a", voice, "--voice-b", voice, "--scripted-hosts"])
    printed = capsys.readouterr().out
    assert code == 0 and "turns in 1 chapters" in printed and f"saved in {out}" in printed
    episode = load_episode(out)
    assert episode.status == "ready" and all(episode.audio_path(t).is_file() for t in episode.turns)
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7 not really")
    code = main(["podcast", "make", str(tmp_path / "broken.pdf"), "--scripted-hosts", "--voice-a", voice])
    assert code != 0 and "broken.pdf" in capsys.readouterr().err


def _make_command(doc: Path, out: Path, minutes: str = "1") -> list[str]:
    import sys

    from tests.speech_fixtures import piper_voice_onnx

    voice = str(piper_voice_onnx())
    return [sys.executable, "-m", "cli", "podcast", "make", str(doc), "--format", "deep-dive", "--minutes", minutes,
            "-o", str(out), "--voice-a", voice, "--voice-b", voice, "--scripted-hosts"]


def test_a_killed_make_leaves_a_failed_episode_with_what_was_kept_and_a_rerun_replaces_it(tmp_path: Path) -> None:
    import signal
    import subprocess

    root = Path(__file__).resolve().parents[1]
    doc = write_solar_markdown(tmp_path / "solar.md")
    out = tmp_path / "library" / "ep"
    process = subprocess.Popen(_make_command(doc, out, "3"), cwd=root, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len(list((out / "audio").glob("*.wav"))) < 3:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert list((out / "audio").glob("*.wav")), "killed while synthesising"

    store = EpisodeStore(out.parent)
    [summary] = store.list()
    assert summary.status == "failed"
    episode = load_episode(out)
    assert "interrupted" in episode.notes[-1] and "kept" in episode.notes[-1]
    linked = {turn.audio for turn in episode.turns if turn.audio}
    assert {f"audio/{wav.name}" for wav in (out / "audio").glob("*")} == linked, "no unlinked audio is left"

    result = subprocess.run(_make_command(doc, out), cwd=root, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert load_episode(out).status == "ready"


def test_one_damaged_episode_is_named_and_the_rest_of_the_library_stays(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from cli.main import main

    store = EpisodeStore(tmp_path / "episodes")
    good = store.create("Good", {})
    good.status = "ready"
    good.writer = None
    store.save(good)
    broken = tmp_path / "episodes" / "broken"
    broken.mkdir()
    (broken / "episode.json").write_bytes(b"\xff\xfe not utf-8 \x00")
    wrong = tmp_path / "episodes" / "wrong-types"
    wrong.mkdir()
    (wrong / "episode.json").write_text('{"id": 1, "title": "x", "created": "", "spec": {}, "turns": [3]}')
    assert [s.title for s in store.list()] == ["Good"]
    assert {d.folder.name for d in store.damaged} == {"broken", "wrong-types"}
    assert all("damaged" in d.reason for d in store.damaged)
    for folder in (broken, wrong):
        assert main(["podcast", "play", str(folder), "--no-input", "--scripted-hosts"]) == 2
        err = capsys.readouterr().err
        assert "is damaged" in err and "Traceback" not in err


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("mount"), reason="mounts a small tmpfs (root only)")
def test_make_on_a_full_disk_says_so_and_leaves_no_episode_marked_writing(tmp_path: Path) -> None:
    import subprocess

    root = Path(__file__).resolve().parents[1]
    disk = tmp_path / "small"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)]).returncode != 0:
        pytest.skip("tmpfs cannot be mounted here")
    try:
        doc = write_solar_markdown(tmp_path / "solar.md")
        result = subprocess.run(_make_command(doc, disk / "ep"), cwd=root, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 2, result.stderr
        assert "disk is full" in result.stderr and "Traceback" not in result.stderr
        if (disk / "ep" / "episode.json").exists():
            assert load_episode(disk / "ep").status == "failed"
    finally:
        subprocess.run(["umount", str(disk)])
