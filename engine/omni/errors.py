"""Typed load errors with a human sentence and a next step."""

from __future__ import annotations

from engine.errors import NexusError


class ModelLoadError(NexusError):
    """The checkpoint could not be loaded (missing or unreadable files)."""


class WrongArchitecture(ModelLoadError):
    """The folder holds a model that is not a Qwen2.5-Omni thinker."""


class OutOfMemory(ModelLoadError):
    """The model does not fit the chosen device's memory."""


class CudaUnavailable(ModelLoadError):
    """CUDA was asked for but torch sees no GPU."""


class AdapterError(NexusError):
    """A LoRA adapter could not be loaded or switched."""
