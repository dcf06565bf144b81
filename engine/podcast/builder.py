"""Generate: sources → notes → outline → script (chapter by chapter) → audio, into the episode library.

Each finished chapter is added to the episode and saved at once, so
playback can start on the first chapter while the rest is written, and a
crash or cancel keeps what was made. ``synthesize_all`` (the CLI's ``make``)
also renders every turn's audio before returning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict

from engine.omni.base import Engine
from engine.omni.turn import CancelToken
from engine.podcast.document import Source
from engine.podcast.episode import ChapterMark, Episode, EpisodeStore, EpisodeTurn, SourceInfo, save_sources
from engine.podcast.formats import EpisodeSpec, get_format, measure_words_per_minute, word_budget
from engine.podcast.outline import Cancelled, NotesCache, OutlineBuilder, all_refs, chapters_for
from engine.podcast.script import ScriptTurn
from engine.podcast.synthesis import TurnSynthesizer
from engine.podcast.writer import ScriptWriter
from engine.speech.tts import PiperVoice

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]


_RATES: dict[tuple[str, object], float] = {}


def voice_rate(voice: PiperVoice) -> float:
    """Words a minute of ``voice`` in its style, measured once per process."""
    key = (str(voice.files.onnx), voice.style)
    if key not in _RATES:
        _RATES[key] = measure_words_per_minute(voice.synthesize, voice.sample_rate)
    return _RATES[key]


def host_voices(spec: EpisodeSpec, voice_a: PiperVoice, voice_b: PiperVoice) -> dict[str, PiperVoice]:
    """Each host of the spec's format with its voice (a one-host format uses the first)."""
    hosts = get_format(spec.format).hosts
    return {host: (voice_a, voice_b)[i % 2] for i, host in enumerate(hosts)}


class EpisodeBuilder:
    """Makes one episode from sources; ``progress(stage, done, total)`` reports each stage."""

    def __init__(
        self,
        engine: Engine,
        store: EpisodeStore,
        notes_cache: NotesCache,
        voices: Mapping[str, PiperVoice],
        *,
        model_key: str = "model",
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
        on_chapter: Callable[[Episode], None] | None = None,
        attempts: int = 3,
    ) -> None:
        self.engine = engine
        self.store = store
        self.notes_cache = notes_cache
        self.voices = dict(voices)
        self.model_key = model_key
        self.progress = progress or (lambda stage, done, total: None)
        self.cancel = cancel or CancelToken()
        self.on_chapter = on_chapter or (lambda episode: None)
        self.attempts = attempts
        self.episode: Episode | None = None

    def build(self, sources: Sequence[Source], spec: EpisodeSpec, *, folder=None,
              synthesize_all: bool = False) -> Episode:
        """The finished episode (its status is ``ready``); raises on failure with the episode marked ``failed``."""
        fmt = get_format(spec.format)
        minutes = spec.target_minutes()
        first_voice = self.voices[fmt.hosts[0]]
        rates = [voice_rate(v) for v in {id(v): v for v in self.voices.values()}.values()]
        wpm = sum(rates) / len(rates)
        target = word_budget(minutes, wpm)
        title = sources[0].title if len(sources) == 1 else f"{sources[0].title} and {len(sources) - 1} more"
        episode = self.store.create(title, asdict(spec), folder)
        self.episode = episode
        episode.sources = [
            SourceInfo(s.path_or_url, s.title, s.kind, s.sha256, len(s.sections), {sec.ref: sec.title for sec in s.sections})
            for s in sources
        ]
        episode.words_per_minute = wpm
        episode.voices = {host: str(voice.files.onnx.name) for host, voice in self.voices.items()}
        episode.sample_rate = first_voice.sample_rate
        save_sources(episode, list(sources))
        episode.notes.append(f"Target {minutes:g} min = {target} words at {wpm:.0f} words/min.")
        self.store.save(episode)
        try:
            planner = OutlineBuilder(self.engine, self.notes_cache, model_key=self.model_key,
                                     progress=self.progress, cancel=self.cancel)
            notes = planner.notes(sources)
            outline = planner.outline(sources, notes, fmt, chapters_for(minutes), spec.language, spec.steer)
            if outline.origin == "headings":
                episode.notes.append("The outline follows the sources' headings (the model's outline was unusable).")
            episode.title = outline.title
            self.store.save(episode)

            streamed: set[int] = set()

            def mark(index: int) -> None:
                if len(episode.chapters) <= index:
                    chapter = outline.chapters[index]
                    episode.chapters.append(ChapterMark(chapter.title, len(episode.turns), chapter.points, chapter.refs))

            def add(index: int, turn: ScriptTurn) -> None:
                episode.turns.append(EpisodeTurn(episode.next_turn_id(), turn.speaker, turn.text, turn.refs, index))

            def publish_turn(index: int, turn: ScriptTurn) -> None:
                # The first chapter arrives turn by turn, so playback can start before it is finished.
                streamed.add(index)
                mark(index)
                add(index, turn)
                self.store.save(episode)
                self.on_chapter(episode)

            def publish(index: int, turns: list[ScriptTurn]) -> None:
                if index in streamed:
                    return
                mark(index)
                for turn in turns:
                    add(index, turn)
                self.store.save(episode)
                self.on_chapter(episode)

            writer = ScriptWriter(self.engine, fmt, language=spec.language, steer=spec.steer, attempts=self.attempts,
                                  cancel=self.cancel, on_chapter=publish, on_turn=publish_turn,
                                  progress=self.progress)
            result = writer.write(outline, notes, target, all_refs(sources))
            episode.notes.extend(result.notes)
            episode.notes.append(
                f"Script: {result.words} words ({result.length_ratio:.0%} of the target), "
                f"{result.repairs} repaired answer(s), {result.extended} extension(s), {result.trimmed} turn(s) trimmed."
            )
            if synthesize_all:
                self._synthesize(episode)
            episode.status = "ready"
            episode.writer = None
            self.store.save(episode)
            return episode
        except BaseException as exc:
            episode.status = "failed"
            episode.writer = None
            episode.notes.append(f"Generation stopped: {exc}")
            try:
                self.store.save(episode)
            except OSError as save_error:  # e.g. the disk is full: the next reader sees a stopped writer
                log.warning("could not record the failed episode in %s: %s", episode.folder, save_error)
            raise

    def _synthesize(self, episode: Episode) -> None:
        synth = TurnSynthesizer(episode, self.voices)
        try:
            for turn in episode.turns:
                synth.schedule(turn)
            for index, turn in enumerate(episode.turns):
                self.progress("audio", index, len(episode.turns))
                if self.cancel.cancelled:
                    break
                while not synth.wait(turn, timeout=0.5):
                    if self.cancel.cancelled:
                        raise Cancelled("Episode generation was cancelled.")
            self.progress("audio", len(episode.turns), len(episode.turns))
        finally:
            synth.close()
        self.store.save(episode)
