"""Proactive comments: off by default; when on, a screen change during a silence starts a short turn."""

from __future__ import annotations

import time

import numpy as np

from engine.config import LiveSettings
from engine.live.session import PROACTIVE_PROMPT, LiveParts, LiveSession
from engine.live.states import LiveState
from engine.media.frame_ring import FrameRing
from engine.media.frames import Frame
from engine.omni.scripted import ScriptedEngine


def run_session(proactive: bool, seconds: float = 1.5) -> tuple[LiveSession, ScriptedEngine]:
    engine = ScriptedEngine(["That build failed on a missing import."])
    frames = FrameRing(8, 60.0)
    settings = LiveSettings(
        source="none", mode="text_only", mute_voice=True, proactive_comments=proactive, proactive_after_s=0.3
    )
    session = LiveSession(LiveParts(engine=engine, frames=frames), settings)
    session.start()
    try:
        frames.push(Frame(np.full((56, 56, 3), 40, np.uint8), time.monotonic(), "screen"))
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not (engine.turns and session.state == LiveState.LISTENING):
            time.sleep(0.02)
        time.sleep(0.5)  # no second comment while the screen stays the same
    finally:
        session.stop()
    return session, engine


def test_off_by_default_nothing_is_said() -> None:
    assert LiveSettings().proactive_comments is False
    _session, engine = run_session(proactive=False)
    assert engine.turns == []


def test_a_changed_screen_during_silence_gets_one_comment() -> None:
    session, engine = run_session(proactive=True)
    assert len(engine.turns) == 1
    turn = engine.turns[0]
    assert turn.user.text == PROACTIVE_PROMPT and turn.user.images
    assert [e.role for e in session.transcript] == ["user", "assistant"]
    assert session.transcript[0].text == "(screen changed)"
    assert session.transcript[1].text == "That build failed on a missing import."
