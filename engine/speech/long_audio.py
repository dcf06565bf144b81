"""Long recordings with bounded memory: decode a file in blocks and cut it into speech windows.

A three-hour file is 690 MB as 16 kHz float32 and several gigabytes once
Whisper has turned all of it into features, so nothing here holds more than
about a minute of audio: :func:`decode_blocks` decodes a file incrementally
with FFmpeg (PyAV), and :func:`speech_windows` runs Silero VAD (the model
faster-whisper ships) over a rolling buffer and hands out windows of speech,
cut where nobody speaks. Silence never reaches Whisper, which is where it
invents "you" and "Thank you".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
from faster_whisper.vad import VadOptions, get_speech_timestamps

from engine import feedback
from engine.speech.audio import WHISPER_RATE
from engine.speech.errors import AudioFileError

BLOCK_S = 10.0
# Speech is handed over once the buffer holds this much audio (Whisper reads 30 s at a time) …
WINDOW_S = 30.0
# … and an utterance still going on at the buffer's end may make it grow to this before it is cut.
MAX_WINDOW_S = 60.0
# Silence kept at the end of a window without speech, in case a word starts right there.
_TAIL_S = 1.0

SPEECH_VAD = VadOptions(
    threshold=0.5,
    min_speech_duration_ms=250,  # clicks and breaths are not words
    max_speech_duration_s=WINDOW_S,  # long talk is split at its short pauses
    min_silence_duration_ms=1000,
    speech_pad_ms=300,
)


def _open_error(path: Path, exc: Exception) -> AudioFileError:
    return AudioFileError(
        f"Could not decode {path}: {exc}.",
        "Convert it to WAV or FLAC (for example with ffmpeg -i FILE out.wav) and try again.",
    )


def audio_duration(path: str | Path) -> float | None:
    """The duration of the first audio stream in seconds, when the container says (else None)."""
    try:
        with av.open(str(path), mode="r") as container:
            stream = container.streams.audio[0] if container.streams.audio else None
            if stream is not None and stream.duration is not None and stream.time_base is not None:
                return float(stream.duration * stream.time_base)
            if container.duration is not None:
                return container.duration / av.time_base
    except (av.FFmpegError, OSError):
        return None
    return None


def decode_blocks(path: str | Path, sample_rate: int = WHISPER_RATE, block_s: float = BLOCK_S) -> Iterator[np.ndarray]:
    """Decode ``path`` to mono float32 at ``sample_rate`` Hz, yielding blocks of about ``block_s`` seconds.

    Only one block is held at a time, whatever the file's length. Raises
    ``AudioFileError`` when the file is missing, has no audio or cannot be
    decoded at all; a file damaged part-way is decoded up to the damage, with
    a warning through :mod:`engine.feedback`.
    """
    file = Path(path).expanduser()
    if not file.is_file():
        raise AudioFileError(f"The audio file {file} does not exist.", "Check the path and try again.")
    try:
        container = av.open(str(file), mode="r")
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise _open_error(file, exc) from exc
    with container:
        if not container.streams.audio:
            raise AudioFileError(
                f"{file} has no audio stream.", "Choose a file that contains sound (WAV, FLAC, MP3, M4A …)."
            )
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        wanted = max(1, int(block_s * sample_rate))
        pieces: list[np.ndarray] = []
        held = 0
        decoded = 0
        frames = container.decode(stream)
        while True:
            try:
                frame = next(frames, None)
                converted = resampler.resample(frame)
            except (av.FFmpegError, ValueError) as exc:
                if decoded + held == 0:
                    raise _open_error(file, exc) from exc
                feedback.warn(
                    f"{file.name} is damaged after {(decoded + held) / sample_rate:.0f} s: only the audio before "
                    "that was used. Convert or export the file again for the rest."
                )
                break
            for piece in converted:
                samples = piece.to_ndarray()[0]
                pieces.append(samples)
                held += samples.size
            while held >= wanted:
                block = np.concatenate(pieces)
                yield np.ascontiguousarray(block[:wanted], dtype=np.float32)
                decoded += wanted
                rest = block[wanted:]
                pieces, held = ([rest] if rest.size else []), int(rest.size)
            if frame is None:
                break
        if held:
            yield np.ascontiguousarray(np.concatenate(pieces), dtype=np.float32)
        elif decoded == 0:
            raise AudioFileError(
                f"{file} holds no audio samples (empty or cut short).", "Record or export the file again."
            )


@dataclass(frozen=True)
class SpeechWindow:
    """A stretch of a recording handed to Whisper.

    ``audio`` starts ``offset_s`` into the recording; ``speech`` lists the
    ``{"start", "end"}`` sample spans inside it where someone speaks (empty:
    only silence, nothing to transcribe).
    """

    offset_s: float
    audio: np.ndarray
    speech: list[dict[str, int]] = field(default_factory=list)

    @property
    def end_s(self) -> float:
        """Where the window ends in the recording, in seconds."""
        return self.offset_s + self.audio.size / WHISPER_RATE

    def speech_audio(self) -> np.ndarray:
        """The speech spans joined, as Whisper gets them."""
        if not self.speech:
            return np.zeros(0, np.float32)
        return np.concatenate([self.audio[span["start"] : span["end"]] for span in self.speech])


def speech_windows(
    blocks: Iterator[np.ndarray],
    window_s: float = WINDOW_S,
    max_window_s: float = MAX_WINDOW_S,
    vad: VadOptions = SPEECH_VAD,
) -> Iterator[SpeechWindow]:
    """Cut 16 kHz ``blocks`` into windows that end where nobody speaks, with their speech spans.

    The buffer is examined once it holds ``window_s`` seconds: finished
    utterances go out as one window and the utterance still going on at the
    end is kept for the next (unless the buffer reached ``max_window_s``).
    Memory stays at about ``max_window_s`` of audio plus one block.
    """
    rate = WHISPER_RATE
    buffer = np.zeros(0, np.float32)
    offset = 0  # samples of the recording before the buffer
    finished = False
    while not finished:
        block = next(blocks, None)
        if block is None:
            finished = True
        else:
            buffer = np.concatenate([buffer, block]) if buffer.size else block
            if buffer.size < window_s * rate:
                continue
        if buffer.size == 0:
            break
        spans = get_speech_timestamps(buffer, vad, sampling_rate=rate)
        if finished:
            cut, ready = buffer.size, spans
        else:
            # A span reaching the buffer's end is speech still going on (VAD closes it at the last sample).
            ready = [span for span in spans if span["end"] < buffer.size - rate // 10]
            ongoing = spans[len(ready)] if len(ready) < len(spans) else None
            if ready:
                cut = ready[-1]["end"]
            elif ongoing is not None:
                cut = ongoing["start"]
            else:
                cut = max(0, buffer.size - int(_TAIL_S * rate))
            if ongoing is not None and buffer.size >= max_window_s * rate and not ready:
                cut, ready = buffer.size, spans  # one utterance longer than any window: cut it here
        if cut > 0:
            yield SpeechWindow(offset / rate, buffer[:cut], [dict(span) for span in ready])
        offset += cut
        buffer = buffer[cut:].copy()
