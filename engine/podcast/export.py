"""Export an episode: one WAV and one MP3 of everything heard, a Markdown transcript and chapter marks.

The audio is the turns' own WAV files joined in the order they were heard
(interactions included, unless left out), so the exported duration is exactly
the sum of the turns. Chapters are written as an FFmpeg metadata file (which
``ffmpeg -i episode.mp3 -i chapters.txt -map_metadata 1`` embeds) and as
timestamps in the transcript.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from engine.atomic import write_text_atomic
from engine.errors import NexusError
from engine.podcast.episode import LISTENER, Episode, EpisodeTurn
from engine.speech.audio import resample


class ExportError(NexusError):
    """An episode that cannot be exported yet (turns without audio) or a folder that cannot be written."""


@dataclass(frozen=True)
class ExportResult:
    """The files written and the length of the audio."""

    wav: Path | None
    mp3: Path | None
    transcript: Path
    chapters: Path
    duration_s: float


def _stamp(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes:02d}:{secs:02d}"



def _turn_audio(episode: Episode, turn: EpisodeTurn) -> np.ndarray:
    path = episode.audio_path(turn)
    if path is None or not path.is_file():
        raise ExportError(
            f"Turn {turn.id} ({turn.speaker}) has no audio yet.",
            "Play the episode to the end or run `nexus-cli podcast make` so every turn is synthesised, then export.",
        )
    audio, rate = sf.read(path, dtype="float32", always_2d=False)
    return audio if rate == episode.sample_rate else resample(audio, rate, episode.sample_rate)


def export_episode(episode: Episode, out_dir: Path, *, wav: bool = True, mp3: bool = True,
                   include_interactions: bool = True) -> ExportResult:
    """Write ``<name>.wav``, ``<name>.mp3``, ``<name>.md`` and ``<name>.chapters.txt`` into ``out_dir``."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"Cannot create {out_dir}: {exc.strerror}.") from exc
    name = episode.id
    rate = episode.sample_rate
    pieces: list[np.ndarray] = []
    starts: dict[int, float] = {}
    position = 0
    lines = [f"# {episode.title}", "", f"*{episode.created} · {episode.spec.get('format', '')}*", ""]
    chapter_starts = {mark.first_turn: mark.title for mark in episode.chapters}
    script_index = {turn.id: i for i, turn in enumerate(episode.turns)}
    for turn in (episode.timeline() if include_interactions else episode.turns):
        index = script_index.get(turn.id)
        if index is not None and index in chapter_starts:
            lines += [f"## {chapter_starts[index]}", ""]
        starts[turn.id] = position / rate
        has_sound = not (turn.kind == "question" and turn.audio is None)
        if has_sound:
            audio = _turn_audio(episode, turn)
            pieces.append(audio)
            position += audio.size
        refs = f" *({'; '.join(turn.refs)})*" if turn.refs else ""
        who = f"**{turn.speaker}**" if turn.speaker != LISTENER else "**Listener** (joined)"
        lines += [f"[{_stamp(starts[turn.id])}] {who}: {turn.text}{refs}", ""]
    audio = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    duration = audio.size / rate
    wav_path = mp3_path = None
    if wav:
        wav_path = out_dir / f"{name}.wav"
        _write_audio(wav_path, audio, rate, "WAV", "PCM_16")
    if mp3:
        mp3_path = out_dir / f"{name}.mp3"
        _write_audio(mp3_path, audio, rate, "MP3", "MPEG_LAYER_III")
    transcript = out_dir / f"{name}.md"
    write_text_atomic(transcript, "\n".join(lines))
    chapters = out_dir / f"{name}.chapters.txt"
    write_text_atomic(chapters, _ffmetadata(episode, starts, duration))
    return ExportResult(wav_path, mp3_path, transcript, chapters, duration)


def _write_audio(path: Path, audio: np.ndarray, rate: int, fmt: str, subtype: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        sf.write(tmp, np.clip(audio, -1.0, 1.0), rate, format=fmt, subtype=subtype)
        os.replace(tmp, path)
    except (OSError, sf.LibsndfileError) as exc:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"Cannot write {path}: {exc}.") from exc


def _ffmetadata(episode: Episode, starts: dict[int, float], duration: float) -> str:
    lines = [";FFMETADATA1", f"title={episode.title}", ""]
    marks = [(starts.get(episode.turns[m.first_turn].id, 0.0), m.title) for m in episode.chapters
             if m.first_turn < len(episode.turns)]
    for i, (start, title) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else duration
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={int(start * 1000)}", f"END={int(end * 1000)}",
                  f"title={title}", ""]
    return "\n".join(lines)
