"""Listening to an episode, and joining it: the player, the hosts' answers and the microphone together.

``ask(text)`` and ``join()`` pause at the end of the sentence being heard;
with voice join on, the listener simply talks and playback stops at once (the
media layer's echo canceller keeps the hosts' own voices from counting as
speech). The question is transcribed, the hosts answer in character from the
sources, a bridge line returns to the episode, and the script continues where
it stopped. Every interaction is written into the episode as it happens.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
from psygnal import Signal

from engine.live.listener import EchoMode, Listener
from engine.media.microphone import Microphone
from engine.media.player import Player
from engine.media.vad import SegmenterConfig, SpeechEnd, SpeechEvent, SpeechSegmenter, SpeechStart, make_detector
from engine.omni.base import Engine
from engine.omni.turn import AUDIO_RATE, CancelToken
from engine.podcast.episode import LISTENER, Episode, EpisodeStore, EpisodeTurn, Interaction, load_sources
from engine.podcast.formats import get_format
from engine.podcast.join import AnswerWriter, SourceIndex, bridge_turn
from engine.podcast.playback import PodcastPlayer
from engine.podcast.script import ScriptTurn
from engine.podcast.synthesis import TurnSynthesizer, write_wav
from engine.speech.asr import WhisperTranscriber
from engine.speech.tts import PiperVoice

log = logging.getLogger(__name__)

JoinState = Literal["idle", "pausing", "listening", "transcribing", "thinking", "answering"]
_HOLD_TIMEOUT_S = 30.0


@dataclass
class VoiceJoin:
    """The microphone side of joining by voice."""

    microphone: Microphone
    listener: Listener


def open_voice_join(player: Player, *, input_device: str | int | None = None, vad_engine: str = "silero",
                    echo: EchoMode = "aec", end_ms: int = 700) -> VoiceJoin:
    """A microphone and listener whose echo canceller hears what ``player`` plays."""
    segmenter = SpeechSegmenter(make_detector(vad_engine), SegmenterConfig(end_ms=end_ms))  # type: ignore[arg-type]
    listener = Listener(segmenter, lambda _e: None, echo=echo, reference=lambda: player.callback_reference)
    return VoiceJoin(Microphone(input_device), listener)


class PodcastSession:
    """Plays ``episode`` and handles the listener joining it."""

    join_state_changed = Signal(str)
    transcript_changed = Signal(object)
    """The episode's transcript changed (an interaction was added or grew)."""
    error_occurred = Signal(object)

    def __init__(
        self,
        episode: Episode,
        store: EpisodeStore,
        voices: Mapping[str, PiperVoice],
        engine: Engine,
        player: Player,
        *,
        asr: WhisperTranscriber | None = None,
        voice: VoiceJoin | None = None,
        voice_join: bool = False,
        speed: float = 1.0,
    ) -> None:
        self.episode = episode
        self.store = store
        self.engine = engine
        self.player_device = player
        self.asr = asr
        self.voice = voice
        self.voice_join = voice_join and voice is not None
        self.synth = TurnSynthesizer(episode, voices, on_error=lambda _t, exc: self.error_occurred.emit(exc))
        self.player = PodcastPlayer(episode, self.synth, player, speed=speed)
        fmt = get_format(str(episode.spec.get("format", "deep-dive")))
        self.fmt = fmt
        self.answers = AnswerWriter(engine, fmt, SourceIndex(load_sources(episode)),
                                    language=str(episode.spec.get("language", "English")))
        self.join_state: JoinState = "idle"
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._answer_cancel = CancelToken()
        self._awaiting_question = False
        self._lock = threading.Lock()
        self._worker = threading.Thread(target=self._work, name="nexus-podcast-session", daemon=True)
        self._worker.start()
        if voice is not None:
            voice.listener.on_event = self._on_speech_event
            voice.listener.enabled = self.voice_join

    # ----- lifecycle ----------------------------------------------------------------

    def start(self, from_turn: int | None = None) -> None:
        """Open the devices and play (from ``from_turn`` when given)."""
        self.player_device.start()
        if self.voice is not None:
            self.voice.microphone.block_ready.connect(self.voice.listener.on_block)
            self.voice.microphone.start()
        self.player.play(from_turn)

    def close(self) -> None:
        """Stop playback and listening; the episode is saved."""
        self._answer_cancel.cancel()
        if self.voice is not None:
            self.voice.microphone.block_ready.disconnect(self.voice.listener.on_block)
            self.voice.microphone.stop()
        self.player.close()
        self.synth.close()
        self.player_device.close()
        self._jobs.put(None)
        self._worker.join(timeout=10)
        self.store.save(self.episode)

    def set_voice_join(self, enabled: bool) -> None:
        """Let the listener join just by talking (needs a microphone)."""
        self.voice_join = enabled and self.voice is not None
        if self.voice is not None:
            self.voice.listener.enabled = self.voice_join or self._awaiting_question

    # ----- joining ----------------------------------------------------------------------

    def ask(self, question: str) -> None:
        """A typed question: pause at the end of the sentence, answer, resume."""
        question = question.strip()
        if question:
            self._jobs.put(lambda: self._ask_text(question))

    def join(self) -> None:
        """The Join button: pause at the end of the sentence and listen for the question."""
        self._jobs.put(self._join_by_button)

    def cancel_join(self) -> None:
        """Give up waiting for a question and resume the episode."""
        self._jobs.put(self._cancel_join)

    def _ask_text(self, question: str) -> None:
        self._set_join_state("pausing")
        self.player.hold().wait(_HOLD_TIMEOUT_S)
        self._answer(question, "text", None)

    def _join_by_button(self) -> None:
        if self.voice is None or self.asr is None:
            self.error_occurred.emit(RuntimeError("Joining by voice needs a microphone and a Whisper model."))
            return
        self._set_join_state("pausing")
        self.player.hold().wait(_HOLD_TIMEOUT_S)
        self._awaiting_question = True
        self.voice.listener.reset()
        self.voice.listener.enabled = True
        self._set_join_state("listening")

    def _cancel_join(self) -> None:
        self._awaiting_question = False
        if self.voice is not None:
            self.voice.listener.enabled = self.voice_join
        self._set_join_state("idle")
        self.player.resume()

    def _on_speech_event(self, event: SpeechEvent) -> None:
        """On the microphone's thread: stop the sound at once, hand the utterance to the worker."""
        if isinstance(event, SpeechStart):
            self._answer_cancel.cancel()
            if not self._awaiting_question:
                self.player.interrupt()
            self._set_join_state("listening")
        elif isinstance(event, SpeechEnd):
            audio = event.audio.copy()
            self._jobs.put(lambda: self._on_utterance(audio))

    def _on_utterance(self, audio: np.ndarray) -> None:
        if self.asr is None:
            return
        self._set_join_state("transcribing")
        try:
            text = self.asr.transcribe(audio).text.strip()
        except Exception as exc:  # noqa: BLE001 - shown to the user; the episode resumes
            log.warning("transcription failed: %s", exc)
            text = ""
        if len([ch for ch in text if ch.isalpha()]) < 2:
            # A cough or a false start: nothing to answer, carry on.
            self._cancel_join()
            return
        self._answer(text, "voice", audio)

    def _answer(self, question: str, via: Literal["voice", "text"], audio: np.ndarray | None) -> None:
        self._awaiting_question = False
        if self.voice is not None:
            self.voice.listener.enabled = self.voice_join
        position = self.player.position
        episode = self.episode
        interaction_id = len(episode.interactions)
        question_turn = EpisodeTurn(episode.next_turn_id(), LISTENER, question, [], episode.chapter_of(min(position.turn, len(episode.turns) - 1)),
                                    "question")
        if audio is not None and episode.folder is not None:
            name = f"audio/question-{interaction_id:03d}.wav"
            write_wav(episode.folder / name, audio, AUDIO_RATE)
            question_turn.audio = name
            question_turn.duration_s = audio.size / AUDIO_RATE
        # The turn being heard when the listener joined; after a hold, the one that just ended.
        after = position.turn if position.sentence > 0 or position.turn == 0 else position.turn - 1
        interaction = Interaction(interaction_id, max(after, 0), position.sentence, via, question_turn,
                                  created=time.strftime("%Y-%m-%d %H:%M:%S"))
        episode.interactions.append(interaction)
        self._save()
        self._answer_cancel = cancel = CancelToken()
        self.player.begin_interlude()
        self.player.resume()
        self._set_join_state("thinking")
        recent = [(t.speaker, t.text) for t in episode.turns[max(0, position.turn - 3) : position.turn + 1]]

        def on_turn(turn: ScriptTurn) -> None:
            made = EpisodeTurn(episode.next_turn_id(), turn.speaker, turn.text, turn.refs, question_turn.chapter, "answer")
            interaction.answers.append(made)
            self.player.add_interlude(made)
            self._set_join_state("answering")
            self._save()

        try:
            self.answers.answer(question, recent, on_turn, cancel)
        except Exception as exc:  # noqa: BLE001 - the episode goes on; the error is shown
            log.exception("answering the listener failed")
            self.error_occurred.emit(exc)
        if not cancel.cancelled:
            last = interaction.answers[-1].speaker if interaction.answers else self.fmt.hosts[-1]
            chapter = episode.chapters[question_turn.chapter].title if episode.chapters else ""
            bridge = bridge_turn(self.fmt, chapter, last, interaction_id)
            on_turn(bridge)
            interaction.answers[-1].kind = "bridge"
            self._save()
        self.player.end_interlude()
        self._set_join_state("idle")

    # ----- plumbing -------------------------------------------------------------------

    def _save(self) -> None:
        with self._lock:
            self.store.save(self.episode)
        self.transcript_changed.emit(self.episode)

    def _set_join_state(self, state: JoinState) -> None:
        if state != self.join_state:
            self.join_state = state
            self.join_state_changed.emit(state)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                job()
            except Exception as exc:  # noqa: BLE001 - shown to the user, the session keeps going
                log.exception("podcast session job failed")
                self.error_occurred.emit(exc)
