"""The episode player: plays turns sentence by sentence, with pause, seek, skip, speed and interludes.

One worker thread owns the sequence. It keeps a single sentence queued in the
speaker ahead of the one being heard (enqueued ``_LEAD_S`` before the current
one ends, so there is no gap), which makes every control cheap and exact:
``hold`` (pause at the end of the sentence) simply queues nothing more,
``interrupt`` stops the speaker at once and replays the cut sentence on
resume, ``seek`` and ``skip`` restart at a turn. An interlude (the hosts
answering a listener) is a list of extra turns played before the script
continues where it stopped. Speed changes apply from the next sentence
(WSOLA time-stretching keeps the voices' pitch).
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from audiotsm import wsola
from audiotsm.io.array import ArrayReader, ArrayWriter
from psygnal import Signal

from engine.media.player import Player
from engine.podcast.episode import Episode, EpisodeTurn
from engine.podcast.synthesis import TurnSynthesizer, read_turn_audio
from engine.speech.audio import resample

log = logging.getLogger(__name__)

_POLL_S = 0.01
_LEAD_S = 0.25
_WAIT_AUDIO_S = 0.05


def change_speed(audio: np.ndarray, speed: float) -> np.ndarray:
    """``audio`` played ``speed`` times as fast, at the same pitch."""
    if abs(speed - 1.0) < 1e-3 or audio.size == 0:
        return audio
    writer = ArrayWriter(1)
    wsola(1, speed=speed).run(ArrayReader(audio[None, :].astype(np.float32)), writer)
    return writer.data[0].astype(np.float32)


@dataclass
class _InFlight:
    tag: tuple
    turn: EpisodeTurn
    sentence: int
    samples: int
    script_index: int | None
    started: bool = False


@dataclass(frozen=True)
class Position:
    """Where the script stands: the turn index and the sentence within it."""

    turn: int
    sentence: int


class PodcastPlayer:
    """Plays an episode's turns through a ``Player``; a facade the GUI and the CLI drive."""

    state_changed = Signal(str)
    """``playing``, ``paused``, ``buffering``, ``finished`` or ``stopped``."""
    sentence_started = Signal(object, int)
    """(turn, sentence index) as the sentence reaches the speaker."""
    turn_started = Signal(object)
    """A turn's first sentence reached the speaker."""
    interlude_finished = Signal()
    """The interlude's last sentence was heard; the script continues."""
    error_occurred = Signal(object)

    def __init__(self, episode: Episode, synthesizer: TurnSynthesizer, player: Player, *, lookahead: int = 3,
                 speed: float = 1.0) -> None:
        self.episode = episode
        self.synth = synthesizer
        self.player = player
        self.lookahead = lookahead
        self.speed = speed
        self.more_turns_coming = episode.status == "writing"
        self._commands: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._state = "stopped"
        self._cursor = Position(0, 0)
        self._in_flight: list[_InFlight] = []
        self._interlude: list[EpisodeTurn] = []
        self._interlude_pos = Position(0, 0)
        self._interlude_open = False
        self._hold = False
        self._held = threading.Event()
        self._tags = itertools.count()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="nexus-podcast-player", daemon=True)
        self._thread.start()

    # ----- controls (any thread) ------------------------------------------------

    @property
    def state(self) -> str:
        """The last state announced."""
        return self._state

    @property
    def position(self) -> Position:
        """The script position playback continues from (the sentence being heard while playing)."""
        head = next((f for f in self._in_flight if f.script_index is not None), None)
        return Position(head.script_index, head.sentence) if head else self._cursor  # type: ignore[arg-type]

    def play(self, from_turn: int | None = None) -> None:
        """Start, or continue, playing (from turn ``from_turn`` when given)."""
        self._commands.put(("play", from_turn))

    def pause(self) -> None:
        """Pause at once; ``resume`` continues with the next sample."""
        self._commands.put(("pause", None))

    def resume(self) -> None:
        """Continue after ``pause`` or ``hold``."""
        self._commands.put(("resume", None))

    def toggle(self) -> None:
        """Pause when playing, otherwise play."""
        self._commands.put(("toggle", None))

    def seek(self, turn_index: int) -> None:
        """Jump to the start of script turn ``turn_index``."""
        self._commands.put(("seek", turn_index))

    def skip(self, delta: int) -> None:
        """Jump ``delta`` turns forward (negative: back)."""
        self._commands.put(("skip", delta))

    def set_speed(self, speed: float) -> None:
        """Playback speed from the next sentence (0.5 to 2.0)."""
        self.speed = float(min(2.0, max(0.5, speed)))

    def hold(self) -> threading.Event:
        """Pause at the end of the sentence being heard; the event is set once paused there."""
        self._held.clear()
        self._commands.put(("hold", None))
        return self._held

    def interrupt(self) -> None:
        """Stop the sound at once (the listener started talking); the cut sentence is replayed on resume."""
        self._held.clear()
        self._commands.put(("interrupt", None))

    def begin_interlude(self) -> None:
        """Answers will be played before the script continues (turns come with ``add_interlude``)."""
        self._commands.put(("begin_interlude", None))

    def add_interlude(self, turn: EpisodeTurn) -> None:
        """Queue an answer turn of the current interlude (synthesised urgently)."""
        self.synth.schedule(turn, urgent=True)
        self._commands.put(("add_interlude", turn))

    def end_interlude(self) -> None:
        """No more answer turns: once they are heard, the script resumes where it stopped."""
        self._commands.put(("end_interlude", None))

    def writing_finished(self) -> None:
        """The script is complete; reaching its end finishes the episode."""
        self.more_turns_coming = False

    def close(self) -> None:
        """Stop playback and the worker."""
        self._commands.put(("close", None))
        self._closed.wait(5)
        self._thread.join(timeout=5)

    # ----- worker -----------------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                try:
                    command, value = self._commands.get(timeout=_POLL_S)
                except queue.Empty:
                    command, value = None, None
                if command == "close":
                    self.player.stop()
                    self._set_state("stopped")
                    return
                if command is not None:
                    self._handle(command, value)
                if self._state in ("playing", "buffering"):
                    self._advance()
        except Exception as exc:  # noqa: BLE001 - shown to the user; the player stops cleanly
            log.exception("podcast player failed")
            self.error_occurred.emit(exc)
            self._set_state("stopped")
        finally:
            self._closed.set()

    def _handle(self, command: str, value: Any) -> None:
        if command == "play":
            if value is not None:
                self._restart_at(Position(int(value), 0))
            self._start_playing()
        elif command == "pause" and self._state in ("playing", "buffering"):
            self.player.pause()
            self._set_state("paused")
        elif command == "resume" or (command == "toggle" and self._state not in ("playing", "buffering")):
            self._start_playing()
        elif command == "toggle":
            self.player.pause()
            self._set_state("paused")
        elif command == "seek":
            self._restart_at(Position(max(0, min(int(value), len(self.episode.turns) - 1)), 0))
        elif command == "skip":
            self._restart_at(Position(max(0, min(self.position.turn + int(value), len(self.episode.turns) - 1)), 0))
        elif command == "hold":
            self._hold = True
            if self._state not in ("playing", "buffering") or not self._in_flight:
                self._hold_reached()
        elif command == "interrupt":
            self._cut()
            self._hold = True
            self._hold_reached()
        elif command == "begin_interlude":
            self._interlude, self._interlude_pos, self._interlude_open = [], Position(0, 0), True
        elif command == "add_interlude":
            self._interlude.append(value)
        elif command == "end_interlude":
            self._interlude_open = False

    def _start_playing(self) -> None:
        self._hold = False
        self.player.resume()
        self._set_state("playing")

    def _restart_at(self, position: Position) -> None:
        self._cut()
        self._cursor = position
        if self._state == "finished":
            self._set_state("paused")

    def _cut(self) -> None:
        """Stop the speaker now; the script continues from the sentence that was cut."""
        self.player.stop()
        head = next((f for f in self._in_flight if f.script_index is not None), None)
        if head is not None:
            self._cursor = Position(head.script_index, head.sentence)  # type: ignore[arg-type]
        interlude_head = next((f for f in self._in_flight if f.script_index is None), None)
        if interlude_head is not None:
            index = next((i for i, t in enumerate(self._interlude) if t is interlude_head.turn), 0)
            self._interlude_pos = Position(index, interlude_head.sentence)
        self._in_flight.clear()

    def _hold_reached(self) -> None:
        self.player.pause()
        self._set_state("paused")
        self._held.set()

    def _advance(self) -> None:
        self._update_in_flight()
        if self._hold:
            if not self._in_flight:
                self._hold = False
                self._hold_reached()
            return
        last = self._in_flight[-1] if self._in_flight else None
        if last is not None:
            played = self.player.played_samples(last.tag)
            if last.samples - played > _LEAD_S * self.player.sample_rate:
                return
        self._enqueue_next()

    def _update_in_flight(self) -> None:
        while self._in_flight:
            head = self._in_flight[0]
            played = self.player.played_samples(head.tag)
            if played > 0 and not head.started:
                head.started = True
                if head.sentence == 0:
                    self.turn_started.emit(head.turn)
                self.sentence_started.emit(head.turn, head.sentence)
            if played < head.samples:
                return
            self._in_flight.pop(0)
            if head.script_index is None and not self._in_flight and self._interlude_done():
                self.interlude_finished.emit()

    def _interlude_done(self) -> bool:
        return not self._interlude_open and self._interlude_pos.turn >= len(self._interlude)

    def _next_item(self) -> tuple[EpisodeTurn, int, int | None] | None:
        """The next (turn, sentence, script index) to play; None when nothing is ready (state updated)."""
        if self._interlude_pos.turn < len(self._interlude) or self._interlude_open:
            if self._interlude_pos.turn >= len(self._interlude):
                self._buffering()
                return None
            turn = self._interlude[self._interlude_pos.turn]
            if not self._ready(turn):
                return None
            sentence = self._interlude_pos.sentence
            self._interlude_pos = (
                Position(self._interlude_pos.turn, sentence + 1)
                if sentence + 1 < len(turn.sentences)
                else Position(self._interlude_pos.turn + 1, 0)
            )
            return turn, sentence, None
        cursor = self._cursor
        if cursor.turn >= len(self.episode.turns):
            if self.more_turns_coming:
                self._buffering()
            elif not self._in_flight:
                self._set_state("finished")
            return None
        turn = self.episode.turns[cursor.turn]
        for ahead in self.episode.turns[cursor.turn : cursor.turn + self.lookahead + 1]:
            self.synth.schedule(ahead)
        if not self._ready(turn):
            return None
        sentence = min(cursor.sentence, max(0, len(turn.sentences) - 1))
        self._cursor = (
            Position(cursor.turn, sentence + 1) if sentence + 1 < len(turn.sentences) else Position(cursor.turn + 1, 0)
        )
        return turn, sentence, cursor.turn

    def _ready(self, turn: EpisodeTurn) -> bool:
        self.synth.schedule(turn, urgent=True)
        if self.synth.wait(turn, timeout=_WAIT_AUDIO_S):
            return True
        self._buffering()
        return False

    def _buffering(self) -> None:
        if not self._in_flight and self._state == "playing":
            self._set_state("buffering")

    def _enqueue_next(self) -> None:
        item = self._next_item()
        if item is None:
            return
        turn, sentence, script_index = item
        audio = read_turn_audio(self.episode, turn)
        rate = self.episode.sample_rate
        part = turn.sentences[sentence]
        end = turn.sentences[sentence + 1].start_s if sentence + 1 < len(turn.sentences) else turn.duration_s
        piece = audio[round(part.start_s * rate) : round(end * rate)]
        piece = resample(change_speed(piece, self.speed), rate, self.player.sample_rate)
        tag = ("podcast", next(self._tags))
        self._in_flight.append(_InFlight(tag, turn, sentence, piece.size, script_index))
        if self._state == "buffering":
            self._set_state("playing")
        self.player.enqueue(piece, tag)

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(state)
