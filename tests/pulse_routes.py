"""Two null sinks on the test PulseAudio: one is the speaker, the other feeds the microphone.

The app plays into ``nexus_speaker`` and records ``nexus_mic.monitor``; a test
"speaks into the microphone" by playing into ``nexus_mic``. With ``echo=True``
a loopback carries the speaker back into the microphone, delayed and quieter,
like a laptop's speakers heard by its own microphone.
"""

from __future__ import annotations

import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import soundfile as sf


def pactl(*args: str) -> str:
    """Run pactl and return its output."""
    return subprocess.run(["pactl", *args], check=True, capture_output=True, text=True).stdout.strip()


@contextmanager
def speaker_and_mic(echo: bool = False, echo_delay_ms: int = 40, echo_volume: str = "50%") -> Iterator[None]:
    """Route the default sink/source through two fresh null sinks while the block runs."""
    old_sink, old_source = pactl("get-default-sink"), pactl("get-default-source")
    modules = [
        pactl("load-module", "module-null-sink", "sink_name=nexus_speaker"),
        pactl("load-module", "module-null-sink", "sink_name=nexus_mic"),
    ]
    try:
        pactl("set-default-sink", "nexus_speaker")
        pactl("set-default-source", "nexus_mic.monitor")
        if echo:
            module = pactl(
                "load-module", "module-loopback", "source=nexus_speaker.monitor", "sink=nexus_mic",
                f"latency_msec={echo_delay_ms}", "source_dont_move=true", "sink_dont_move=true",
            )
            modules.append(module)
            pactl("set-sink-input-volume", loopback_input(module), echo_volume)
        yield
    finally:
        pactl("set-default-sink", old_sink)
        pactl("set-default-source", old_source)
        for module in reversed(modules):
            pactl("unload-module", module)


def loopback_input(module: str) -> str:
    """The sink-input index that a loopback module owns."""
    current = None
    for line in pactl("list", "sink-inputs").splitlines():
        line = line.strip()
        if line.startswith("Sink Input #"):
            current = line.removeprefix("Sink Input #")
        elif line == f"Owner Module: {module}" and current is not None:
            return current
    raise RuntimeError(f"no sink input belongs to module {module}")


def say_into_mic(audio: np.ndarray, rate: int = 16_000, wait: bool = True) -> threading.Thread | None:
    """Play ``audio`` into the microphone sink (a person talking)."""
    handle = tempfile.NamedTemporaryFile(suffix=".wav", delete=False)
    handle.close()
    sf.write(handle.name, np.asarray(audio, dtype=np.float32), rate)

    def play() -> None:
        subprocess.run(["paplay", "--device=nexus_mic", handle.name], check=True)
        Path(handle.name).unlink(missing_ok=True)

    if wait:
        play()
        return None
    thread = threading.Thread(target=play, daemon=True)
    thread.start()
    return thread
