"""Turn text into each host's voice ahead of playback, sentence by sentence, into the episode folder.

A worker thread synthesises turns in priority order: a listener's answers
first, then the episode's turns from the play position onwards, up to
``lookahead`` turns ahead. Piper runs several times faster than real time on
a CPU, so after the first turn playback never waits. Each turn becomes one
WAV file with its sentence boundaries recorded, so the player can highlight
and pause by sentence.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import soundfile as sf

from engine.podcast.episode import AUDIO_DIR, Episode, EpisodeTurn, Sentence
from engine.speech.audio import write_wav_atomic
from engine.speech.chunker import SentenceChunker
from engine.speech.tts import PiperVoice

log = logging.getLogger(__name__)

SENTENCE_GAP_S = 0.12
TURN_GAP_S = 0.30


def split_sentences(text: str) -> list[str]:
    """The sentences of a complete turn."""
    chunker = SentenceChunker(max_chars=300, early_first=False)
    return chunker.push(text) + chunker.flush()


def render_turn(turn: EpisodeTurn, voice: PiperVoice, sample_rate: int) -> np.ndarray:
    """Synthesise ``turn`` at ``sample_rate``, filling its sentences and duration; returns the audio."""
    pieces: list[np.ndarray] = []
    sentences: list[Sentence] = []
    position = 0
    gap = np.zeros(round(SENTENCE_GAP_S * sample_rate), np.float32)
    for text in split_sentences(turn.text) or [turn.text]:
        audio = voice.synthesize(text, sample_rate).astype(np.float32, copy=False)
        start = position
        pieces.append(audio)
        position += audio.size
        sentences.append(Sentence(text, start / sample_rate, position / sample_rate))
        pieces.append(gap)
        position += gap.size
    pieces.append(np.zeros(round((TURN_GAP_S - SENTENCE_GAP_S) * sample_rate), np.float32))
    audio = np.concatenate(pieces)
    turn.sentences = sentences
    turn.duration_s = audio.size / sample_rate
    return audio


def write_wav(path: Path, audio: np.ndarray, sample_rate: int) -> None:
    """Write 16-bit PCM atomically (a player never reads half a file; a full disk raises ``OSError``)."""
    write_wav_atomic(path, audio, sample_rate)


def read_turn_audio(episode: Episode, turn: EpisodeTurn) -> np.ndarray:
    """The float32 audio of a synthesised turn."""
    path = episode.audio_path(turn)
    if path is None:
        raise FileNotFoundError(f"turn {turn.id} has no audio yet")
    audio, _ = sf.read(path, dtype="float32", always_2d=False)
    return audio


class TurnSynthesizer:
    """Synthesises turns of one episode on a worker thread, most urgent first."""

    def __init__(
        self,
        episode: Episode,
        voices: Mapping[str, PiperVoice],
        *,
        on_ready: Callable[[EpisodeTurn], None] | None = None,
        on_error: Callable[[EpisodeTurn, Exception], None] | None = None,
    ) -> None:
        if episode.folder is None:
            raise ValueError("the episode needs a folder for its audio")
        self.episode = episode
        self.voices = dict(voices)
        self.on_ready = on_ready or (lambda turn: None)
        self.on_error = on_error or (lambda turn, exc: None)
        self._queue: list[tuple[int, int, int]] = []
        self._turns: dict[int, EpisodeTurn] = {}
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._done: set[int] = set()
        self._failed: dict[int, Exception] = {}
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="nexus-podcast-tts", daemon=True)
        self._thread.start()

    def voice_for(self, speaker: str) -> PiperVoice:
        """The voice of ``speaker`` (the first host's for an unknown name)."""
        return self.voices.get(speaker) or next(iter(self.voices.values()))

    def schedule(self, turn: EpisodeTurn, urgent: bool = False) -> None:
        """Queue ``turn`` unless it already has audio; ``urgent`` jumps the queue."""
        with self._cond:
            if self._has_audio(turn) or turn.id in self._turns:
                if urgent and turn.id in self._turns and turn.id not in self._done:
                    heapq.heappush(self._queue, (0, next(self._order), turn.id))
                    self._cond.notify_all()
                return
            self._turns[turn.id] = turn
            heapq.heappush(self._queue, (0 if urgent else 1, next(self._order), turn.id))
            self._cond.notify_all()

    def _has_audio(self, turn: EpisodeTurn) -> bool:
        path = self.episode.audio_path(turn)
        done = path is not None and path.is_file() and bool(turn.sentences)
        if done:
            self._done.add(turn.id)
        return done

    def wait(self, turn: EpisodeTurn, timeout: float | None = None) -> bool:
        """Block until ``turn`` has audio; ``False`` on timeout. Raises the synthesis error, if any."""
        with self._cond:
            ok = self._cond.wait_for(
                lambda: turn.id in self._done or turn.id in self._failed or self._has_audio(turn) or self._closed,
                timeout,
            )
            if turn.id in self._failed:
                raise self._failed[turn.id]
            return ok and (turn.id in self._done)

    def close(self) -> None:
        """Stop the worker (the turn being synthesised is finished first)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._closed)
                if self._closed:
                    return
                _, _, turn_id = heapq.heappop(self._queue)
                if turn_id in self._done:
                    continue
                turn = self._turns[turn_id]
            try:
                audio = render_turn(turn, self.voice_for(turn.speaker), self.episode.sample_rate)
                name = f"{AUDIO_DIR}/turn-{turn.id:05d}.wav"
                write_wav(self.episode.folder / name, audio, self.episode.sample_rate)  # type: ignore[operator]
                turn.audio = name
            except Exception as exc:  # noqa: BLE001 - reported to the player and the GUI, never lost
                log.exception("synthesis of turn %d failed", turn.id)
                with self._cond:
                    self._failed[turn.id] = exc
                    self._cond.notify_all()
                self.on_error(turn, exc)
                continue
            with self._cond:
                self._done.add(turn.id)
                self._cond.notify_all()
            self.on_ready(turn)
