"""Joining an episode on real devices: playback on the PulseAudio null sink, a question typed or spoken."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from engine.media.player import Player
from engine.podcast.builder import host_voices
from engine.podcast.episode import EpisodeStore, EpisodeTurn, load_episode
from engine.podcast.formats import EpisodeSpec
from engine.podcast.scripted import ScriptedHosts
from engine.podcast.session import PodcastSession, open_voice_join
from tests.conftest import needs_pulse
from tests.podcast_fixtures import host_voice_pair, make_episode
from tests.pulse_routes import say_into_mic, speaker_and_mic
from tests.speech_fixtures import load_transcriber, padded_speech, synthesize_16k

pytestmark = [pytest.mark.slow, pytest.mark.devices, needs_pulse]

QUESTION = "What happens to solar panels when the weather is cold?"


@dataclass
class Heard:
    """What the player announced, with times."""

    turns: list[tuple[float, EpisodeTurn]] = field(default_factory=list)
    sentences: list[tuple[float, int, int]] = field(default_factory=list)
    states: list[tuple[float, str]] = field(default_factory=list)
    joins: list[tuple[float, str]] = field(default_factory=list)

    def kinds(self) -> list[str]:
        return [turn.kind for _, turn in self.turns]


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def podcast(tmp_path: Path) -> Iterator[Callable[..., tuple[PodcastSession, Heard]]]:
    routes = ExitStack()
    sessions: list[PodcastSession] = []

    def start(voice_join: bool) -> tuple[PodcastSession, Heard]:
        routes.enter_context(speaker_and_mic(echo=False))
        spec = EpisodeSpec("deep-dive", "short", minutes=1.0)
        episode = make_episode(tmp_path, spec, synthesize_all=False)
        a, b = host_voice_pair()
        player = Player(sample_rate=16_000)
        voice = open_voice_join(player, echo="off") if voice_join else None
        session = PodcastSession(episode, EpisodeStore(tmp_path / "episodes"), host_voices(spec, a, b), ScriptedHosts(),
                                 player, asr=load_transcriber(), voice=voice, voice_join=voice_join)
        heard = Heard()
        session.player.turn_started.connect(lambda turn: heard.turns.append((time.monotonic(), turn)))
        session.player.sentence_started.connect(lambda turn, i: heard.sentences.append((time.monotonic(), turn.id, i)))
        session.player.state_changed.connect(lambda state: heard.states.append((time.monotonic(), state)))
        session.join_state_changed.connect(lambda state: heard.joins.append((time.monotonic(), state)))
        sessions.append(session)
        session.start()
        return session, heard

    with routes:
        yield start
        for session in sessions:
            session.close()


def test_typed_question_pauses_answers_and_resumes_at_the_paused_turn(podcast) -> None:  # type: ignore[no-untyped-def]
    session, heard = podcast(voice_join=False)
    wait_for(lambda: len(heard.turns) >= 2, 30, "two script turns")
    session.ask(QUESTION)
    wait_for(lambda: any(s == "paused" for _, s in heard.states), 20, "the pause at the end of the sentence")
    paused_at = session.player.position
    wait_for(lambda: "bridge" in heard.kinds(), 60, "the answers and the bridge")
    wait_for(lambda: heard.kinds()[-1] == "script", 30, "the episode to resume")
    kinds = heard.kinds()
    first_answer = kinds.index("answer")
    assert kinds[first_answer:].count("answer") >= 1 and kinds[-2] == "bridge"
    resumed = heard.turns[-1][1]
    # The script continues with the sentence after the pause: a new turn, or the rest of the paused one.
    assert session.episode.turns.index(resumed) == paused_at.turn or any(
        turn_id == session.episode.turns[paused_at.turn].id and i == paused_at.sentence
        for _, turn_id, i in heard.sentences[-3:]
    )
    saved = load_episode(session.episode.folder)
    [interaction] = saved.interactions
    assert interaction.via == "text" and interaction.question.text == QUESTION
    assert [a.kind for a in interaction.answers][-1] == "bridge" and len(interaction.answers) >= 2
    assert any("cold" in a.text for a in interaction.answers)  # grounded in the sections about cold weather
    timeline = [t.kind for t in saved.timeline()]
    assert timeline.index("question") > 0 and timeline.count("script") == len(saved.turns)


def test_spoken_question_stops_playback_at_once_is_transcribed_and_answered(podcast) -> None:  # type: ignore[no-untyped-def]
    session, heard = podcast(voice_join=True)
    wait_for(lambda: len(heard.turns) >= 2, 30, "two script turns")
    speech = padded_speech(synthesize_16k(QUESTION), lead_s=0.2, tail_s=0.8)
    said_at = time.monotonic()
    say_into_mic(speech, wait=False)
    wait_for(lambda: any(s == "paused" and t > said_at for t, s in heard.states), 10, "playback to stop")
    stopped_after = next(t for t, s in heard.states if s == "paused" and t > said_at) - said_at - 0.2
    assert stopped_after < 1.0, f"playback stopped {stopped_after:.2f} s after the question began"
    cut = session.player.position
    wait_for(lambda: "bridge" in heard.kinds(), 90, "the answers and the bridge")
    wait_for(lambda: heard.kinds()[-1] == "script", 30, "the episode to resume")
    # The sentence that was cut is replayed from its start.
    assert any(turn_id == session.episode.turns[cut.turn].id and i == cut.sentence
               for t, turn_id, i in heard.sentences if t > said_at + 1)
    [interaction] = load_episode(session.episode.folder).interactions
    assert interaction.via == "voice" and "solar" in interaction.question.text.lower()
    assert interaction.question.audio and interaction.question.duration_s > 1.0
    states = [s for _, s in heard.joins]
    assert states.index("listening") < states.index("transcribing") < states.index("answering")


def test_cli_play_speaks_the_remaining_turns_and_ends(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from cli.main import main
    from tests.speech_fixtures import piper_voice_onnx

    episode = make_episode(tmp_path, EpisodeSpec("brief", "short"))
    voice = str(piper_voice_onnx())
    last = len(episode.turns) - 2
    with speaker_and_mic():
        code = main(["podcast", "play", str(episode.folder), "--from-turn", str(last), "--no-input",
                     "--scripted-hosts", "--voice-a", voice, "--voice-b", voice])
    printed = capsys.readouterr().out
    assert code == 0
    assert [line.split(": ", 1)[1] for line in printed.splitlines() if ": " in line] == [
        turn.text for turn in episode.turns[last:]
    ]
