"""Load what the detail pane shows of a sample's media, in a worker thread.

Images become thumbnails (``QImageReader`` scales while decoding, so a big
photo never lands whole in memory), audio becomes its duration and a peak
envelope for the waveform, video its first frame and duration. ``QImage`` is
safe to build off the GUI thread; the pane turns it into a ``QPixmap`` there.
Each file's problem (missing, undecodable, outside the dataset) is kept on its
preview instead of failing the others.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QImageReader

THUMB_SIZE = 320
PEAK_BINS = 240
# Formats libsndfile cannot read are decoded with PyAV, up to this long, for the waveform and playback.
MAX_DECODED_S = 600.0


@dataclass
class MediaPreview:
    """One media file of a sample, ready to show."""

    kind: str
    path: Path
    type: str = ""
    image: QImage | None = None
    width: int = 0
    height: int = 0
    duration_s: float | None = None
    sample_rate: int | None = None
    channels: int | None = None
    peaks: np.ndarray | None = None
    fps: float | None = None
    error: str = ""

    @property
    def name(self) -> str:
        """The file name."""
        return self.path.name


def resolve_media(root: Path, relative: str) -> Path:
    """The file of a media reference; ValueError when it points outside the dataset."""
    if not relative or relative.startswith(("/", "\\")) or ":" in relative.split("/")[0]:
        raise ValueError(f"media path must be relative to the dataset: {relative!r}")
    root = Path(root).resolve()
    path = (root / relative).resolve()
    if root not in path.parents:
        raise ValueError(f"media path leaves the dataset: {relative!r}")
    return path


def media_refs(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    """``(kind, relative path, type)`` for each media entry of a raw sample dict."""
    modalities = data.get("modalities")
    if not isinstance(modalities, dict):
        return []
    refs = []
    for kind in ("image", "audio", "video"):
        for ref in modalities.get(kind) or []:
            if isinstance(ref, dict) and isinstance(ref.get("path"), str):
                refs.append((kind, ref["path"], str(ref.get("type", ""))))
    return refs


def _thumbnail(image: QImage) -> QImage:
    if max(image.width(), image.height()) <= THUMB_SIZE:
        return image
    return image.scaled(THUMB_SIZE, THUMB_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation)


def load_image(preview: MediaPreview) -> None:
    """Fill ``preview`` with a thumbnail of its image."""
    reader = QImageReader(str(preview.path))
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid():
        preview.width, preview.height = size.width(), size.height()
        if max(size.width(), size.height()) > THUMB_SIZE:
            reader.setScaledSize(size.scaled(THUMB_SIZE, THUMB_SIZE, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if image.isNull():
        preview.error = f"cannot decode the image ({reader.errorString()})"
        return
    preview.image = image


def peak_envelope(samples: np.ndarray, bins: int = PEAK_BINS) -> np.ndarray:
    """``(bins, 2)`` min/max of mono ``samples`` over equal spans."""
    if samples.size == 0:
        return np.zeros((0, 2), np.float32)
    per_bin = max(1, math.ceil(samples.size / bins))
    count = math.ceil(samples.size / per_bin)
    padded = np.zeros(count * per_bin, np.float32)
    padded[: samples.size] = samples
    spans = padded.reshape(count, per_bin)
    return np.stack([spans.min(axis=1), spans.max(axis=1)], axis=1)


def _decode_with_av(path: Path) -> tuple[np.ndarray, int]:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono")
        rate = stream.codec_context.sample_rate or 16_000
        parts: list[np.ndarray] = []
        total = 0
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunk = out.to_ndarray().reshape(-1)
                parts.append(chunk)
                total += chunk.size
            if total >= MAX_DECODED_S * rate:
                break
    return (np.concatenate(parts) if parts else np.zeros(0, np.float32)), rate


def read_audio(path: Path) -> tuple[np.ndarray, int]:
    """Up to ``MAX_DECODED_S`` of ``path`` as mono float32, and its rate (libsndfile, else PyAV)."""
    try:
        info = sf.info(str(path))
        frames = min(info.frames, int(MAX_DECODED_S * info.samplerate))
        data, rate = sf.read(str(path), frames=frames, dtype="float32", always_2d=True)
        return data.mean(axis=1), int(rate)
    except (sf.LibsndfileError, RuntimeError, TypeError):
        return _decode_with_av(path)


def load_audio(preview: MediaPreview) -> None:
    """Fill ``preview`` with the duration, rate, channels and peak envelope of its audio."""
    try:
        info = sf.info(str(preview.path))
    except (sf.LibsndfileError, RuntimeError, TypeError):
        try:
            samples, rate = _decode_with_av(preview.path)
        except Exception as exc:  # noqa: BLE001 - any decoder failure is shown on the preview
            preview.error = f"cannot decode the audio ({exc})"
            return
        preview.sample_rate, preview.channels = rate, 1
        preview.duration_s = samples.size / rate
        preview.peaks = peak_envelope(samples)
        return
    preview.sample_rate, preview.channels = int(info.samplerate), int(info.channels)
    preview.duration_s = info.frames / info.samplerate if info.samplerate else None
    per_bin = max(1, math.ceil(info.frames / PEAK_BINS))
    peaks: list[np.ndarray] = []
    # Whole bins per block, so a long recording is summarised without being held in memory.
    for block in sf.blocks(str(preview.path), blocksize=per_bin * 64, dtype="float32", always_2d=True):
        peaks.append(peak_envelope(block.mean(axis=1), math.ceil(block.shape[0] / per_bin)))
    preview.peaks = np.concatenate(peaks) if peaks else np.zeros((0, 2), np.float32)


def load_video(preview: MediaPreview) -> None:
    """Fill ``preview`` with the first frame, size, duration and frame rate of its video."""
    import av

    try:
        with av.open(str(preview.path)) as container:
            stream = container.streams.video[0]
            if stream.duration and stream.time_base:
                preview.duration_s = float(stream.duration * stream.time_base)
            elif container.duration:
                preview.duration_s = container.duration / av.time_base
            preview.fps = float(stream.average_rate) if stream.average_rate else None
            frame = next(container.decode(stream))
            pixels = np.ascontiguousarray(frame.to_ndarray(format="rgb24"))
    except Exception as exc:  # noqa: BLE001 - any decoder failure is shown on the preview
        preview.error = f"cannot decode the video ({exc})"
        return
    height, width = pixels.shape[:2]
    preview.width, preview.height = width, height
    image = QImage(pixels.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
    preview.image = _thumbnail(image)


_LOADERS = {"image": load_image, "audio": load_audio, "video": load_video}


def load_previews(root: Path, data: dict[str, Any]) -> list[MediaPreview]:
    """The previews of every media file of the raw sample ``data`` (worker thread)."""
    previews = []
    for kind, relative, media_type in media_refs(data):
        try:
            path = resolve_media(root, relative)
        except ValueError as exc:
            previews.append(MediaPreview(kind, Path(relative), media_type, error=str(exc)))
            continue
        preview = MediaPreview(kind, path, media_type)
        if not path.is_file():
            preview.error = f"file missing: {relative}"
        else:
            _LOADERS[kind](preview)
        previews.append(preview)
    return previews


def load_files(files: list[tuple[str, Path]]) -> list[MediaPreview]:
    """Previews of absolute files (e.g. a session's frame and utterance), skipping missing ones."""
    previews = []
    for kind, path in files:
        preview = MediaPreview(kind, Path(path))
        if Path(path).is_file():
            _LOADERS[kind](preview)
        else:
            preview.error = f"file missing: {path}"
        previews.append(preview)
    return previews
