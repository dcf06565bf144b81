"""The Live turn policy: its rules, the real end-of-turn model, and replays of spoken recordings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from engine.config import LiveSettings
from engine.live.smart_turn import SmartTurn
from engine.live.turn_policy import (
    PauseSignals,
    TurnPolicyConfig,
    Verdict,
    classify_interruption,
    decide,
    is_backchannel,
    sounds_unfinished,
)
from engine.live.turn_replay import replay_for
from tests.speech_fixtures import synthesize_16k, whisper_tiny_dir

CONFIG = TurnPolicyConfig()
ROOT = Path(__file__).resolve().parents[1]


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(16_000 * seconds), np.float32)


def test_the_words_so_far_say_when_a_sentence_goes_on() -> None:
    for unfinished in ("I was looking at the code and", "because,", "so the first thing is the",
                       "I was looking at the screen in.", "and then I opened the", "the error is"):
        assert sounds_unfinished(unfinished), unfinished
    for finished in ("What is the weather like today?", "Open the settings.", "what is it?", "Thanks."):
        assert not sounds_unfinished(finished), finished


def test_backchannels_are_told_from_interruptions() -> None:
    for feedback in ("Yeah.", "okay, okay", "Mm-hm.", "Right.", "Sure", "I see.", "Thank you."):
        assert is_backchannel(feedback), feedback
    for request in ("Stop.", "Wait, what was that?", "No, the second window.", "Yeah but why?"):
        assert not is_backchannel(request), request


def test_decide_weighs_the_model_the_words_and_the_silence() -> None:
    assert decide(PauseSignals(210, 0.93), CONFIG).verdict == Verdict.END
    assert decide(PauseSignals(210, 0.93, transcript_pending=True), CONFIG).verdict == Verdict.WAIT
    assert decide(PauseSignals(700, 0.93, transcript_pending=True), CONFIG).verdict == Verdict.END
    assert decide(PauseSignals(300, 0.93, "Can you read the"), CONFIG).verdict == Verdict.WAIT
    assert decide(PauseSignals(210, None), CONFIG).verdict == Verdict.WAIT
    assert decide(PauseSignals(210, 0.3), CONFIG).verdict == Verdict.WAIT
    assert decide(PauseSignals(900, 0.3), CONFIG).verdict == Verdict.END
    assert decide(PauseSignals(900, 0.05), CONFIG).verdict == Verdict.WAIT
    assert decide(PauseSignals(900, 0.05, "Open the settings window."), CONFIG).verdict == Verdict.END
    assert decide(PauseSignals(1500, 0.3, "I looked at the screen and"), CONFIG).verdict == Verdict.WAIT
    assert decide(PauseSignals(2600, 0.01, "I looked at the screen and"), CONFIG).verdict == Verdict.END


def test_speech_over_the_answer_interrupts_only_when_it_means_it() -> None:
    assert classify_interruption(1600, None, CONFIG).verdict == Verdict.END
    assert classify_interruption(400, None, CONFIG).verdict == Verdict.WAIT
    assert classify_interruption(400, "Yeah.", CONFIG).verdict == Verdict.WAIT
    assert classify_interruption(300, "", CONFIG).verdict == Verdict.WAIT
    assert classify_interruption(500, "Stop.", CONFIG).verdict == Verdict.END
    assert classify_interruption(450, "in the make-hand.", CONFIG).verdict == Verdict.WAIT, "a misheard 'mm-hm'"


@pytest.fixture(scope="module")
def smart_turn() -> SmartTurn:
    return SmartTurn()


def test_the_end_of_turn_model_hears_a_finished_question_and_an_unfinished_clause(smart_turn: SmartTurn) -> None:
    finished = smart_turn.probability(synthesize_16k("What is the weather like in the city today?"))
    unfinished = smart_turn.probability(synthesize_16k("I was wondering whether you could tell me about the"))
    assert finished >= CONFIG.complete_at > unfinished


@pytest.fixture(scope="module")
def replay(smart_turn: SmartTurn):  # type: ignore[no-untyped-def]
    from engine.speech.asr import WhisperTranscriber

    asr = WhisperTranscriber(str(whisper_tiny_dir()), "cpu", "int8")
    return lambda: replay_for(LiveSettings(), smart_turn.probability, lambda audio: asr.transcribe(audio).text)


def test_a_sentence_with_a_long_pause_in_it_is_one_turn(replay) -> None:  # type: ignore[no-untyped-def]
    audio = np.concatenate([silence(0.3), synthesize_16k("I was looking at the code on my screen and"), silence(1.0),
                            synthesize_16k("I wonder why the build keeps failing."), silence(0.5)])
    [turn] = replay().turns(audio)
    assert turn.start_s < 0.5


def test_two_questions_with_a_long_silence_are_two_turns(replay) -> None:  # type: ignore[no-untyped-def]
    audio = np.concatenate([silence(0.3), synthesize_16k("Open the settings window."), silence(3.0),
                            synthesize_16k("What is the weather like today?"), silence(0.5)])
    turns = replay().turns(audio)
    assert len(turns) == 2 and all("end-of-turn model" in t.reason for t in turns), turns


def test_backchannels_over_the_answer_are_dismissed_and_a_request_is_not(replay) -> None:  # type: ignore[no-untyped-def]
    audio = np.concatenate([silence(0.3), synthesize_16k("Yeah."), silence(1.5), synthesize_16k("Okay."), silence(1.5),
                            synthesize_16k("Stop, tell me about the second window instead."), silence(1.0)])
    decisions = replay().interruptions(audio)
    assert [d.kind for d in decisions] == ["resumed", "resumed", "interruption"], decisions
    assert "backchannel" in decisions[0].reason and "backchannel" in decisions[1].reason


def test_nexus_cli_turns_prints_the_decisions(tmp_path: Path) -> None:
    wav = tmp_path / "question.wav"
    sf.write(wav, np.concatenate([silence(0.3), synthesize_16k("Open the settings window."), silence(0.5)]), 16_000)
    result = subprocess.run([sys.executable, "-m", "cli", "turns", str(wav), "--whisper", str(whisper_tiny_dir())],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "turn ends" in result.stdout and "1 decision(s)" in result.stdout
    spoken = subprocess.run([sys.executable, "-m", "cli", "turns", str(wav), "--while-speaking", "--no-whisper"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert spoken.returncode == 0 and "interruption confirmed" in spoken.stdout, spoken.stdout + spoken.stderr
