"""Make sure a sound server is there for benchmarks that play audio.

Uses the running PulseAudio when ``pactl`` reaches one; otherwise starts a
private one with a null sink (its monitor is the default source), exactly as
``scripts/test`` does, and stops it at exit. Call before importing sounddevice.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import time


def _reachable() -> bool:
    return subprocess.run(["pactl", "info"], capture_output=True).returncode == 0


def ensure_sound_server() -> str:
    """Return a description of the sound server in use, starting a private one if needed."""
    if shutil.which("pactl") is None or shutil.which("pulseaudio") is None:
        raise SystemExit("This benchmark needs PulseAudio (apt-get install pulseaudio pulseaudio-utils).")
    if _reachable():
        return "running PulseAudio"
    runtime = tempfile.mkdtemp(prefix="nexus-bench-pulse-")
    os.environ["PULSE_RUNTIME_PATH"] = runtime
    subprocess.run(
        ["pulseaudio", "--daemonize=yes", "--exit-idle-time=-1", "-n",
         "--load=module-native-protocol-unix",
         "--load=module-null-sink sink_name=nexus_null",
         f"--log-target=file:{runtime}/pulse.log"],
        check=True, capture_output=True,
    )
    for _ in range(50):
        if _reachable():
            break
        time.sleep(0.1)
    subprocess.run(["pactl", "set-default-sink", "nexus_null"], check=True)
    subprocess.run(["pactl", "set-default-source", "nexus_null.monitor"], check=True)

    def stop() -> None:
        subprocess.run(["pulseaudio", "--kill"], capture_output=True)
        shutil.rmtree(runtime, ignore_errors=True)

    atexit.register(stop)
    return "private PulseAudio with a null sink"
