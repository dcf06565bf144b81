"""Shared fixtures: isolated folders for every test, Qt platform, tiny models."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Qt needs a platform before the first QApplication; scripts/test provides Xvfb.
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# gptqmodel needs its CPU worker count set on small machines; 1 fails its pool check.
os.environ.setdefault("GPTQMODEL_CPU_WORKERS", "2")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
# Built fixtures (tiny models) are cached across sessions here; deleting it is always safe.
FIXTURE_CACHE = Path(os.environ.get("NEXUS_TEST_CACHE", ROOT / ".nexus-test"))


@pytest.fixture(autouse=True)
def nexus_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    """Point config, cache, data and log folders at a fresh temporary tree."""
    dirs = {name: tmp_path / f"nexus-{name}" for name in ("config", "cache", "data", "log")}
    for name, path in dirs.items():
        monkeypatch.setenv(f"NEXUS_{name.upper()}_DIR", str(path))
    for key in list(os.environ):
        if key.startswith("NEXUS_") and "__" in key:
            monkeypatch.delenv(key)
    yield dirs


@pytest.fixture(scope="session")
def fixture_cache() -> Path:
    """Folder for fixtures that are expensive to build (kept between runs)."""
    FIXTURE_CACHE.mkdir(parents=True, exist_ok=True)
    return FIXTURE_CACHE


@pytest.fixture
def shots(tmp_path: Path) -> Callable[[str], Path]:
    """Where a test saves a screenshot: ``$NEXUS_SCREENSHOT_DIR`` when set (to look at them), else its tmp folder."""
    folder = Path(os.environ.get("NEXUS_SCREENSHOT_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return lambda name: folder / name


def pulse_available() -> bool:
    """Whether scripts/test started the private PulseAudio null sink."""
    return os.environ.get("NEXUS_TEST_PULSE") == "1"


needs_pulse = pytest.mark.skipif(not pulse_available(), reason="needs the PulseAudio null sink from scripts/test")
needs_display = pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs the Xvfb display from scripts/test")


@pytest.fixture(scope="session")
def tiny_thinker_dir(fixture_cache: Path) -> Path:
    """A tiny random Qwen2.5-Omni thinker checkpoint folder (bf16, real processor)."""
    from tests.tiny_omni import cached_tiny_thinker

    return cached_tiny_thinker(fixture_cache)


@pytest.fixture(scope="session")
def tiny_loaded(tiny_thinker_dir: Path):  # type: ignore[no-untyped-def]
    """The tiny thinker loaded once through the engine's loader."""
    from engine.omni.loader import load_thinker

    return load_thinker(tiny_thinker_dir, "cpu")
