"""The Live conversation's transition table refuses impossible moves."""

from __future__ import annotations

import pytest

from engine.live.states import TRANSITIONS, ImpossibleTransition, LiveState, check_transition


def test_every_state_can_stop_and_only_listed_moves_are_allowed() -> None:
    for state in LiveState:
        if state != LiveState.IDLE:
            check_transition(state, LiveState.IDLE)
    check_transition(LiveState.SPEAKING, LiveState.INTERRUPTED)
    check_transition(LiveState.INTERRUPTED, LiveState.SPEAKING)
    with pytest.raises(ImpossibleTransition, match="idle to speaking"):
        check_transition(LiveState.IDLE, LiveState.SPEAKING)
    with pytest.raises(ImpossibleTransition):
        check_transition(LiveState.LISTENING, LiveState.INTERRUPTED)
    assert set(TRANSITIONS) == set(LiveState)
