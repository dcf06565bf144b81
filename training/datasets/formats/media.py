"""Copy or write the media of imported records into a dataset's ``media/`` tree.

A record names its media as file paths (LLaMA-Factory style), as embedded
bytes (``{"bytes": ..., "path": ...}`` from Hub parquet files), as decoded audio
(``{"array": ..., "sampling_rate": ...}``) or as a PIL image. Paths keep their
relative layout under ``media/`` so a schema → LLaMA-Factory → schema round trip
gives back the same paths; embedded data is stored content-addressed so that a
resumed download writes each file once.
"""

from __future__ import annotations

import hashlib
import io
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from training.datasets.formats.common import NormalizeError
from training.datasets.store import MEDIA_DIR

_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG", 0, ".png"), (b"\xff\xd8\xff", 0, ".jpg"), (b"GIF8", 0, ".gif"), (b"WEBP", 8, ".webp"),
    (b"WAVE", 8, ".wav"), (b"fLaC", 0, ".flac"), (b"OggS", 0, ".ogg"), (b"ID3", 0, ".mp3"),
    (b"ftyp", 4, ".mp4"), (b"\x1a\x45\xdf\xa3", 0, ".webm"), (b"BM", 0, ".bmp"),
)
_FALLBACK_SUFFIX = {"image": ".png", "audio": ".wav", "video": ".mp4"}


def sniff_suffix(data: bytes, kind: str, hint: str | None = None) -> str:
    """A file suffix for media bytes: from their magic number, else the hint's, else the kind's default."""
    for magic, offset, suffix in _MAGIC:
        if data[offset:offset + len(magic)] == magic:
            return suffix
    if hint and PurePosixPath(hint).suffix:
        return PurePosixPath(hint).suffix.lower()
    return _FALLBACK_SUFFIX.get(kind, ".bin")


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _safe_relative(value: str) -> str | None:
    """The posix relative form of ``value`` if it stays inside its root, else None."""
    parts = [part for part in value.replace("\\", "/").split("/") if part not in ("", ".")]
    if not parts or ".." in parts or ":" in parts[0]:
        return None
    if parts[0] == MEDIA_DIR and len(parts) > 1:
        parts = parts[1:]
    return "/".join(parts)


class MediaPlacer:
    """Puts media of imported records under ``<dataset_root>/media`` and returns their relative paths.

    ``search_roots`` are the folders relative paths are resolved against, in
    order (LLaMA-Factory resolves them against the dataset folder); embedded
    data and files from outside the roots go to ``media/<namespace>/<kind>/``.
    """

    def __init__(self, dataset_root: Path, *, search_roots: Sequence[Path] = (), namespace: str = "imported") -> None:
        self.dataset_root = Path(dataset_root)
        self.search_roots = [Path(root) for root in search_roots]
        self.namespace = namespace
        self._placed: dict[Path, str] = {}

    def place(self, kind: str, value: Any) -> str:
        """Store one media item of ``kind`` and return its path relative to the dataset root."""
        if isinstance(value, Mapping):
            if value.get("bytes"):
                return self._write_bytes(kind, bytes(value["bytes"]), value.get("path"))
            if value.get("array") is not None and value.get("sampling_rate"):
                return self._write_audio_array(kind, value["array"], int(value["sampling_rate"]))
            if isinstance(value.get("path"), str):
                return self._copy_path(kind, value["path"])
            raise NormalizeError(f"{kind} entry has neither bytes nor a path (keys: {sorted(value)})")
        if isinstance(value, (bytes, bytearray, memoryview)):
            return self._write_bytes(kind, bytes(value), None)
        if isinstance(value, str):
            return self._copy_path(kind, value)
        if hasattr(value, "save") and hasattr(value, "mode"):
            buffer = io.BytesIO()
            value.save(buffer, format="PNG")
            return self._write_bytes(kind, buffer.getvalue(), None)
        raise NormalizeError(f"{kind} entry of type {type(value).__name__} is not a path or media data")

    def _copy_path(self, kind: str, value: str) -> str:
        if "://" in value:
            raise NormalizeError(f"{kind} {value!r} is a remote address; media are not downloaded, give a local file")
        source, relative = self._resolve(value)
        if source is None:
            looked = ", ".join(str(root) for root in self.search_roots) or "no media folder was given"
            raise NormalizeError(f"{kind} file {value!r} not found (looked in: {looked})")
        if source in self._placed:
            return self._placed[source]
        if relative is None:
            relative = f"{self.namespace}/{kind}/{_file_sha256(source)[:12]}-{source.name}"
        target = self.dataset_root / MEDIA_DIR / relative
        if target.exists() and not self._same_file(source, target):
            relative = f"{self.namespace}/{kind}/{_file_sha256(source)[:12]}-{source.name}"
            target = self.dataset_root / MEDIA_DIR / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copyfile(source, target)
            except OSError as exc:
                target.unlink(missing_ok=True)
                raise NormalizeError(f"{kind} file {value!r} could not be copied: {exc.strerror or exc}") from exc
        placed = f"{MEDIA_DIR}/{relative}"
        self._placed[source] = placed
        return placed

    def _resolve(self, value: str) -> tuple[Path | None, str | None]:
        """The file a media path names, and its layout under media/ (None: not inside a root)."""
        candidate = Path(value).expanduser()
        if candidate.is_absolute():
            if not candidate.is_file():
                return None, None
            resolved = candidate.resolve()
            for root in self.search_roots:
                try:
                    return resolved, _safe_relative(resolved.relative_to(root.resolve()).as_posix())
                except ValueError:
                    continue
            return resolved, None
        for root in self.search_roots:
            path = root / value
            if path.is_file():
                return path.resolve(), _safe_relative(value)
        return None, None

    def _same_file(self, source: Path, target: Path) -> bool:
        if source.resolve() == target.resolve():
            return True
        return source.stat().st_size == target.stat().st_size and _file_sha256(source) == _file_sha256(target)

    def _write_bytes(self, kind: str, data: bytes, hint: Any) -> str:
        digest = hashlib.sha256(data).hexdigest()[:20]
        suffix = sniff_suffix(data, kind, hint if isinstance(hint, str) else None)
        relative = f"{self.namespace}/{kind}/{digest}{suffix}"
        target = self.dataset_root / MEDIA_DIR / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            partial.write_bytes(data)
            partial.replace(target)
        return f"{MEDIA_DIR}/{relative}"

    def _write_audio_array(self, kind: str, array: Any, sampling_rate: int) -> str:
        import numpy as np
        import soundfile

        buffer = io.BytesIO()
        soundfile.write(buffer, np.asarray(array, dtype=np.float32), sampling_rate, format="WAV")
        return self._write_bytes(kind, buffer.getvalue(), "audio.wav")
