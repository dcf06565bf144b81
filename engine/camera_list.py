"""Which cameras this computer has, found without opening any of them.

Opening a camera to see whether it exists would switch its light on before
the user pressed Start, so on Linux the cameras are read from sysfs
(``/sys/class/video4linux``): every ``videoN`` node with stream index 0 is
a camera's picture stream (the other nodes of a device carry metadata).
Elsewhere there is nothing to read without opening a device, so the first
camera is offered as "maybe there"; ``exact`` says which answer was given.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

SYSFS = Path("/sys/class/video4linux")


@dataclass(frozen=True)
class Camera:
    """A camera: the OpenCV device index (``N`` of ``/dev/videoN``) and the name its driver gives."""

    index: int
    name: str


@dataclass(frozen=True)
class CameraList:
    """The cameras found; ``exact`` is False where the list is a guess (no way to look without opening)."""

    cameras: tuple[Camera, ...]
    exact: bool


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def list_cameras(sysfs: Path = SYSFS) -> CameraList:
    """The cameras present, without opening any (Linux: from sysfs; elsewhere: camera 0, unconfirmed)."""
    if not sys.platform.startswith("linux"):
        return CameraList((Camera(0, "Camera 0"),), exact=False)
    found: list[Camera] = []
    if sysfs.is_dir():
        for node in sysfs.iterdir():
            match = re.fullmatch(r"video(\d+)", node.name)
            if match is None:
                continue
            if _read(node / "index") not in ("", "0"):
                continue  # a metadata stream of a camera listed under its first node
            index = int(match.group(1))
            found.append(Camera(index, _read(node / "name") or f"Camera {index}"))
    return CameraList(tuple(sorted(found, key=lambda camera: camera.index)), exact=True)
