"""Load the model engine for a CLI command: ``--model`` folder or the one chosen in Settings."""

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
                max_new_tokens: int | None = None):  # type: ignore[no-untyped-def]
    """A ``LocalEngine`` with the sampling settings of ``settings``; progress goes to stderr."""
    from engine.omni.loader import load_thinker
    from engine.omni.local import GenerationSettings, LocalEngine

    folder = model_folder(model, settings)
    device = device or settings.model.device
    print(f"loading {folder} on {device}…", file=sys.stderr)
    generation = GenerationSettings(
        max_new_tokens=max_new_tokens or settings.model.max_new_tokens,
        temperature=settings.model.temperature,
        top_p=settings.model.top_p,
    )
    return LocalEngine(load_thinker(folder, device), generation)
