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


class CorruptWeights(ModelLoadError):
    """Weight files are missing, truncated or do not match the config."""


class GptqKernelError(ModelLoadError):
    """No GPTQ kernel could be chosen, built or run for the checkpoint on the device."""


class UnsupportedDtype(ModelLoadError):
    """The checkpoint's dtype cannot be used (for example bfloat16 on a GPU without it)."""
