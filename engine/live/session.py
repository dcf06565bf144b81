"""The Live conversation: listen, answer aloud, and yield the floor when the user talks.

All decisions happen on one control thread, fed by a queue (speech events from
the microphone thread, typed text, push-to-talk, finished jobs, and a 20 ms
tick), so the state machine needs no locks::

    idle → listening → user_speaking → thinking → speaking → listening
                                         ↑   speech starts │
                                         └── interrupted ←─┘

The end of a turn is decided by ``engine.live.turn_policy`` from several
signals: a short pause in the voice activity asks, the end-of-turn model
(``SmartTurn``), the words so far and the length of the silence answer. A user
who goes on talking within ``continue_window_ms`` of a turn's end, over the
first words of the answer, continues that turn: the fragment and the rest
become one user message with one audio clip, and the cut answer is dropped.

Barge-in (after LiveKit's false-interruption handling): when speech starts
while the assistant thinks or speaks, playback pauses at once (tentative).
If the speech lasts ``confirm_interrupt_ms`` or Whisper finds more than a
backchannel in it ("yeah", "okay", "mm-hm" are not interruptions), the
interruption is confirmed: generation is cancelled, queued audio dropped, and
history keeps only the words that were played; the speech becomes the start
of the user's next turn. A cough, a click or a backchannel resumes playback
where it paused, with nothing of the answer lost.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from psygnal import Signal

from engine.config import LiveSettings
from engine.live.answer import Answer, AnswerPipeline
from engine.live.listener import Listener
from engine.live.recorder import SessionRecorder
from engine.live.smart_turn import SmartTurn
from engine.live.states import LiveState, StateChange, check_transition
from engine.live.transcript import TranscriptEntry
from engine.live.turn_policy import PauseSignals, Verdict, classify_interruption, decide, policy_from_settings, words
from engine.media.capture import CaptureSource
from engine.media.frame_ring import FrameRing
from engine.media.microphone import Microphone
from engine.media.player import Player
from engine.media.vad import SpeechEnd, SpeechEvent, SpeechStart
from engine.omni.base import Engine
from engine.omni.turn import AUDIO_RATE, Message, Turn, UserContent, VideoClip
from engine.speech.asr import WhisperTranscriber
from engine.speech.tts import PiperVoice

log = logging.getLogger(__name__)

TICK_S = 0.02
PROACTIVE_PROMPT = (
    "The screen changed while I was quiet. If something on it is worth a brief, helpful remark, "
    "make it in one sentence; otherwise say nothing important."
)


@dataclass
class LiveParts:
    """The components a session drives; any of them may be absent (text-only, muted, no capture)."""

    engine: Engine
    frames: FrameRing
    asr: WhisperTranscriber | None = None
    voice: PiperVoice | None = None
    player: Player | None = None
    microphone: Microphone | None = None
    capture: CaptureSource | None = None
    listener: Listener | None = None
    turn_model: SmartTurn | None = None
    """The acoustic end-of-turn model; without it a turn ends after ``end_of_turn_ms`` of silence."""


@dataclass
class _PendingTurn:
    """A user utterance whose end is not decided yet; it may span several pauses."""

    start_sample: int | None = None
    """Stream sample where its audio begins (the pre-roll of its first speech)."""
    end_sample: int = 0
    paused_at: float | None = None
    """When the current pause began (``None`` while the user speaks)."""
    probability: float | None = None
    transcript: str | None = None
    transcribing: bool = False
    check: int = 0
    """Bumped at every pause and resumption, so a late answer about an earlier pause is ignored."""
    audio: np.ndarray | None = None
    """The utterance's audio when no listener ring holds it (events carry it)."""
    entry: TranscriptEntry | None = None
    """The user's transcript line, when this continues a turn that already has one."""


@dataclass
class _LastTurn:
    """The last voice turn, which the user may still continue."""

    turn_id: int
    start_sample: int
    ended_at: float
    message: Message
    entry: TranscriptEntry
    audio: np.ndarray


@dataclass
class _Interruption:
    """A tentative barge-in, waiting to be confirmed or dismissed."""

    since: float
    resume_state: LiveState
    speech_ended: bool = False
    speech_ms: float = 0.0
    """Speech heard over the answer in finished stretches (the one in progress is added when it ends)."""
    checking: int = 0
    """Word checks (Whisper) not answered yet; the answer does not resume on a timeout meanwhile."""
    start_sample: int | None = None
    """Where the first stretch of this speech begins: a confirmed interruption's turn starts there."""
    ended_at: float | None = None
    """When the last stretch of speech ended; the answer resumes only after a short quiet."""
    cleared: str = ""
    """Why the speech so far is not an interruption (a backchannel, a noise), once known."""


class LiveSession:
    """Runs one Live conversation over ``parts`` with ``settings``."""

    state_changed = Signal(object)
    """A ``StateChange``."""
    transcript_updated = Signal(object)
    """A ``TranscriptEntry`` that was added or changed (same ``id`` = same line)."""
    turn_started = Signal(object)
    """The ``Turn`` sent to the engine."""
    turn_finished = Signal(object)
    """The engine's ``TurnStats`` of a finished or interrupted answer."""
    interruption = Signal(str, float)
    """``("paused" | "confirmed" | "resumed", seconds since the speech began)``."""
    level_changed = Signal(float)
    """Microphone level 0–1."""
    error_occurred = Signal(object)
    """An exception worth showing (engine failure, device lost)."""

    def __init__(
        self,
        parts: LiveParts,
        settings: LiveSettings | None = None,
        *,
        system_prompt: str | None = None,
        recorder: SessionRecorder | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.parts = parts
        self.settings = settings or LiveSettings()
        self.system_prompt = system_prompt
        self.recorder = recorder
        self.clock = clock
        self.state = LiveState.IDLE
        self.history: list[Message] = []
        self.transcript: list[TranscriptEntry] = []
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._asr_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nexus-asr")
        self.pipeline = AnswerPipeline(
            parts.engine,
            None if self.settings.mute_voice else parts.voice,
            None if self.settings.mute_voice else parts.player,
            on_entry=self.transcript_updated.emit,
            on_error=self.error_occurred.emit,
            on_stats=self.turn_finished.emit,
        )
        self._answer: Answer | None = None
        self._interruption: _Interruption | None = None
        self._pending: _PendingTurn | None = None
        self._last_turn: _LastTurn | None = None
        self._user_speaking = False  # between a speech start and its end, by the voice-activity detector
        self._turn_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nexus-turn")
        self.policy = policy_from_settings(self.settings)
        self._speech_started_at: float | None = None
        self._ptt_start: int | None = None
        self._next_id = 0
        self._turn_id = 0
        self._last_activity = clock()
        self._frame_seen: float | None = None
        self._threads: list[threading.Thread] = []
        self._running = threading.Event()
        if parts.listener is not None:
            parts.listener.on_event = self._on_speech_event
        if parts.microphone is not None:
            parts.microphone.level_changed.connect(self.level_changed.emit)
            parts.microphone.error_occurred.connect(self.error_occurred.emit)

    # lifecycle --------------------------------------------------------------
    def start(self) -> None:
        """Open the devices and start listening; nothing is captured before this."""
        if self._running.is_set():
            return
        self._running.set()
        parts = self.parts
        # A new conversation: nothing cached from an earlier session may stand in for this one's screen.
        parts.engine.reset()
        if parts.player is not None and not self.settings.mute_voice:
            parts.player.start()
        if parts.capture is not None:
            parts.capture.set_fps(self.settings.fps_idle)
            parts.capture.start()
        if parts.microphone is not None and parts.listener is not None and self.settings.mode != "text_only":
            parts.listener.enabled = self.settings.mode == "hands_free"
            parts.microphone.block_ready.connect(parts.listener.on_block)
            parts.microphone.start()
        for target, name in ((self._control_loop, "nexus-live-control"), (self._synthesis_loop, "nexus-live-tts")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        self._set_state(LiveState.LISTENING, "started")

    def stop(self) -> None:
        """Stop answering and close the devices; the transcript and history stay."""
        if not self._running.is_set():
            return
        self._queue.put(("stop", None))
        self._running.clear()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        parts = self.parts
        answer = self._answer
        if answer is not None:
            self._halt_answer()
            self.pipeline.update_heard(answer)  # before the player closes: what was played is what was heard
        if parts.microphone is not None:
            parts.microphone.stop()
            if parts.listener is not None:
                parts.microphone.block_ready.disconnect(parts.listener.on_block)
        if parts.capture is not None:
            parts.capture.stop()
        if parts.player is not None:
            parts.player.close()
        self._turn_pool.shutdown(wait=True)
        self._asr_pool.shutdown(wait=True)  # the user's last words are transcribed before they are recorded
        if answer is not None:
            self._end_cut_answer(answer)
        if self.recorder is not None:
            self.recorder.close()
        self._set_state(LiveState.IDLE, "stopped")

    def _end_cut_answer(self, answer: Answer) -> None:
        """Stop cut this answer: history and the recording keep the user's turn and what was heard of it."""
        self._answer = None
        answer.entry.interrupted = True
        answer.entry.final = True
        self.transcript_updated.emit(answer.entry)
        self.history.append(Message("assistant", answer.entry.heard_text, interrupted=True))
        self._record_answer(answer)

    # user actions (any thread) ----------------------------------------------
    def submit_text(self, text: str) -> None:
        """A typed turn; interrupts an answer in progress."""
        if text.strip():
            self._queue.put(("text", text.strip()))

    def push_to_talk(self, pressed: bool) -> None:
        """Push-to-talk pressed or released."""
        self._queue.put(("ptt", pressed))

    def pause_capture(self, paused: bool) -> None:
        """Pause or resume the screen/camera at once."""
        capture = self.parts.capture
        if capture is not None:
            capture.pause() if paused else capture.resume()

    def _on_speech_event(self, event: SpeechEvent) -> None:
        self._queue.put(("speech", event))

    # control thread ----------------------------------------------------------
    def _synthesis_loop(self) -> None:
        self.pipeline.run_synthesis(self._running)

    def _control_loop(self) -> None:
        while True:
            try:
                kind, payload = self._queue.get(timeout=TICK_S)
            except queue.Empty:
                kind, payload = "tick", None
            try:
                if kind == "stop":
                    self._halt_answer()
                    return
                self._handle(kind, payload)
                if kind != "tick":
                    self._handle("tick", None)
            except Exception as exc:  # a failed step must not kill the conversation
                log.exception("live control step %s failed", kind)
                self.error_occurred.emit(exc)

    def _handle(self, kind: str, payload: Any) -> None:
        if kind == "speech":
            log.debug("speech event %s in state %s", type(payload).__name__, self.state.value)
            if isinstance(payload, SpeechStart):
                self._on_speech_start(payload)
            elif isinstance(payload, SpeechEnd):
                self._on_speech_end(payload)
        elif kind == "text":
            if self._answer is not None:
                self._confirm_interruption("typed text")
            self._pending = None
            self._begin_turn(text=payload, audio=None)
        elif kind == "ptt":
            self._on_push_to_talk(bool(payload))
        elif kind == "asr_check":
            self._on_interruption_words(*payload)
        elif kind == "turn_check":
            self._on_turn_probability(*payload)
        elif kind == "turn_text":
            self._on_turn_text(*payload)
        elif kind == "tick":
            self._on_tick()

    def _on_speech_start(self, event: SpeechStart) -> None:
        self._user_speaking = True
        self._last_activity = self.clock()
        self._speech_started_at = self.clock() - event.delay_s
        capture = self.parts.capture
        if capture is not None:
            capture.set_fps(self.settings.fps_speaking)
        pending = self._pending
        if pending is not None:  # the user goes on after a pause: the same turn
            pending.paused_at = None
            pending.check += 1
            pending.probability = pending.transcript = None
            pending.transcribing = False
            return
        if self._interruption is not None:  # more speech over the paused answer
            self._interruption.speech_ended = False
            return
        if self.state in (LiveState.THINKING, LiveState.SPEAKING) and self._answer is not None:
            if self._continue_last_turn():
                return
            if self.parts.player is not None:
                self.parts.player.pause()
            self._interruption = _Interruption(self.clock(), self.state)
            self.interruption.emit("paused", self.clock() - self._speech_started_at)
            self._set_state(LiveState.INTERRUPTED, "speech started")
        elif self.state in (LiveState.LISTENING, LiveState.IDLE):
            self._pending = _PendingTurn()
            self._set_state(LiveState.USER_SPEAKING, "speech started")

    def _on_speech_end(self, event: SpeechEnd) -> None:
        self._user_speaking = False
        capture = self.parts.capture
        if capture is not None:
            capture.set_fps(self.settings.fps_idle)
        interruption = self._interruption
        if interruption is not None:
            interruption.speech_ended = True
            interruption.speech_ms += (event.end_s - event.start_s) * 1000
            if interruption.start_sample is None:
                interruption.start_sample = event.audio_start_sample
            if classify_interruption(interruption.speech_ms, None, self.policy).verdict == Verdict.END:
                self._confirm_interruption("long speech")
                self._pause_pending(event, _PendingTurn(start_sample=interruption.start_sample))
            elif self.parts.asr is not None:
                interruption.checking += 1
                self._asr_pool.submit(self._check_words, event)
            else:
                interruption.cleared = "short sound"
            interruption.ended_at = self.clock()
            return
        if self._pending is not None:
            self._pause_pending(event, self._pending)

    # end of turn ---------------------------------------------------------------
    def _pause_pending(self, event: SpeechEnd, pending: _PendingTurn) -> None:
        """The user paused: ask the end-of-turn model (and, if unsure, the transcript) about the words so far."""
        self._pending = pending
        if pending.start_sample is None:
            pending.start_sample = event.audio_start_sample
        pending.end_sample = event.end_sample
        pending.audio = event.audio if pending.audio is None else np.concatenate([pending.audio, event.audio])
        pending.check += 1
        pending.probability = pending.transcript = None
        pending.transcribing = False
        if self.state != LiveState.USER_SPEAKING:
            self._set_state(LiveState.USER_SPEAKING, "speech paused")
        if self._user_speaking:  # (a confirmed interruption) the user has gone on talking: not a pause yet
            pending.paused_at = None
            return
        pending.paused_at = self.clock()
        audio = self._pending_audio(pending)
        # The model and Whisper work side by side: a confident model still waits briefly for the words.
        if self.parts.turn_model is not None:
            self._turn_pool.submit(self._measure_turn, pending.check, audio)
        if self.parts.asr is not None:
            pending.transcribing = True
            self._asr_pool.submit(self._transcribe_pending, pending.check, audio)

    def _pending_audio(self, pending: _PendingTurn) -> np.ndarray:
        """The whole utterance so far: from the listener's ring of cleaned audio when it holds it."""
        listener = self.parts.listener
        if listener is None or pending.start_sample is None:
            return pending.audio if pending.audio is not None else np.zeros(0, np.float32)
        ring = listener.cleaned
        post_roll = int(listener.segmenter.config.post_roll_ms * ring.sample_rate / 1000)
        end = min(pending.end_sample + post_roll, ring.total_written)
        start = max(pending.start_sample, end - ring.capacity)
        return ring.read_range(start, end)

    def _measure_turn(self, check: int, audio: np.ndarray) -> None:
        assert self.parts.turn_model is not None
        try:
            probability = self.parts.turn_model.probability(audio)
        except Exception as exc:  # without the model the silence decides
            log.warning("end-of-turn model failed: %s", exc)
            probability = None
        self._queue.put(("turn_check", (check, probability)))

    def _on_turn_probability(self, check: int, probability: float | None) -> None:
        pending = self._pending
        if pending is not None and pending.check == check:
            pending.probability = probability

    def _transcribe_pending(self, check: int, audio: np.ndarray) -> None:
        assert self.parts.asr is not None
        try:
            text = self.parts.asr.transcribe(audio).text.strip()
        except Exception as exc:  # the model's answer and the silence still decide
            log.warning("transcribing the words so far failed: %s", exc)
            text = None
        self._queue.put(("turn_text", (check, text)))

    def _on_turn_text(self, check: int, text: str | None) -> None:
        pending = self._pending
        if pending is not None and pending.check == check:
            pending.transcript, pending.transcribing = text, False

    def _decide_turn(self) -> None:
        pending = self._pending
        if pending is None or pending.paused_at is None:
            return
        silence_ms = (self.clock() - pending.paused_at) * 1000
        probability = pending.probability
        if self.parts.turn_model is None and silence_ms >= self.settings.end_of_turn_fallback_ms:
            probability = 1.0  # no model: a long enough silence ends the turn, as plain VAD does
        signals = PauseSignals(silence_ms, probability, pending.transcript, pending.transcribing)
        decision = decide(signals, self.policy)
        if decision.verdict == Verdict.END:
            self._end_pending(decision.reason)

    def _end_pending(self, reason: str) -> None:
        pending = self._pending
        assert pending is not None
        self._pending = None
        audio = self._pending_audio(pending)
        if audio.size < AUDIO_RATE // 10:
            self._set_state(LiveState.LISTENING, "too short to be a turn")
            return
        log.info("turn ended: %s", reason)
        self._begin_turn(text="", audio=audio, transcript=pending.transcript, entry=pending.entry,
                         start_sample=pending.start_sample)

    def _continue_last_turn(self) -> bool:
        """Speech right after a turn ended, over at most the answer's first words: the same turn goes on."""
        last, answer = self._last_turn, self._answer
        if last is None or answer is None or answer.turn_id != last.turn_id:
            return False
        if (self.clock() - last.ended_at) * 1000 > self.policy.continue_window_ms:
            return False
        self.pipeline.update_heard(answer)
        if len(words(answer.entry.heard_text)) > 3:
            return False  # the user heard a real part of the answer: this is an interruption
        answer.cancel.cancel()
        if self.parts.player is not None:
            self.parts.player.stop()
        answer.entry.dropped = True
        answer.entry.final = True
        self.transcript_updated.emit(answer.entry)
        self._answer = None
        if self.history and self.history[-1] is last.message:
            self.history.pop()
        self._last_turn = None
        self._pending = _PendingTurn(start_sample=last.start_sample, audio=last.audio, entry=last.entry)
        self._set_state(LiveState.USER_SPEAKING, "the user went on")
        return True

    def _check_words(self, event: SpeechEnd) -> None:
        assert self.parts.asr is not None
        try:
            text = self.parts.asr.transcribe(event.audio).text
        except Exception as exc:  # a failed check counts as no words
            log.warning("interruption check failed: %s", exc)
            text = ""
        self._queue.put(("asr_check", (event, text)))

    def _on_interruption_words(self, event: SpeechEnd, text: str) -> None:
        interruption = self._interruption
        if interruption is None:
            return
        interruption.checking -= 1
        decision = classify_interruption(interruption.speech_ms, text, self.policy)
        if decision.verdict == Verdict.END:
            self._confirm_interruption(decision.reason)
            self._pause_pending(event, _PendingTurn(start_sample=interruption.start_sample))
        else:  # resumed on a tick once the user has been quiet a moment (they may go on: "Stop, … tell me")
            interruption.cleared = decision.reason

    def _on_push_to_talk(self, pressed: bool) -> None:
        listener = self.parts.listener
        if listener is None:
            return
        if pressed:
            if self._answer is not None:
                self._confirm_interruption("push-to-talk")
            self._pending = None
            self._ptt_start = listener.cleaned.total_written
            listener.gate.set_push_to_talk(True)
            self._set_state(LiveState.USER_SPEAKING, "push-to-talk")
        elif self._ptt_start is not None:
            listener.gate.set_push_to_talk(False)
            end = listener.cleaned.total_written
            start = max(self._ptt_start, end - listener.cleaned.capacity)
            self._ptt_start = None
            audio = listener.cleaned.read_range(start, end)
            if audio.size >= AUDIO_RATE // 5:
                self._begin_turn(text="", audio=audio)
            else:
                self._set_state(LiveState.LISTENING, "push-to-talk too short")

    def _maybe_comment(self) -> None:
        """Proactive comments (off by default): speak up when the screen changed during a long silence."""
        if not self.settings.proactive_comments or self.state != LiveState.LISTENING or self._answer is not None:
            return
        if self.clock() - self._last_activity < self.settings.proactive_after_s:
            return
        latest = self.parts.frames.latest()
        # Capture skips unchanged frames, so a newer frame than the last turn saw means the screen changed.
        if latest is None or (self._frame_seen is not None and latest.timestamp <= self._frame_seen):
            return
        self._begin_turn(text=PROACTIVE_PROMPT, audio=None, proactive=True)

    def _on_tick(self) -> None:
        self._maybe_comment()
        self._decide_turn()
        interruption = self._interruption
        if interruption is not None:
            speech_ms = interruption.speech_ms + (0.0 if interruption.speech_ended else self._speech_so_far_ms())
            if not interruption.speech_ended and speech_ms >= self.settings.confirm_interrupt_ms:
                self._confirm_interruption("speech goes on")
                self._pending = _PendingTurn()
            elif (interruption.speech_ended and not interruption.checking and interruption.ended_at is not None
                  and (self.clock() - interruption.ended_at) * 1000 >= self.policy.resume_after_ms):
                self._dismiss_interruption(interruption.cleared or "short sound")
        answer = self._answer
        if answer is None or self._interruption is not None:
            return
        self.pipeline.update_heard(answer)
        if answer.started_playing and self.state == LiveState.THINKING:
            self._set_state(LiveState.SPEAKING, "first audio played")
        if answer.generated.is_set() and answer.synthesized.is_set() and self.pipeline.played_out():
            self._finish_answer(answer)

    def _speech_so_far_ms(self) -> float:
        """Speech heard so far in the utterance in progress (not counting trailing silence)."""
        listener = self.parts.listener
        if listener is not None:
            return listener.segmenter.current_speech_s * 1000
        started = self._speech_started_at
        return (self.clock() - started) * 1000 if started is not None else 0.0

    # interruptions -------------------------------------------------------------
    def _confirm_interruption(self, reason: str) -> None:
        answer = self._answer
        self._interruption = None
        if answer is None:
            return
        answer.cancel.cancel()
        player = self.parts.player
        if player is not None:
            player.stop()
        self.pipeline.update_heard(answer)
        answer.entry.interrupted = True
        answer.entry.final = True
        self.history.append(Message("assistant", answer.entry.heard_text, interrupted=True))
        self.transcript_updated.emit(answer.entry)
        self._record_answer(answer)
        self._answer = None
        started = self._speech_started_at or self.clock()
        self.interruption.emit("confirmed", self.clock() - started)
        self._set_state(LiveState.USER_SPEAKING, f"barge-in confirmed ({reason})")

    def _dismiss_interruption(self, reason: str) -> None:
        interruption = self._interruption
        self._interruption = None
        if interruption is None:
            return
        if self.parts.player is not None:
            self.parts.player.resume()
        started = self._speech_started_at or self.clock()
        self.interruption.emit("resumed", self.clock() - started)
        self._set_state(interruption.resume_state, f"false start ({reason})")

    def _halt_answer(self) -> None:
        """Silence the answer at once; ``stop`` then records what was heard of it."""
        if self._answer is not None:
            self._answer.cancel.cancel()
            if self.parts.player is not None:
                self.parts.player.stop()

    # turns -------------------------------------------------------------------
    def _new_entry(self, role: str, text: str) -> TranscriptEntry:
        self._next_id += 1
        entry = TranscriptEntry(self._next_id, role, text, started_at=self.clock())  # type: ignore[arg-type]
        self.transcript.append(entry)
        self.transcript_updated.emit(entry)
        return entry

    def _begin_turn(
        self,
        text: str,
        audio: np.ndarray | None,
        transcript: str | None = None,
        proactive: bool = False,
        entry: TranscriptEntry | None = None,
        start_sample: int | None = None,
    ) -> None:
        self._turn_id += 1
        turn_id = self._turn_id
        self._last_activity = self.clock()
        latest = self.parts.frames.latest()
        self._frame_seen = latest.timestamp if latest is not None else self._frame_seen
        images, video = self._visual_context()
        content = UserContent(text=text, images=images, video=video, audio=audio)
        shown = "(screen changed)" if proactive else text or transcript or "…"
        if entry is not None:  # a continued turn keeps its line, now for the whole utterance
            user_entry = entry
            user_entry.text, user_entry.final = shown, False
            self.transcript_updated.emit(user_entry)
        else:
            user_entry = self._new_entry("user", shown)
        user_entry.meta["proactive"] = proactive
        user_message = Message("user", shown if proactive else text or transcript or "", content)
        turn = Turn(content, history=list(self.history))
        if self.system_prompt:
            turn.system_prompt = self.system_prompt
        self.history.append(user_message)
        answer = Answer(turn_id, self._new_entry("assistant", ""))
        if audio is not None and transcript is None and self.parts.asr is not None:
            self._asr_pool.submit(self._transcribe_user, user_entry, user_message, audio, answer.first_audio)
        else:
            user_entry.final = True
            self.transcript_updated.emit(user_entry)
        if self.recorder is not None:
            user_entry.meta["turn"] = turn_id
            if images:
                user_entry.meta["frame"] = self.recorder.save_frame(turn_id, images[-1])
            if audio is not None:
                user_entry.meta["audio"] = self.recorder.save_utterance(turn_id, audio)
        self._answer = answer
        if audio is not None and start_sample is not None:
            self._last_turn = _LastTurn(turn_id, start_sample, self.clock(), user_message, user_entry, audio)
        self._set_state(LiveState.THINKING, "user turn ended")
        self.turn_started.emit(turn)
        thread = threading.Thread(target=self.pipeline.generate, args=(answer, turn), name="nexus-live-generate",
                                  daemon=True)
        thread.start()

    def _visual_context(self) -> tuple[list[np.ndarray], VideoClip | None]:
        frames = self.parts.frames
        latest = frames.latest()
        if latest is None:
            return [], None
        images = [latest.image]
        video = None
        if self.settings.clip_seconds > 0:
            clip = [f.image for f in frames.clip(self.settings.clip_seconds, self.settings.clip_fps)[:-1]]
            if len(clip) >= 2:
                video = VideoClip(clip, self.settings.clip_fps)
        return images, video

    def _transcribe_user(
        self, entry: TranscriptEntry, message: Message, audio: np.ndarray, first_audio: threading.Event
    ) -> None:
        assert self.parts.asr is not None
        # The answer's first clause is synthesised first: on a small machine the two
        # compete for the CPU, and hearing the answer early matters more than the transcript.
        first_audio.wait(timeout=3.0)
        try:
            text = self.parts.asr.transcribe(audio).text.strip()
        except Exception as exc:  # the turn still goes on: the model heard the audio itself
            log.warning("transcription failed: %s", exc)
            text = ""
        entry.text = text or "(unclear speech)"
        entry.final = True
        message.text = text
        self.transcript_updated.emit(entry)

    def _finish_answer(self, answer: Answer) -> None:
        answer.entry.text = answer.text.strip()
        answer.entry.heard_text = answer.entry.text
        answer.entry.final = True
        if answer.error is not None:
            answer.entry.meta["error"] = str(answer.error)
        self.transcript_updated.emit(answer.entry)
        self.history.append(Message("assistant", answer.entry.text))
        self._record_answer(answer)
        self._answer = None
        self._last_activity = self.clock()
        self._set_state(LiveState.LISTENING, "answer finished")

    def _record_answer(self, answer: Answer) -> None:
        if self.recorder is None:
            return
        user = next((e for e in reversed(self.transcript) if e.role == "user" and e.id < answer.entry.id), None)
        self.recorder.write_entry(
            {
                "turn": answer.turn_id,
                "user": user.text if user else "",
                "frame": user.meta.get("frame") if user else None,
                "audio": user.meta.get("audio") if user else None,
                "assistant": answer.entry.shown_text(),
                "interrupted": answer.entry.interrupted,
                "time": time.time(),
            }
        )

    def _set_state(self, new: LiveState, reason: str) -> None:
        old = self.state
        if new == old:
            return
        check_transition(old, new)
        self.state = new
        if self.parts.listener is not None:
            self.parts.listener.gate.set_assistant_speaking(new == LiveState.SPEAKING)
        log.info("live: %s → %s (%s)", old.value, new.value, reason)
        self.state_changed.emit(StateChange(old, new, reason, self.clock()))
