"""When has the user finished speaking, and does speech over the answer mean "stop"?

A short voice-activity pause (``pause_ms``, about 200 ms) only asks the
question; three signals answer it (after pipecat's smart-turn and LiveKit's
turn detector):

* the acoustic end-of-turn model (``SmartTurn``): the probability that the
  words so far, as spoken, end a turn;
* what the transcript so far says, when it is known: a trailing comma,
  "and", "because", "the"… means the sentence is not over;
* how long the silence has lasted: a turn always ends ``max_wait_ms`` after
  the pause, whatever the model thinks.

Over the assistant's answer, speech first pauses playback at once; it is an
interruption only if it lasts ``long_interruption_ms`` or its words are more
than a backchannel ("yeah", "okay", "mm-hm", "right"). Noises and
backchannels resume the answer where it paused.

Everything here is pure: the Live session feeds it measured signals on its
control thread, and ``nexus-cli turns`` feeds it the same signals computed
from a file, so both make the same decisions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.config import LiveSettings

_WORDS = re.compile(r"[a-z0-9']+(?:-[a-z0-9']+)*")

# A sentence that ends on one of these is still going, even when Whisper put a full stop after it
# (it often does, and often mishears the last short word as another one of these).
JOINING_WORDS = frozenset(
    "and but or so because if when while then that which who whose where the a an to of with for in on at "
    "from by about as than um uh er like my your our their".split()
)
# These end a sentence only without a full stop ("what is it?" is finished, "the error is" is not).
OPEN_ENDINGS = frozenset("is are was were be i we you they he she it this these those can could would should will not".split())

# Listener feedback, plus "thank you"/"you": Whisper's usual words for a noise or a trace of echo.
BACKCHANNELS = frozenset(
    "yeah yes yep yup ok okay mm mhm mm-hm mmhm hm hmm uh-huh right sure alright cool nice great fine "
    "i see got it oh ah exactly indeed true thank thanks you".split()
)


# People say at most about four words a second; more in a short sound means Whisper misheard a noise.
MAX_WORDS_PER_S = 4.0


class Verdict(str, Enum):
    """What the policy says about a paused utterance."""

    END = "end"
    WAIT = "wait"


@dataclass(frozen=True)
class TurnPolicyConfig:
    """Thresholds of the turn policy; milliseconds and probabilities.

    Defaults measured with ``bench/live.py --turns`` on Piper sentences with
    mid-sentence pauses of 0.6–1.2 s and on complete sentences.
    """

    pause_ms: int = 200
    complete_at: float = 0.5
    """At or above this end-of-turn probability the turn ends at once."""
    unsure_at: float = 0.15
    """Between this and ``complete_at`` the turn ends after ``unsure_wait_ms`` of silence."""
    unsure_wait_ms: int = 800
    max_wait_ms: int = 2500
    words_wait_ms: int = 450
    """A confident model still waits this long (from the pause) for the words so far, if they are coming."""
    continue_window_ms: int = 1500
    """Speech this soon after a turn ended continues that turn (the cut answer is dropped)."""
    long_interruption_ms: int = 1500
    """Speech over the answer at least this long interrupts whatever it says."""
    resume_after_ms: int = 400
    """Speech over the answer that is not an interruption: the answer resumes after this much quiet."""


def policy_from_settings(settings: LiveSettings) -> TurnPolicyConfig:
    """The turn policy the Live settings describe."""
    return TurnPolicyConfig(
        pause_ms=settings.end_of_turn_ms,
        complete_at=settings.turn_complete_at,
        unsure_at=settings.turn_unsure_at,
        unsure_wait_ms=settings.turn_unsure_wait_ms,
        max_wait_ms=settings.turn_max_wait_ms,
        continue_window_ms=settings.continue_window_ms,
        long_interruption_ms=settings.confirm_interrupt_ms,
        resume_after_ms=settings.false_start_resume_ms,
    )


@dataclass(frozen=True)
class PauseSignals:
    """What is known about an utterance while its speaker is silent."""

    silence_ms: float
    probability: float | None = None
    """The end-of-turn model's answer, once it has run."""
    transcript: str | None = None
    """The words so far, once transcribed."""
    transcript_pending: bool = False
    """A transcript was asked for and has not come yet: an unsure model waits for it."""


@dataclass(frozen=True)
class Decision:
    """A verdict and the signal that decided it (shown by ``nexus-cli turns`` and logged)."""

    verdict: Verdict
    reason: str


def words(text: str) -> list[str]:
    """Lower-case words of ``text`` (hyphenated ones kept whole)."""
    return _WORDS.findall(text.lower())


def sounds_unfinished(transcript: str) -> bool:
    """Whether the words so far stop mid-sentence: a trailing comma, dash, ellipsis or a joining word."""
    text = transcript.strip()
    if not text:
        return False
    if text.endswith((",", "-", "–", "—", "...", "…", ":", ";")):
        return True
    said = words(text)
    if not said:
        return False
    if said[-1] in JOINING_WORDS and not text.endswith("?"):
        return True
    return said[-1] in OPEN_ENDINGS and not text.endswith((".", "?", "!"))


def sounds_finished(transcript: str) -> bool:
    """Whether the words so far end like a sentence."""
    text = transcript.strip()
    return bool(words(text)) and text.endswith((".", "?", "!")) and not sounds_unfinished(text)


def is_backchannel(transcript: str) -> bool:
    """Whether ``transcript`` is only listener feedback ("yeah", "okay, okay", "mm-hm", "right")."""
    said = words(transcript)
    if not said or len(said) > 3:
        return False
    joined = " ".join(said)
    return joined in BACKCHANNELS or all(word in BACKCHANNELS for word in said)


def decide(signals: PauseSignals, config: TurnPolicyConfig) -> Decision:
    """Whether a paused utterance is a finished turn yet."""
    p, text, silence = signals.probability, signals.transcript, signals.silence_ms
    if silence >= config.max_wait_ms:
        return Decision(Verdict.END, f"silence reached {config.max_wait_ms} ms")
    if text is not None and sounds_unfinished(text):
        return Decision(Verdict.WAIT, "the sentence is unfinished")
    if p is None:
        return Decision(Verdict.WAIT, "waiting for the end-of-turn model")
    if p >= config.complete_at:
        if signals.transcript_pending and silence < config.pause_ms + config.words_wait_ms:
            return Decision(Verdict.WAIT, f"end-of-turn model p={p:.2f}, waiting briefly for the words")
        return Decision(Verdict.END, f"end-of-turn model p={p:.2f}")
    if signals.transcript_pending:
        return Decision(Verdict.WAIT, f"end-of-turn model p={p:.2f}, waiting for the words")
    sure_enough = p >= config.unsure_at or (text is not None and sounds_finished(text))
    if sure_enough and silence >= config.unsure_wait_ms:
        why = f"p={p:.2f}" + (", the sentence is finished" if text and sounds_finished(text) else "")
        return Decision(Verdict.END, f"{why} after {config.unsure_wait_ms} ms of silence")
    return Decision(Verdict.WAIT, f"end-of-turn model p={p:.2f}")


def classify_interruption(speech_ms: float, transcript: str | None, config: TurnPolicyConfig) -> Decision:
    """Speech over the answer: ``END`` means "it is an interruption", ``WAIT`` means "resume the answer".

    Long speech interrupts whatever it says; shorter speech interrupts only when
    its words are known and are more than a backchannel.
    """
    if speech_ms >= config.long_interruption_ms:
        return Decision(Verdict.END, f"speech lasted {speech_ms:.0f} ms")
    if transcript is None:
        return Decision(Verdict.WAIT, "waiting for the words")
    said = words(transcript)
    if not said:
        return Decision(Verdict.WAIT, "no words (a noise)")
    if is_backchannel(transcript):
        return Decision(Verdict.WAIT, f"backchannel {transcript.strip()!r}")
    if len(said) > max(1.0, speech_ms / 1000 * MAX_WORDS_PER_S):
        return Decision(Verdict.WAIT, f"{transcript.strip()!r} is too many words for {speech_ms:.0f} ms (misheard)")
    return Decision(Verdict.END, f"words: {transcript.strip()!r}")
