"""Audio arrays for the speech layer: decode files to mono float32 and change sample rates.

Decoding tries libsndfile (WAV, FLAC, OGG, MP3 …) first and falls back to FFmpeg
through PyAV for everything else (M4A, WebM, video files). Resampling uses
FFmpeg's libswresample, which keeps the signal aligned (no filter delay).
"""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import soundfile as sf

from engine.speech.errors import AudioFileError, AudioFormatError

WHISPER_RATE = 16_000


def to_mono_float32(audio: np.ndarray) -> np.ndarray:
    """``audio`` as a contiguous 1-D float32 array in [-1, 1].

    Accepts 1-D arrays and 2-D ``(frames, channels)`` arrays (channels are
    averaged); int16 input is scaled by 1/32768.
    """
    array = np.asarray(audio)
    if array.ndim == 2:
        array = array.mean(axis=1) if array.shape[1] > 1 else array[:, 0]
    elif array.ndim != 1:
        raise AudioFormatError(
            f"Expected mono or (frames, channels) audio, got an array of shape {array.shape}.",
            "Pass a 1-D array of samples, or a 2-D array with one column per channel.",
        )
    if array.dtype == np.int16:
        return np.ascontiguousarray(array, dtype=np.float32) / np.float32(32768.0)
    return np.ascontiguousarray(array, dtype=np.float32)


def resample(audio: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Mono float32 ``audio`` converted from ``from_rate`` to ``to_rate`` Hz.

    The result has exactly ``round(len(audio) * to_rate / from_rate)`` samples
    and sample ``i`` of the input lands at ``i * to_rate / from_rate``.
    """
    mono = to_mono_float32(audio)
    if from_rate <= 0 or to_rate <= 0:
        raise AudioFormatError(
            f"Sample rates must be positive (got {from_rate} → {to_rate} Hz).",
            "Pass the rate the audio was recorded or synthesized at.",
        )
    if from_rate == to_rate or mono.size == 0:
        return mono.copy() if from_rate == to_rate else np.zeros(0, np.float32)
    resampler = av.AudioResampler(format="flt", layout="mono", rate=to_rate)
    frame = av.AudioFrame.from_ndarray(mono[None, :], format="flt", layout="mono")
    frame.sample_rate = from_rate
    pieces = resampler.resample(frame) + resampler.resample(None)
    out = np.concatenate([p.to_ndarray()[0] for p in pieces]) if pieces else np.zeros(0, np.float32)
    want = round(mono.size * to_rate / from_rate)
    if out.size >= want:
        return np.ascontiguousarray(out[:want], dtype=np.float32)
    return np.concatenate([out, np.zeros(want - out.size, np.float32)])


def _decode_with_av(path: Path, sample_rate: int | None) -> tuple[np.ndarray, int]:
    pieces: list[np.ndarray] = []
    with av.open(str(path), mode="r") as container:
        if not container.streams.audio:
            raise AudioFileError(
                f"{path} has no audio stream.", "Choose a file that contains sound (WAV, FLAC, MP3, M4A …)."
            )
        stream = container.streams.audio[0]
        rate = sample_rate or int(stream.rate or WHISPER_RATE)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        for frame in container.decode(stream):
            pieces.extend(converted.to_ndarray()[0] for converted in resampler.resample(frame))
        pieces.extend(converted.to_ndarray()[0] for converted in resampler.resample(None))
    audio = np.concatenate(pieces).astype(np.float32) if pieces else np.zeros(0, np.float32)
    return audio, rate


def load_audio(path: str | Path, sample_rate: int | None = WHISPER_RATE) -> tuple[np.ndarray, int]:
    """Decode ``path`` to mono float32 and return ``(samples, rate)``.

    With ``sample_rate`` set, the audio is resampled to it; with ``None`` the
    file's own rate is kept. Raises ``AudioFileError`` when the file is
    missing or neither libsndfile nor FFmpeg can decode it.
    """
    file = Path(path).expanduser()
    if not file.is_file():
        raise AudioFileError(f"The audio file {file} does not exist.", "Check the path and try again.")
    try:
        data, rate = sf.read(str(file), dtype="float32", always_2d=True)
        mono = to_mono_float32(data)
    except sf.SoundFileError:
        # libsndfile does not know the container (M4A, WebM, MP4 …): let FFmpeg decode it.
        try:
            return _decode_with_av(file, sample_rate)
        except av.FFmpegError as exc:
            raise AudioFileError(
                f"Could not decode {file}: {exc}.",
                "Convert it to WAV or FLAC (for example with ffmpeg -i FILE out.wav) and try again.",
            ) from exc
    if sample_rate is None or sample_rate == rate:
        return mono, int(rate)
    return resample(mono, int(rate), sample_rate), sample_rate


def write_wav_atomic(path: str | Path, audio: np.ndarray, sample_rate: int, subtype: str = "PCM_16") -> None:
    """Write ``audio`` as a WAV file that appears whole or not at all.

    The file is encoded in memory and written through ``engine.atomic``, so a
    full disk or a read-only folder raises ``OSError`` (with its errno) and
    leaves no empty or truncated WAV behind (libsndfile itself reports a full
    disk only as "System error").
    """
    from engine.atomic import write_bytes_atomic

    buffer = io.BytesIO()
    samples = np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0) if subtype.startswith("PCM") else audio
    sf.write(buffer, samples, sample_rate, subtype=subtype, format="WAV")
    write_bytes_atomic(Path(path), buffer.getvalue())
