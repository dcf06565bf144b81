"""The answer pipeline of a Live turn: generate → chunk into clauses → speak, and what was heard of it.

``AnswerPipeline.generate`` runs on its own thread per answer, streaming the
engine's text through the sentence chunker into the synthesis queue; one
long-lived thread (``run_synthesis``) turns queued chunks into audio for the
player. ``update_heard`` reads the player's per-chunk sample counts, so the
words kept in history are exactly those the user heard. The session owns the
decisions (when to start, cancel or finish an answer); this module only
produces and accounts for the sound.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.live.transcript import SpokenChunk, TranscriptEntry, heard_text
from engine.media.player import Player
from engine.omni.base import Engine
from engine.omni.turn import CancelToken, Turn, TurnStats
from engine.speech.chunker import SentenceChunker
from engine.speech.tts import PiperVoice

log = logging.getLogger(__name__)


@dataclass
class Answer:
    """One assistant answer in flight."""

    turn_id: int
    entry: TranscriptEntry
    cancel: CancelToken = field(default_factory=CancelToken)
    text: str = ""
    chunks: list[SpokenChunk] = field(default_factory=list)
    generated: threading.Event = field(default_factory=threading.Event)
    first_audio: threading.Event = field(default_factory=threading.Event)
    synthesized: threading.Event = field(default_factory=threading.Event)
    started_playing: bool = False
    error: BaseException | None = None


class AnswerPipeline:
    """Generates, speaks and accounts for answers; reports through the three callbacks."""

    def __init__(
        self,
        engine: Engine,
        voice: PiperVoice | None,
        player: Player | None,
        *,
        on_entry: Callable[[TranscriptEntry], None],
        on_error: Callable[[BaseException], None],
        on_stats: Callable[[TurnStats], None],
    ) -> None:
        self.engine = engine
        self.voice = voice
        self.player = player
        self.on_entry = on_entry
        self.on_error = on_error
        self.on_stats = on_stats
        self._queue: queue.Queue[tuple[Answer, str | None]] = queue.Queue()

    @property
    def speaks(self) -> bool:
        """Whether answers are spoken (a voice and a player), not only shown."""
        return self.voice is not None and self.player is not None

    def generate(self, answer: Answer, turn: Turn) -> None:
        """Stream the answer to ``turn`` into the synthesis queue (runs on its own thread)."""
        chunker = SentenceChunker()
        try:
            for delta in self.engine.stream(turn, answer.cancel):
                answer.text += delta
                for chunk in chunker.push(delta):
                    self._queue.put((answer, chunk))
            for chunk in chunker.flush():
                self._queue.put((answer, chunk))
        except Exception as exc:  # shown to the user; the conversation goes on
            answer.error = exc
            self.on_error(exc)
        finally:
            answer.generated.set()
            answer.first_audio.set()
            self._queue.put((answer, None))
            self.on_stats(self.engine.last_stats)

    def run_synthesis(self, running: threading.Event) -> None:
        """Turn queued chunks into audio for the player while ``running`` is set (a thread's target)."""
        while running.is_set():
            try:
                answer, chunk = self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
            if chunk is None:
                answer.synthesized.set()
                continue
            if answer.cancel.cancelled:
                continue
            self._speak(answer, chunk)

    def _speak(self, answer: Answer, chunk: str) -> None:
        voice, player = self.voice, self.player
        if voice is None or player is None:
            answer.chunks.append(SpokenChunk(chunk, 0))
            answer.entry.heard_text = " ".join(c.text for c in answer.chunks)
            answer.started_playing = True
            answer.first_audio.set()
            self.on_entry(answer.entry)
            return
        try:
            audio = voice.synthesize(chunk, output_rate=player.sample_rate)
        except Exception as exc:  # skip the chunk, keep talking
            log.warning("speech synthesis failed for %r: %s", chunk, exc)
            self.on_error(exc)
            return
        if answer.cancel.cancelled or audio.size == 0:
            return
        answer.chunks.append(SpokenChunk(chunk, int(audio.size)))
        player.enqueue(audio, tag=(answer.turn_id, len(answer.chunks) - 1))
        answer.first_audio.set()

    def update_heard(self, answer: Answer) -> None:
        """Bring the answer's heard text up to what the player has played."""
        player = self.player
        if player is None or not self.speaks:
            return
        chunks = list(answer.chunks)
        played = [player.played_samples((answer.turn_id, i)) for i in range(len(chunks))]
        if any(played):
            answer.started_playing = True
        heard = heard_text(chunks, played)
        if heard != answer.entry.heard_text:
            answer.entry.heard_text = heard
            self.on_entry(answer.entry)

    def played_out(self) -> bool:
        """Whether everything queued for the speaker has been played."""
        player = self.player
        if player is None or not self.speaks:
            return True
        return player.queued_samples == 0 and player.state in ("idle", "error")
