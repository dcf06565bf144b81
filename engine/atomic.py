"""Atomic file writes: write to a temporary sibling, fsync, then rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new file, never half.

    A failure (full disk, read-only folder) raises ``OSError`` with its errno
    and ``path`` as the file name (not the temporary sibling's), and leaves
    ``path`` as it was.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        renamed = _naming(exc, path)
        if renamed is exc:
            raise
        raise renamed from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        renamed = _naming(exc, path)
        if renamed is exc:
            raise
        raise renamed from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _naming(exc: OSError, path: Path) -> OSError:
    """``exc`` as the same kind of OSError naming ``path`` when it named the temporary sibling or nothing."""
    named = Path(exc.filename) if exc.filename is not None else None
    if exc.errno is None or (named is not None and named != path and not named.name.startswith(f".{path.name}.")):
        return exc  # it names something else (a parent folder that could not be made): keep that
    return OSError(exc.errno, exc.strerror or os.strerror(exc.errno), str(path))


def write_text_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with UTF-8 ``text`` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))
