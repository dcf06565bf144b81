"""Private by default: what every Nexus process sets before it does anything else.

* Files and folders it creates are the user's alone (umask 077: files 0600,
  folders 0700 on POSIX): sessions, episodes, datasets, jobs, logs, settings.
* No library phones home. onnxruntime 1.32 (Piper voices, Silero VAD, the
  turn model) keeps a device id and an event database in the user cache
  folder and looks up Microsoft's collector a few seconds after its first
  session unless ``ORT_DISABLE_TELEMETRY`` is set before it loads (its
  ``disable_telemetry_events()`` alone does not stop the look-up); the Hugging
  Face libraries send usage pings on downloads. Model downloads and a
  configured model server are the only network traffic, and only when the
  user asked.

``make_private`` is called first thing by the app, ``nexus-cli`` and the
fine-tune runner process. Every module that uses onnxruntime imports this one
before it, and calls ``quiet_onnxruntime`` before creating a session, so the
guarantee holds however it is reached (tests, benches, library use).
"""

from __future__ import annotations

import os

PRIVATE_UMASK = 0o077

# Read by onnxruntime's native library when it loads: set on import, before anyone imports it.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

_NO_TELEMETRY_ENV = {
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "DO_NOT_TRACK": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
}


def quiet_onnxruntime() -> None:
    """Turn off onnxruntime's telemetry events (must run before its first session)."""
    import onnxruntime

    onnxruntime.disable_telemetry_events()


def make_private() -> None:
    """Private file modes for everything this process creates, and no telemetry from its libraries."""
    if os.name == "posix":
        os.umask(PRIVATE_UMASK)
    for key, value in _NO_TELEMETRY_ENV.items():
        os.environ.setdefault(key, value)
    quiet_onnxruntime()
