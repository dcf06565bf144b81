"""Hot-swap PEFT LoRA adapters on a loaded thinker without reloading the base.

Uses transformers' PEFT integration on the model itself (``load_adapter``,
``set_adapter``, ``disable_adapters``), so the base weights stay in memory and
switching costs only the adapter's small matrices.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.omni.errors import AdapterError


def loaded_adapters(model: Any) -> list[str]:
    """Names of adapters loaded on ``model``."""
    config = getattr(model, "peft_config", None) or {}
    return list(config)


def load_adapter(model: Any, name: str, path: Path) -> None:
    """Load the adapter in ``path`` under ``name``; it is inactive until ``use_adapter``."""
    if not (path / "adapter_config.json").is_file():
        raise AdapterError(
            f"{path} is not a LoRA adapter (no adapter_config.json).",
            "Choose the folder a fine-tune job wrote, which holds adapter_config.json and the weights.",
        )
    if name in loaded_adapters(model):
        raise AdapterError(f"An adapter called '{name}' is already loaded.", "Unload it first or pick another name.")
    try:
        model.load_adapter(str(path), adapter_name=name)
    except (ValueError, KeyError, RuntimeError, OSError) as exc:
        raise AdapterError(
            f"The adapter in {path} does not fit this model: {exc}",
            "Use an adapter trained on the same base model.",
        ) from exc
    model.disable_adapters()


def use_adapter(model: Any, name: str | None) -> None:
    """Activate adapter ``name``, or the base model when ``None``."""
    if name is None:
        if loaded_adapters(model):
            model.disable_adapters()
        return
    if name not in loaded_adapters(model):
        raise AdapterError(f"No adapter called '{name}' is loaded.", "Load it first.")
    model.set_adapter(name)
    model.enable_adapters()


def unload_adapter(model: Any, name: str) -> None:
    """Remove adapter ``name``; the base model answers afterwards if it was active."""
    if name not in loaded_adapters(model):
        raise AdapterError(f"No adapter called '{name}' is loaded.", "Nothing to unload.")
    model.delete_adapter(name)
    if loaded_adapters(model):
        model.disable_adapters()
