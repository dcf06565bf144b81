"""Load a Qwen2.5-Omni thinker checkpoint (text out) on CUDA or CPU.

Two layouts are handled:

- *thinker*: ``config.json`` of ``model_type`` ``qwen2_5_omni_thinker`` and weights
  named as ``Qwen2_5OmniThinkerForConditionalGeneration.save_pretrained`` writes them.
- *official*: the Hugging Face releases (``Qwen/Qwen2.5-Omni-7B``, ``-3B``,
  ``-7B-GPTQ-Int4``): a full ``Qwen2_5OmniConfig`` with weights under ``thinker.*``
  (and ``talker.*``/``token2wav.*``, never loaded here). transformers strips the
  ``thinker.`` prefix itself, but it drops a top-level ``quantization_config``
  when given only the thinker config, which would silently load random 4-bit
  layers; we move the quantization settings (from ``config.json`` or a separate
  ``quantize_config.json``) onto the thinker config ourselves.

GPTQ checkpoints run through transformers + optimum + gptqmodel: its CPU kernels
on CPU, its CUDA kernels on a GPU, or its trainable kernels (``trainable=True``)
for LoRA training.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from engine.omni.errors import CudaUnavailable, ModelLoadError, OutOfMemory, WrongArchitecture

log = logging.getLogger(__name__)

Layout = Literal["thinker", "official"]
THINKER_TYPE = "qwen2_5_omni_thinker"
OMNI_TYPE = "qwen2_5_omni"


@dataclass
class LoadedThinker:
    """A thinker ready to answer, with what it was loaded from and how."""

    model: Any
    processor: Any
    path: Path
    layout: Layout
    device: str
    dtype: str
    quantized: bool
    load_seconds: float


def _read_config(path: Path) -> dict[str, Any]:
    config_file = path / "config.json"
    if not config_file.is_file():
        raise ModelLoadError(
            f"{path} has no config.json, so it is not a model checkpoint.",
            "Point Settings → Model → Local folder at the folder that holds config.json and the weights, "
            "or download the model with `nexus-cli models download`.",
        )
    try:
        return json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{config_file} cannot be read: {exc}.", "Download the model again.") from exc


def detect_layout(path: Path) -> Layout:
    """Which layout the checkpoint in ``path`` uses; raises for other architectures."""
    model_type = _read_config(path).get("model_type", "")
    if model_type == THINKER_TYPE:
        return "thinker"
    if model_type == OMNI_TYPE:
        return "official"
    raise WrongArchitecture(
        f"{path} holds a '{model_type or 'unknown'}' model, not a Qwen2.5-Omni thinker.",
        "Choose a Qwen2.5-Omni checkpoint (for example Qwen/Qwen2.5-Omni-7B-GPTQ-Int4).",
    )


def _quantization_settings(path: Path, config: dict[str, Any]) -> dict[str, Any] | None:
    """The GPTQ settings from config.json, or from quantize_config.json when kept apart."""
    if "quantization_config" in config:
        return dict(config["quantization_config"])
    separate = path / "quantize_config.json"
    if separate.is_file():
        settings = json.loads(separate.read_text(encoding="utf-8"))
        settings.setdefault("quant_method", "gptq")
        return settings
    return None


def _pick_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise CudaUnavailable(
            "Settings ask for the GPU (CUDA), but torch sees no CUDA device.",
            "Set Settings → Model → Run on to Automatic or CPU, or install the NVIDIA driver.",
        )
    return device


def _ensure_cpu_workers() -> None:
    # gptqmodel sizes its CPU thread pools from this; on small machines its own
    # default fails a pool check, on large ones it would take every core.
    if "GPTQMODEL_CPU_WORKERS" not in os.environ:
        os.environ["GPTQMODEL_CPU_WORKERS"] = str(max(2, min(8, (os.cpu_count() or 2) // 2)))


def load_thinker(path: Path, device: str = "auto", trainable: bool = False) -> LoadedThinker:
    """Load the thinker and its processor from ``path``.

    ``device`` is ``auto``, ``cuda`` or ``cpu``. ``trainable`` loads GPTQ layers
    with gptqmodel's trainable kernels (for LoRA training). Raises a
    ``ModelLoadError`` subclass with a human message on failure.
    """
    import torch
    from transformers import GPTQConfig, Qwen2_5OmniProcessor, Qwen2_5OmniThinkerForConditionalGeneration
    from transformers import Qwen2_5OmniConfig, Qwen2_5OmniThinkerConfig

    started = time.perf_counter()
    path = Path(path).expanduser()
    raw = _read_config(path)
    layout = detect_layout(path)
    target = _pick_device(device)
    quant = _quantization_settings(path, raw)
    if quant is not None:
        _ensure_cpu_workers()
    if layout == "official":
        full = Qwen2_5OmniConfig.from_pretrained(path)
        config = full.thinker_config
    else:
        config = Qwen2_5OmniThinkerConfig.from_pretrained(path)
    kwargs: dict[str, Any] = {"config": config, "device_map": "cuda:0" if target == "cuda" else "cpu"}
    if quant is not None:
        bits = int(quant.get("bits", 4))
        if trainable:
            kwargs["quantization_config"] = GPTQConfig(bits=bits, backend="auto_trainable")
            config.quantization_config = {**quant, "backend": "auto_trainable"}
        else:
            config.quantization_config = quant
        kwargs["dtype"] = "auto"
    else:
        kwargs["dtype"] = torch.bfloat16 if target == "cuda" else "auto"
    try:
        model = Qwen2_5OmniThinkerForConditionalGeneration.from_pretrained(path, **kwargs)
        processor = Qwen2_5OmniProcessor.from_pretrained(path)
    except torch.OutOfMemoryError as exc:
        raise OutOfMemory(
            f"The model does not fit in {target.upper()} memory ({exc}).",
            "Close other GPU programs, choose the 4-bit model, or run on CPU in Settings → Model.",
        ) from exc
    except (OSError, ValueError, KeyError) as exc:
        raise ModelLoadError(
            f"The model in {path} could not be loaded: {exc}",
            "Check that the download finished (`nexus-cli models verify`) or download it again.",
        ) from exc
    model.eval()
    dtype = str(next(model.parameters()).dtype).removeprefix("torch.")
    seconds = time.perf_counter() - started
    log.info("loaded %s (%s layout, %s, %s, quantized=%s) in %.1fs", path, layout, target, dtype, quant is not None, seconds)
    return LoadedThinker(model, processor, path, layout, target, dtype, quant is not None, seconds)
