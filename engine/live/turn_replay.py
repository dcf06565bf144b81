"""Replay the Live turn policy over a recording, as if a user said it (``nexus-cli turns``).

The recording goes through the same voice-activity segmenter, end-of-turn
model, Whisper and ``turn_policy`` functions as a live session, in 10 ms
blocks of file time. A signal that takes time to compute (the model, Whisper)
becomes known at the pause plus the time it really took here, so the printed
times are what a session on this machine would do.

``while_speaking`` treats the recording as arriving while the assistant
talks: each stretch of speech pauses the answer and is then confirmed as an
interruption or dismissed (a backchannel, a noise).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from engine.live.turn_policy import (
    PauseSignals,
    TurnPolicyConfig,
    Verdict,
    classify_interruption,
    decide,
    policy_from_settings,
)
from engine.media.vad import SegmenterConfig, SpeechEnd, SpeechSegmenter, SpeechStart, make_detector
from engine.omni.turn import AUDIO_RATE

if TYPE_CHECKING:
    from engine.config import LiveSettings

BLOCK = 160  # 10 ms at 16 kHz, the microphone's block


@dataclass(frozen=True)
class TurnDecision:
    """One decision at ``at_s`` seconds of file time."""

    at_s: float
    kind: str
    """``turn_end``, ``interruption`` or ``resumed``."""
    reason: str
    start_s: float
    """Where the speech it is about began."""


@dataclass
class _Paused:
    start: int
    end: int
    paused_at: float
    probability: float | None = None
    probability_at: float = 0.0
    transcript: str | None = None
    transcript_at: float = 0.0


def _timed(work: Callable[[], object]) -> tuple[object, float]:
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


class TurnReplay:
    """Runs the turn policy over a 16 kHz recording and lists its decisions."""

    def __init__(
        self,
        segmenter: SpeechSegmenter,
        config: TurnPolicyConfig,
        probability: Callable[[np.ndarray], float] | None,
        transcribe: Callable[[np.ndarray], str] | None,
        fallback_ms: int = 600,
    ) -> None:
        self.segmenter = segmenter
        self.config = config
        self.probability = probability
        self.transcribe = transcribe
        self.fallback_ms = fallback_ms

    def turns(self, audio: np.ndarray) -> list[TurnDecision]:
        """Where the user's turns end in ``audio``, and why."""
        samples = self._with_tail(audio)
        decisions: list[TurnDecision] = []
        paused: _Paused | None = None
        start: int | None = None
        for offset in range(0, samples.size - BLOCK + 1, BLOCK):
            now = (offset + BLOCK) / AUDIO_RATE
            for event in self.segmenter.feed(samples[offset : offset + BLOCK]):
                if isinstance(event, SpeechStart):
                    paused = None  # the user goes on: the same turn
                    if start is None:
                        start = event.start_sample
                elif isinstance(event, SpeechEnd):
                    if start is None:
                        start = event.start_sample
                    paused = self._pause(samples, max(0, start - self._pre_roll()), event.end_sample, now)
            if paused is not None:
                decision = self._decide(paused, now)
                if decision.verdict == Verdict.END:
                    decisions.append(TurnDecision(now, "turn_end", decision.reason, paused.start / AUDIO_RATE))
                    paused, start = None, None
        return decisions

    def interruptions(self, audio: np.ndarray) -> list[TurnDecision]:
        """How each stretch of speech in ``audio`` would be taken while the assistant talks."""
        samples = self._with_tail(audio)
        decisions: list[TurnDecision] = []
        onset: float | None = None
        decided = False  # the speech in progress was already taken as an interruption
        silenced_until = -1.0  # after an interruption the assistant is quiet: the user's turn goes on
        for offset in range(0, samples.size - BLOCK + 1, BLOCK):
            now = (offset + BLOCK) / AUDIO_RATE
            for event in self.segmenter.feed(samples[offset : offset + BLOCK]):
                if isinstance(event, SpeechStart):
                    onset, decided = event.start_s, event.start_s < silenced_until
                elif isinstance(event, SpeechEnd) and onset is not None:
                    if not decided:
                        decisions.append(self._classify(event, onset))
                        decided = decisions[-1].kind == "interruption"
                    if decided:
                        silenced_until = event.end_s + self.config.max_wait_ms / 1000
                    onset = None
            if onset is not None and not decided and (now - onset) * 1000 >= self.config.long_interruption_ms:
                reason = f"speech went on for {self.config.long_interruption_ms} ms"
                decisions.append(TurnDecision(now, "interruption", reason, onset))
                decided = True
        return decisions

    # ------------------------------------------------------------------------------------------
    def _with_tail(self, audio: np.ndarray) -> np.ndarray:
        tail = np.zeros(int((self.config.max_wait_ms / 1000 + 1.0) * AUDIO_RATE), np.float32)
        return np.concatenate([np.asarray(audio, dtype=np.float32).reshape(-1), tail])

    def _pre_roll(self) -> int:
        return int(self.segmenter.config.pre_roll_ms * AUDIO_RATE / 1000)

    def _pause(self, samples: np.ndarray, start: int, end: int, now: float) -> _Paused:
        post_roll = int(self.segmenter.config.post_roll_ms * AUDIO_RATE / 1000)
        utterance = samples[start : end + post_roll]
        paused = _Paused(start, end, now)
        # The session runs the model and Whisper side by side from the pause, on separate threads.
        if self.probability is not None:
            probability, took = _timed(lambda: self.probability(utterance))  # type: ignore[misc]
            paused.probability, paused.probability_at = float(probability), now + took  # type: ignore[arg-type]
        if self.transcribe is not None:
            text, took = _timed(lambda: self.transcribe(utterance))  # type: ignore[misc]
            paused.transcript, paused.transcript_at = str(text), now + took
        return paused

    def _decide(self, paused: _Paused, now: float) -> object:
        silence_ms = (now - paused.paused_at) * 1000
        probability = paused.probability if now >= paused.probability_at and paused.probability is not None else None
        if self.probability is None and silence_ms >= self.fallback_ms:
            probability = 1.0
        transcript = paused.transcript if paused.transcript is not None and now >= paused.transcript_at else None
        pending = paused.transcript is not None and transcript is None
        return decide(PauseSignals(silence_ms, probability, transcript, pending), self.config)

    def _classify(self, event: SpeechEnd, onset: float) -> TurnDecision:
        speech_ms = (event.end_s - event.start_s) * 1000
        first = classify_interruption(speech_ms, None, self.config)
        ended = event.detected_sample / AUDIO_RATE
        if first.verdict == Verdict.END or self.transcribe is None:
            kind = "interruption" if first.verdict == Verdict.END else "resumed"
            return TurnDecision(ended, kind, first.reason if kind == "interruption" else "no words to check", onset)
        text, took = _timed(lambda: self.transcribe(event.audio))  # type: ignore[misc]
        decision = classify_interruption(speech_ms, str(text), self.config)
        kind = "interruption" if decision.verdict == Verdict.END else "resumed"
        return TurnDecision(ended + took, kind, decision.reason, onset)


def replay_for(
    settings: LiveSettings,
    probability: Callable[[np.ndarray], float] | None,
    transcribe: Callable[[np.ndarray], str] | None,
) -> TurnReplay:
    """A replay with the segmenter and policy a Live session with ``settings`` uses."""
    segmenter = SpeechSegmenter(make_detector(settings.vad_engine), SegmenterConfig(end_ms=settings.end_of_turn_ms))
    return TurnReplay(segmenter, policy_from_settings(settings), probability, transcribe,
                      fallback_ms=settings.end_of_turn_fallback_ms)
