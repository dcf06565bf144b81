"""Hot-swap PEFT LoRA adapters on a loaded thinker without reloading the base.

PEFT injects LoRA layers into the base model's own modules, so the engine keeps
calling the same model object; switching turns adapter layers on or off and
costs only the adapters' small matrices.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.omni.errors import AdapterError


class AdapterSet:
    """The adapters loaded on one base model, and which one (if any) is active."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self._peft: Any = None
        self.active: str | None = None

    @property
    def names(self) -> list[str]:
        """Names of the loaded adapters."""
        return list(self._peft.peft_config) if self._peft is not None else []

    def load(self, name: str, path: Path) -> None:
        """Load the adapter in ``path`` as ``name``; inactive until ``use``."""
        from peft import PeftModel

        if not (path / "adapter_config.json").is_file():
            raise AdapterError(
                f"{path} is not a LoRA adapter (no adapter_config.json).",
                "Choose the folder a fine-tune job wrote, which holds adapter_config.json and the weights.",
            )
        if name in self.names:
            raise AdapterError(f"An adapter called '{name}' is already loaded.", "Unload it first or pick another name.")
        try:
            if self._peft is None:
                self._peft = PeftModel.from_pretrained(self.model, str(path), adapter_name=name, is_trainable=False)
            else:
                self._peft.load_adapter(str(path), adapter_name=name, is_trainable=False)
        except (ValueError, KeyError, RuntimeError, OSError) as exc:
            raise AdapterError(
                f"The adapter in {path} does not fit this model: {exc}",
                "Use an adapter trained on the same base model.",
            ) from exc
        self.use(self.active)

    def use(self, name: str | None) -> None:
        """Answer with adapter ``name``, or with the base model when ``None``."""
        if name is not None and name not in self.names:
            raise AdapterError(f"No adapter called '{name}' is loaded.", "Load it first.")
        if self._peft is not None:
            if name is None:
                self._peft.base_model.disable_adapter_layers()
            else:
                self._peft.set_adapter(name)
                self._peft.base_model.enable_adapter_layers()
        self.active = name

    def unload(self, name: str) -> None:
        """Remove adapter ``name``; the base model answers afterwards if it was active."""
        if name not in self.names:
            raise AdapterError(f"No adapter called '{name}' is loaded.", "Nothing to unload.")
        if self.active == name:
            self.use(None)
        remaining = [n for n in self.names if n != name]
        if not remaining:
            # Deleting the last adapter would leave PEFT's wrapper pointing at a name it no longer
            # has (its next load_adapter fails with a KeyError on that name): take the LoRA layers
            # out of the base model instead, so the next load starts from the plain model again.
            self._peft.base_model.unload()
            self._peft = None
            self.active = None
            return
        self._peft.set_adapter(remaining[0])
        self._peft.delete_adapter(name)
        self.use(self.active)
