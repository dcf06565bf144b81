"""The last stage of Generate: every turn's audio, made by one synthesizer at a time (no Qt).

The builder is run without its own audio stage because the episode may be
playing while it is written, and a playing ``PodcastSession`` synthesises
ahead with its own ``TurnSynthesizer``. Two synthesizers writing the same
turn file at once could leave a turn whose audio and sentence timings
disagree, so this stage makes the audio with the session's synthesizer while
one plays the episode (``lend``/``reclaim``) and with its own otherwise.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from engine.omni.turn import CancelToken
from engine.podcast.episode import Episode
from engine.podcast.outline import Cancelled
from engine.podcast.synthesis import TurnSynthesizer
from engine.speech.tts import PiperVoice

ProgressFn = Callable[[str, int, int], None]
_WAIT_S = 0.5
_RETRY_S = 0.05


class AudioStage:
    """Synthesises the turns of an episode that have no audio yet, in ``voices``."""

    def __init__(self, voices: Mapping[str, PiperVoice]) -> None:
        self.voices = dict(voices)
        self.episode: Episode | None = None
        self._lock = threading.Lock()
        self._own: TurnSynthesizer | None = None
        self._lent: TurnSynthesizer | None = None
        self._closed = False

    @property
    def lent(self) -> TurnSynthesizer | None:
        """The synthesizer a playing session lent, if any."""
        return self._lent

    def lend(self, synth: TurnSynthesizer) -> None:
        """Use ``synth`` (a session's, before it starts playing) instead of our own.

        Blocks until our own synthesizer has finished the turn it was making,
        so the two never write the same file.
        """
        with self._lock:
            own, self._own = self._own, None
            self._lent = synth
        if own is not None:
            own.close()

    def reclaim(self, synth: TurnSynthesizer) -> None:
        """The session that lent ``synth`` closed (its synthesizer has stopped): go on alone."""
        with self._lock:
            if self._lent is synth:
                self._lent = None

    def run(self, episode: Episode, progress: ProgressFn, cancel: CancelToken) -> None:
        """Make every turn's audio, reporting ``("audio", done, total)``; raises ``Cancelled``."""
        self.episode = episode
        turns = list(episode.turns)
        try:
            for index, turn in enumerate(turns):
                progress("audio", index, len(turns))
                while True:
                    if cancel.cancelled:
                        raise Cancelled("Episode generation was cancelled.")
                    synth = self._synthesizer()
                    synth.schedule(turn)
                    started = time.monotonic()
                    if synth.wait(turn, timeout=_WAIT_S):
                        break
                    if time.monotonic() - started < _RETRY_S:
                        # A lent synthesizer that was just closed answers at once; wait for ``reclaim``.
                        time.sleep(_RETRY_S)
            progress("audio", len(turns), len(turns))
        finally:
            self.close()

    def close(self) -> None:
        """Stop our own synthesizer (a lent one belongs to its session)."""
        with self._lock:
            own, self._own = self._own, None
            self._closed = True
        if own is not None:
            own.close()

    def _synthesizer(self) -> TurnSynthesizer:
        with self._lock:
            if self._lent is not None:
                return self._lent
            if self._own is None:
                if self._closed or self.episode is None:
                    raise Cancelled("Episode generation was cancelled.")
                self._own = TurnSynthesizer(self.episode, self.voices)
            return self._own
