"""Live end to end on the PulseAudio null sinks and Xvfb: real microphone, VAD, echo
cancellation, Whisper tiny.en, Piper and playback.

The first test answers with the tiny random thinker. The barge-in and echo
tests need an answer long enough to talk over, in English so that Piper speaks
it; the tiny model's random tokens are not, so they use ``ScriptedEngine``
(the model's content only: every other part is real).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import numpy as np
import pytest

from engine.config import LiveSettings
from engine.live.factory import build_live_parts
from engine.live.recorder import SessionRecorder, list_sessions
from engine.live.session import LiveSession
from engine.live.states import LiveState
from engine.omni.base import Engine
from engine.omni.scripted import ScriptedEngine
from tests.conftest import needs_display, needs_pulse
from tests.pulse_routes import say_into_mic, speaker_and_mic
from tests.speech_fixtures import piper_voice_onnx, synthesize_16k, wer, whisper_tiny_dir

pytestmark = [pytest.mark.slow, pytest.mark.devices, needs_pulse, needs_display]

QUESTION = "What is the weather like in the city today?"
SECOND = "Stop, tell me about the second window instead."
LONG_ANSWER = (
    "The weather in the city is mild today, with a light breeze from the west and a few clouds. "
    "In the morning it was cool, around twelve degrees, and it will warm up to about eighteen by the "
    "afternoon. There is a small chance of rain in the evening, so take an umbrella if you go out late. "
    "Tomorrow looks brighter, with sunshine for most of the day and almost no wind at all."
)
SHORT_ANSWER = "The second window shows a terminal with a failing build and a red error message."


class Recorder:
    """Collects a session's events with their times."""

    def __init__(self, session: LiveSession) -> None:
        self.states: list[tuple[float, LiveState]] = []
        self.interruptions: list[tuple[float, str, float]] = []
        self.turns: list = []
        self.errors: list[BaseException] = []
        session.error_occurred.connect(self.errors.append)
        session.state_changed.connect(lambda change: self.states.append((time.monotonic(), change.new)))
        session.interruption.connect(lambda kind, since: self.interruptions.append((time.monotonic(), kind, since)))
        session.turn_started.connect(self.turns.append)

    def kinds(self) -> list[str]:
        return [kind for _t, kind, _s in self.interruptions]

    def __str__(self) -> str:
        start = self.states[0][0] if self.states else 0.0
        states = ", ".join(f"{t - start:.2f}s {s.value}" for t, s in self.states)
        interruptions = ", ".join(f"{t - start:.2f}s {k}" for t, k, _s in self.interruptions)
        return f"states: {states}; interruptions: {interruptions}; errors: {self.errors}"


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def padded(audio: np.ndarray, lead_s: float = 0.3, tail_s: float = 0.6) -> np.ndarray:
    return np.concatenate([np.zeros(int(16_000 * lead_s), np.float32), audio, np.zeros(int(16_000 * tail_s), np.float32)])


@pytest.fixture
def live() -> Iterator[Callable[..., LiveSession]]:
    """Starts sessions on fresh speaker/mic sinks (with the echo path when asked); stops them after."""
    sessions: list[LiveSession] = []
    routes = ExitStack()

    def start(engine: Engine, echo: bool = False, recorder: SessionRecorder | None = None,
              **settings: object) -> LiveSession:
        routes.enter_context(speaker_and_mic(echo=echo, echo_volume="100%"))
        config = LiveSettings(source="screen:1", **settings)
        parts = build_live_parts(engine, config, whisper=whisper_tiny_dir(), voice=piper_voice_onnx())
        session = LiveSession(parts, config, recorder=recorder)
        sessions.append(session)
        session.start()
        assert parts.microphone is not None and parts.microphone.wait_until_running(10)
        time.sleep(1.0)  # let the echo canceller and the capture settle
        return session

    with routes:
        yield start
        for session in sessions:
            session.stop()


def test_spoken_question_is_heard_seen_and_answered_aloud(live, tiny_loaded) -> None:  # type: ignore[no-untyped-def]
    from engine.omni.local import GenerationSettings, LocalEngine

    engine = LocalEngine(tiny_loaded, GenerationSettings(max_new_tokens=24, min_new_tokens=24, temperature=0.0))
    session = live(engine)
    events = Recorder(session)
    say_into_mic(padded(synthesize_16k(QUESTION)))
    wait_for(lambda: len(session.history) >= 2 and session.state == LiveState.LISTENING, 60, "the answer")
    turn = events.turns[0]
    assert turn.user.images and turn.user.images[0].ndim == 3, "the engine must see the screen"
    assert turn.user.audio is not None and 1.5 < turn.user.audio.size / 16_000 < 6, "and hear the utterance"
    assert engine.last_stats.tokens_by_modality["image"] > 0 and engine.last_stats.tokens_by_modality["audio"] > 0
    user = session.transcript[0]
    wait_for(lambda: user.final, 20, "the transcript")
    assert wer(QUESTION, user.text) <= 0.3, user.text
    assert session.history[0].role == "user" and session.history[0].text == user.text
    assert LiveState.SPEAKING in [s for _t, s in events.states]
    assert session.parts.player is not None and session.parts.player.position > 0, "the answer was played"


def test_barge_in_pauses_cancels_truncates_and_answers_the_new_question(live) -> None:  # type: ignore[no-untyped-def]
    engine = ScriptedEngine([LONG_ANSWER, SHORT_ANSWER], token_s=0.01)
    session = live(engine)
    events = Recorder(session)
    say_into_mic(padded(synthesize_16k(QUESTION)))
    wait_for(lambda: session.state == LiveState.SPEAKING, 30, "the answer to start")
    time.sleep(2.5)
    say_into_mic(padded(synthesize_16k(SECOND), lead_s=0.0))
    wait_for(lambda: len(session.history) >= 4 and session.state == LiveState.LISTENING, 60, "the second answer")
    assert events.kinds()[:2] == ["paused", "confirmed"]
    pause_after_onset = events.interruptions[0][2]
    assert pause_after_onset < 0.3, f"playback paused {pause_after_onset * 1000:.0f} ms after speech began"
    interrupted = session.history[1]
    assert interrupted.role == "assistant" and interrupted.interrupted
    assert 3 <= len(interrupted.text.split()) < len(LONG_ANSWER.split())
    assert LONG_ANSWER.startswith(interrupted.text.rstrip(". ")[: len(interrupted.text) // 2])
    assert engine.turns[1] is not None and len(engine.turns) == 2
    assert session.history[2].role == "user" and "window" in session.history[2].text.lower()
    assert session.history[3].text == SHORT_ANSWER
    assert session.transcript[1].interrupted


def test_stop_while_speaking_keeps_the_recorded_turn_and_what_was_heard(live, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    engine = ScriptedEngine([LONG_ANSWER], token_s=0.01)
    session = live(engine, recorder=SessionRecorder(tmp_path / "data"))
    say_into_mic(padded(synthesize_16k(QUESTION)))
    wait_for(lambda: session.state == LiveState.SPEAKING, 30, "the answer to start")
    time.sleep(2.0)
    session.stop()
    [recorded] = list_sessions(tmp_path / "data")
    [entry] = [json.loads(line) for line in (recorded.path / "transcript.jsonl").read_text().splitlines()]
    assert entry["interrupted"] and entry["audio"] and (recorded.path / entry["audio"]).is_file()
    heard = entry["assistant"]
    assert 2 <= len(heard.split()) < len(LONG_ANSWER.split()), heard
    assert wer(QUESTION, entry["user"]) <= 0.3, entry["user"]
    assert session.history[-1].role == "assistant" and session.history[-1].interrupted
    assert session.history[-1].text == heard


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(16_000 * seconds), np.float32)


def test_a_sentence_with_a_long_pause_is_one_turn(live) -> None:  # type: ignore[no-untyped-def]
    engine = ScriptedEngine([SHORT_ANSWER])
    session = live(engine)
    spoken = np.concatenate([synthesize_16k("I was looking at the code on my screen and"), silence(1.0),
                             synthesize_16k("I wonder why the build keeps failing.")])
    say_into_mic(padded(spoken))
    wait_for(lambda: len(session.history) >= 2 and session.state == LiveState.LISTENING, 60, "the answer")
    assert len(engine.turns) == 1, [t.user.audio.size / 16_000 for t in engine.turns]
    assert engine.turns[0].user.audio.size >= spoken.size - 16_000 // 4, "the turn holds both halves"
    user = session.transcript[0]
    wait_for(lambda: user.final, 20, "the transcript")
    assert "code" in user.text.lower() and "build" in user.text.lower(), user.text


def test_going_on_right_after_a_turn_ended_continues_that_turn(live) -> None:  # type: ignore[no-untyped-def]
    engine = ScriptedEngine([SHORT_ANSWER], token_s=0.05, first_token_s=0.3)
    session = live(engine)
    first, rest = synthesize_16k("Open the settings window."), synthesize_16k("and make the voice a bit calmer.")
    say_into_mic(padded(np.concatenate([first, silence(0.7), rest])))
    wait_for(lambda: len(session.history) >= 2 and session.state == LiveState.LISTENING, 60, "the answer")
    assert [m.role for m in session.history] == ["user", "assistant"], session.history
    assert session.history[1].text == SHORT_ANSWER and not session.history[1].interrupted
    assert engine.turns[-1].user.audio.size >= first.size + rest.size, "one audio clip for the whole turn"
    user = session.transcript[0]
    wait_for(lambda: user.final, 20, "the transcript")
    assert "settings" in user.text.lower() and "voice" in user.text.lower(), user.text
    shown = [entry for entry in session.transcript if not entry.dropped]
    assert [e.role for e in shown] == ["user", "assistant"], "a cut answer is not shown"


def test_yeah_over_the_answer_does_not_cancel_it(live) -> None:  # type: ignore[no-untyped-def]
    engine = ScriptedEngine([SHORT_ANSWER + " " + SHORT_ANSWER], token_s=0.01)
    session = live(engine)
    events = Recorder(session)
    say_into_mic(padded(synthesize_16k(QUESTION)))
    wait_for(lambda: session.state == LiveState.SPEAKING, 30, "the answer to start")
    time.sleep(2.5)  # the echo canceller has converged on the voice by then (as in the barge-in test)
    say_into_mic(padded(synthesize_16k("Yeah, yeah."), lead_s=0.0))
    wait_for(lambda: len(session.history) >= 2 and session.state == LiveState.LISTENING, 60, "the answer to end")
    # Echo cancellation often keeps a short sound over the answer from the detector altogether; when it does
    # reach it, the words check dismisses it. Either way nothing is cancelled (the policy's own decision on
    # "yeah" is tested on the recording in tests/test_turn_policy.py).
    assert events.kinds() in ([], ["paused", "resumed"]), str(events)
    assert not session.history[1].interrupted and session.history[1].text == SHORT_ANSWER + " " + SHORT_ANSWER
    assert len(engine.turns) == 1


def test_a_short_noise_burst_resumes_the_answer_without_losing_it(live) -> None:  # type: ignore[no-untyped-def]
    engine = ScriptedEngine([SHORT_ANSWER + " " + SHORT_ANSWER], token_s=0.01)
    session = live(engine, vad_engine="webrtc")
    events = Recorder(session)
    say_into_mic(padded(synthesize_16k(QUESTION)))
    wait_for(lambda: session.state == LiveState.SPEAKING, 30, "the answer to start")
    time.sleep(1.0)
    n = 16_000 // 4
    burst = (0.5 * np.random.default_rng(0).standard_normal(n) * np.hanning(n)).astype(np.float32)
    say_into_mic(padded(burst, lead_s=0.0, tail_s=0.1))
    wait_for(lambda: len(session.history) >= 2 and session.state == LiveState.LISTENING, 60, "the answer to end")
    assert events.kinds() == ["paused", "resumed"]
    assert not session.history[1].interrupted
    assert session.history[1].text == SHORT_ANSWER + " " + SHORT_ANSWER
    assert len(engine.turns) == 1


def test_its_own_voice_never_interrupts_it_over_a_minute(live) -> None:  # type: ignore[no-untyped-def]
    engine = ScriptedEngine([LONG_ANSWER], token_s=0.01)
    session = live(engine, echo=True)  # the speaker comes back into the mic at full level, 40 ms later
    events = Recorder(session)
    started = time.monotonic()
    questions = 0
    while time.monotonic() - started < 60:
        say_into_mic(padded(synthesize_16k(QUESTION)))
        questions += 1
        wait_for(
            lambda: len(session.history) >= 2 * questions and session.state == LiveState.LISTENING,
            90,
            f"answer {questions} ({events}; history {[(m.role, m.text[:30]) for m in session.history]})",
        )
    played_s = session.parts.player.position / session.parts.player.sample_rate
    assert questions >= 2 and played_s > 40
    assert events.kinds() == [], f"self-interruptions: {events.interruptions}"
    assert not any(m.interrupted for m in session.history)
