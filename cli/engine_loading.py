"""Load the model engine for a CLI command: ``--server``, ``--model`` or what Settings choose.

Precedence: ``--server URL`` (an OpenAI-compatible server), then ``--model DIR``
(a thinker folder, in this process), then Settings → Model (its backend: the
configured server, or the configured thinker).
"""

from __future__ import annotations

import sys
from pathlib import Path

from engine.config import Settings


def model_folder(model: str | None, settings: Settings) -> Path:
    """``model`` when given, else the Settings model resolved in the local folder or the cache."""
    if model:
        return Path(model).expanduser()
    from engine.models import ModelManager

    return ModelManager(settings.folders.resolved_models_dir()).resolve(
        settings.model.model_id, settings.model.local_path
    )


def load_engine(settings: Settings, model: str | None = None, device: str | None = None,
                max_new_tokens: int | None = None, server: str | None = None,
                server_model: str | None = None):  # type: ignore[no-untyped-def]
    """The engine a command answers with; progress goes to stderr.

    A ``RemoteEngine`` for ``server`` (or for Settings' server when neither
    ``server`` nor ``model`` is given and Settings choose one), else a
    ``LocalEngine`` with the sampling settings of ``settings``. A server is
    checked before it is used: an unreachable one raises ``RemoteEngineError``.
    """
    if server or (not model and settings.model.backend == "server"):
        return _connect(settings, server, server_model, max_new_tokens)
    from engine.omni.loader import load_thinker
    from engine.omni.local import GenerationSettings, LocalEngine

    folder = model_folder(model, settings)
    device = device or settings.model.device
    print(f"loading {folder} on {device}…", file=sys.stderr, flush=True)
    generation = GenerationSettings(
        max_new_tokens=max_new_tokens or settings.model.max_new_tokens,
        temperature=settings.model.temperature,
        top_p=settings.model.top_p,
    )
    loaded = load_thinker(folder, device, progress=lambda stage: print(f"  {stage}…", file=sys.stderr, flush=True))
    return LocalEngine(loaded, generation)


def _connect(settings: Settings, server: str | None, server_model: str | None,
             max_new_tokens: int | None):  # type: ignore[no-untyped-def]
    from engine.remote.connect import connect_server, server_label

    url = server or settings.model.server_url
    name = server_model if server_model is not None else ("" if server else settings.model.server_model)
    if url.strip():
        print(f"connecting to {server_label(url, name)}…", file=sys.stderr)
    return connect_server(
        url,
        name,
        max_tokens=max_new_tokens or settings.model.max_new_tokens,
        temperature=settings.model.temperature,
        top_p=settings.model.top_p,
    )
