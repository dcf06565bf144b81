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
for LoRA training. gptqmodel compiles some CUDA kernels (Machete, Marlin,
ExLlama v2) with ``nvcc`` the first time they are used, which can take minutes;
the kernel is chosen and built before the weights are read (the ``progress``
stage "preparing GPTQ kernels"), and a kernel that cannot be chosen or built
is replaced by the next backend that works (CUDA: auto, then triton, then
torch; CPU: auto, then torch), which the log and ``LoadedThinker.kernel_note``
name. GPTQ thinkers run in float16 on CUDA (Qwen's recipe), unquantized ones
in bfloat16 (float16 on GPUs without bf16); on the CPU the checkpoint's dtype.

A failure names its cause: missing or damaged weight files, quantization
settings or dtypes nothing can run, a GPTQ kernel, memory, or else the
exception with the path of the log.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from engine import paths
from engine.omni.errors import (
    CorruptWeights,
    CudaUnavailable,
    GptqKernelError,
    ModelLoadError,
    OutOfMemory,
    UnsupportedDtype,
    WrongArchitecture,
)

log = logging.getLogger(__name__)

Layout = Literal["thinker", "official"]
Progress = Callable[[str], None]
THINKER_TYPE = "qwen2_5_omni_thinker"
OMNI_TYPE = "qwen2_5_omni"

STAGE_CONFIG = "reading config"
STAGE_KERNELS = "preparing GPTQ kernels (first use can take minutes)"
STAGE_WEIGHTS = "loading weights"
STAGE_PROCESSOR = "loading processor"

# Backends tried in turn when a GPTQ kernel cannot be chosen or built (gptqmodel 7.7 names).
_BACKENDS = {"cuda": ("auto", "triton", "torch"), "cpu": ("auto", "torch")}
_TRAINABLE_BACKENDS = ("auto_trainable", "torch")
_FLOAT_DTYPES = ("float16", "bfloat16", "float32")
_VERIFY_HINT = "Run `nexus-cli models verify` to find the damaged files, then download the model again."


@dataclass
class LoadedThinker:
    """A thinker ready to answer, with what it was loaded from and how.

    ``kernel`` is the class of the quantized linear layers actually in use
    (``TorchCpuAvx512Linear``, ``MarlinLinear``…; ``none`` when unquantized),
    ``attention`` the attention implementation, ``gptq_backend`` the backend
    asked of gptqmodel and ``kernel_note`` why it is not the first one tried.
    """

    model: Any
    processor: Any
    path: Path
    layout: Layout
    device: str
    dtype: str
    quantized: bool
    load_seconds: float
    kernel: str = "none"
    attention: str = ""
    gptq_backend: str = ""
    kernel_note: str = ""


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
        try:
            settings = json.loads(separate.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"{separate} cannot be read: {exc}.", "Download the model again.") from exc
        settings.setdefault("quant_method", "gptq")
        return settings
    return None


def _check_quantization(path: Path, quant: dict[str, Any]) -> None:
    """Refuse GPTQ settings that no kernel can run, naming the field."""
    hint = f"Download the model again, or correct quantization_config in {path / 'config.json'}."
    method = str(quant.get("quant_method", "gptq")).lower()
    if method != "gptq":
        raise ModelLoadError(
            f"{path} is quantized with '{method}', but Nexus loads only GPTQ checkpoints.",
            "Choose a GPTQ or unquantized Qwen2.5-Omni checkpoint.",
        )
    bits, group_size = quant.get("bits", 4), quant.get("group_size", 128)
    if bits not in (2, 3, 4, 8):
        raise ModelLoadError(f"{path}'s quantization_config has bits={bits!r}; GPTQ uses 2, 3, 4 or 8.", hint)
    if not isinstance(group_size, int) or not (group_size == -1 or group_size > 0):
        raise ModelLoadError(
            f"{path}'s quantization_config has group_size={group_size!r}; GPTQ uses -1 or a positive size.", hint
        )


def _config_dtypes(raw: dict[str, Any]) -> set[str]:
    """The dtypes named in config.json (top level and the thinker's sub-configs)."""
    found: set[str] = set()
    stack = [raw]
    while stack:
        node = stack.pop()
        for key, value in node.items():
            if key in ("dtype", "torch_dtype") and isinstance(value, str):
                found.add(value.removeprefix("torch."))
            elif isinstance(value, dict) and key.endswith("config") and key != "quantization_config":
                stack.append(value)
    return found


def _check_dtype(path: Path, raw: dict[str, Any]) -> None:
    """Refuse a config.json whose dtype is not a floating-point type torch can load."""
    bad = sorted(d for d in _config_dtypes(raw) if d not in (*_FLOAT_DTYPES, "auto"))
    if bad:
        raise UnsupportedDtype(
            f"{path / 'config.json'} asks for dtype {', '.join(bad)}, which the thinker cannot be loaded in.",
            "Set \"dtype\" to \"bfloat16\" or \"float16\" in config.json, or download the model again.",
        )


def _check_weight_files(path: Path) -> None:
    """Find missing shards and truncated safetensors files before transformers reads them.

    Only the headers are read: a shard listed in ``model.safetensors.index.json``
    must exist, and every file must be as long as its header says.
    """
    index = path / "model.safetensors.index.json"
    if index.is_file():
        try:
            shards = sorted(set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values()))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CorruptWeights(f"{index} cannot be read ({exc}).", _VERIFY_HINT) from exc
        missing = [name for name in shards if not (path / name).is_file()]
        if missing:
            raise CorruptWeights(
                f"{path} is missing {len(missing)} of its {len(shards)} weight files: {', '.join(missing[:3])}.",
                _VERIFY_HINT,
            )
        files = [path / name for name in shards]
    else:
        files = sorted(path.glob("*.safetensors"))
        if not files and not any(path.glob("*.bin")):
            raise CorruptWeights(
                f"{path} has no weight files (model.safetensors or model.safetensors.index.json).", _VERIFY_HINT
            )
    for file in files:
        _check_safetensors(file)


def _check_safetensors(file: Path) -> None:
    size = file.stat().st_size
    try:
        with file.open("rb") as handle:
            prefix = handle.read(8)
            length = int.from_bytes(prefix, "little") if len(prefix) == 8 else -1
            if length < 2 or 8 + length > size:
                raise ValueError("its header is cut off")
            header = json.loads(handle.read(length))
        end = max(
            (int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"),
            default=0,
        )
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise CorruptWeights(f"{file} is damaged: {exc}.", _VERIFY_HINT) from exc
    if 8 + length + end > size:
        raise CorruptWeights(
            f"{file} is truncated: {size:,} of {8 + length + end:,} bytes are there.", _VERIFY_HINT
        )


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


def _torch_dtype(target: str, quantized: bool) -> Any:
    """float16 for GPTQ on CUDA, bfloat16 (float16 without bf16) unquantized on CUDA, the checkpoint's on CPU."""
    import torch

    if target != "cuda":
        return "auto"
    if quantized:
        return torch.float16
    if torch.cuda.is_bf16_supported():
        return torch.bfloat16
    log.info("this GPU has no bfloat16; loading the thinker in float16")
    return torch.float16


def _from_gptq_stack(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it came from) was raised inside gptqmodel or optimum's GPTQ code."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for frame in traceback.extract_tb(current.__traceback__):
            name = frame.filename.replace("\\", "/")
            if "/gptqmodel/" in name or "/optimum/gptq/" in name:
                return True
        current = current.__cause__ or current.__context__
    return False


_DTYPE_PATTERN = re.compile(
    r"dtype|bfloat16|bf16|float16|\bhalf\b|not implemented for '(BFloat16|Half|Float8\w*)'", re.IGNORECASE
)


def _gptq_config(quant: dict[str, Any], backend: str) -> dict[str, Any]:
    return {**quant, "backend": backend}


def _prepare_kernel(quant: dict[str, Any], backend: str, device_map: str, dtype: Any) -> str:
    """Choose the GPTQ kernel gptqmodel will use for ``backend`` and build it now if it is compiled on first use.

    The choice is made by the same optimum call transformers makes, so it is the
    kernel the model will get; gptqmodel compiles Machete and ExLlama v2 while
    choosing, and Marlin here (otherwise it would build after the weights load).
    Raises what gptqmodel raises when no kernel fits or the build fails.
    """
    import torch
    from optimum.gptq import GPTQQuantizer
    from transformers import GPTQConfig

    quantizer = GPTQQuantizer.from_dict(GPTQConfig.from_dict(_gptq_config(quant, backend)).to_dict_optimum())
    quantizer.select_quant_linear(device_map=device_map, pack=False)
    kernel = quantizer.quant_linear
    if kernel.__name__ == "MarlinLinear":
        from gptqmodel.utils.marlin import marlin_runtime_available, marlin_runtime_error

        compute = dtype if isinstance(dtype, torch.dtype) else torch.float16
        if not marlin_runtime_available(compute):
            raise RuntimeError(f"the Marlin kernel could not be built: {marlin_runtime_error(compute)}")
    return str(kernel.__name__)


def _quantized_kernel(model: Any) -> str:
    """The class name(s) of the quantized linear layers in ``model``; ``none`` when there are none."""
    try:
        from gptqmodel.nn_modules.qlinear import BaseQuantLinear
    except ImportError:
        return "none"
    names = sorted({type(m).__name__ for m in model.modules() if isinstance(m, BaseQuantLinear)})
    return "+".join(names) or "none"


def explain_load_failure(exc: BaseException, path: Path, target: str, kernel: str = "") -> ModelLoadError:
    """A ``ModelLoadError`` that names the real cause of ``exc``, raised while loading ``path`` on ``target``.

    ``kernel`` is the GPTQ kernel (or backends) tried, when the model is quantized.
    """
    import torch
    from safetensors import SafetensorError

    text = f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc)
    if isinstance(exc, torch.OutOfMemoryError) or "out of memory" in text.lower():
        return OutOfMemory(
            f"The model does not fit in {target.upper()} memory ({exc}).",
            "Close other GPU programs, choose the 4-bit model, or run on CPU in Settings → Model.",
        )
    if isinstance(exc, SafetensorError) or "safetensors" in text.lower() or isinstance(exc, FileNotFoundError):
        return CorruptWeights(f"The weights in {path} cannot be read: {text}", _VERIFY_HINT)
    if "size mismatch" in text or "ignore_mismatched_sizes" in text:
        return CorruptWeights(
            f"The weights in {path} do not match its config.json (tensor shapes differ; for a GPTQ model, "
            "check bits and group_size in quantization_config).",
            _VERIFY_HINT,
        )
    if kernel and _from_gptq_stack(exc):
        return GptqKernelError(
            f"The GPTQ kernel failed on {target.upper()} ({kernel}): {text}",
            "Run on CPU in Settings → Model; on a GPU, `nexus-cli doctor` checks nvcc, which gptqmodel needs "
            "to build its faster kernels.",
        )
    if _DTYPE_PATTERN.search(text):
        return UnsupportedDtype(
            f"The model in {path} cannot run in this dtype on {target.upper()}: {text}",
            "Use float16 (the GPU may lack bfloat16): choose the 4-bit GPTQ model, which loads in float16, "
            "or run on CPU in Settings → Model.",
        )
    return ModelLoadError(
        f"The model in {path} could not be loaded: {text}",
        f"The log has the details: {paths.log_dir() / 'nexus.log'}.",
    )


def load_thinker(
    path: Path,
    device: str = "auto",
    trainable: bool = False,
    *,
    progress: Progress | None = None,
    gptq_backend: str | None = None,
) -> LoadedThinker:
    """Load the thinker and its processor from ``path``.

    ``device`` is ``auto``, ``cuda`` or ``cpu``. ``trainable`` loads GPTQ layers
    with gptqmodel's trainable kernels (for LoRA training). ``progress`` is
    called from this thread with each stage as it starts (``STAGE_*``: reading
    config, preparing GPTQ kernels, loading weights, loading processor).
    ``gptq_backend`` is the gptqmodel backend to try first (default ``auto``);
    the others of ``_BACKENDS`` follow when it fails. Raises a
    ``ModelLoadError`` subclass with a human message on failure.
    """
    import torch
    from transformers import Qwen2_5OmniConfig, Qwen2_5OmniProcessor, Qwen2_5OmniThinkerConfig
    from transformers import Qwen2_5OmniThinkerForConditionalGeneration

    def report(stage: str) -> None:
        log.info("loading %s: %s", path, stage)
        if progress is not None:
            progress(stage)

    started = time.perf_counter()
    path = Path(path).expanduser()
    report(STAGE_CONFIG)
    raw = _read_config(path)
    layout = detect_layout(path)
    target = _pick_device(device)
    quant = _quantization_settings(path, raw)
    if quant is not None:
        _check_quantization(path, quant)
        _ensure_cpu_workers()
    _check_dtype(path, raw)
    _check_weight_files(path)
    try:
        if layout == "official":
            config = Qwen2_5OmniConfig.from_pretrained(path).thinker_config
        else:
            config = Qwen2_5OmniThinkerConfig.from_pretrained(path)
    except Exception as exc:  # noqa: BLE001 - every failure is reported with its cause
        log.error("reading the config of %s failed", path, exc_info=exc)
        raise explain_load_failure(exc, path, target) from exc
    device_map = "cuda:0" if target == "cuda" else "cpu"
    dtype = _torch_dtype(target, quant is not None)
    kwargs: dict[str, Any] = {"config": config, "device_map": device_map, "dtype": dtype}

    backends: tuple[str, ...] = ("",)
    if quant is not None:
        chain = _TRAINABLE_BACKENDS if trainable else _BACKENDS[target]
        backends = tuple(dict.fromkeys((gptq_backend or chain[0], *chain)))
    failures: list[str] = []  # one "backend 'x' (why)" per backend that failed
    model = None
    backend = kernel = ""
    for backend in backends:
        if quant is not None:
            report(STAGE_KERNELS)
            try:
                kernel = _prepare_kernel(quant, backend, device_map, dtype)
            except Exception as exc:  # noqa: BLE001 - gptqmodel raises many types; each is a failed choice
                failures.append(f"backend '{backend}' ({exc})")
                log.warning("GPTQ backend '%s' cannot run on %s: %s", backend, target, exc)
                continue
            config.quantization_config = _gptq_config(quant, backend)
        report(STAGE_WEIGHTS)
        try:
            model = Qwen2_5OmniThinkerForConditionalGeneration.from_pretrained(path, **kwargs)
            break
        except Exception as exc:  # noqa: BLE001 - sorted into typed errors just below
            if quant is not None and _from_gptq_stack(exc) and not isinstance(exc, torch.OutOfMemoryError):
                failures.append(f"backend '{backend}' with {kernel} ({exc})")
                log.warning("GPTQ kernel %s (backend '%s') failed on %s", kernel, backend, target, exc_info=exc)
                continue
            log.error("loading %s on %s failed", path, target, exc_info=exc)
            raise explain_load_failure(exc, path, target, kernel) from exc
    if model is None:
        raise GptqKernelError(
            f"No GPTQ kernel can run {path.name} on {target.upper()}: " + "; ".join(failures) + ".",
            "Check bits and group_size in the quantization_config of its config.json"
            + (", or run on CPU in Settings → Model" if target == "cuda" else "")
            + "; `nexus-cli doctor` lists the GPTQ kernels of this machine.",
        )
    report(STAGE_PROCESSOR)
    try:
        processor = Qwen2_5OmniProcessor.from_pretrained(path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(
            f"The processor (tokenizer, image and audio preprocessing) in {path} cannot be loaded: {exc}",
            _VERIFY_HINT,
        ) from exc
    model.eval()
    loaded_dtype = str(next(model.parameters()).dtype).removeprefix("torch.")
    used_kernel = _quantized_kernel(model)
    attention = str(getattr(model.config, "_attn_implementation", None) or "eager")
    note = ""
    if quant is not None and failures:
        note = f"GPTQ backend '{backend}' ({used_kernel}) is in use because " + "; ".join(failures) + " failed"
        log.warning("%s", note)
    seconds = time.perf_counter() - started
    log.info(
        "loaded %s (%s layout, %s, %s, kernel %s, attention %s) in %.1fs",
        path,
        layout,
        target,
        loaded_dtype,
        used_kernel,
        attention,
        seconds,
    )
    return LoadedThinker(
        model,
        processor,
        path,
        layout,
        target,
        loaded_dtype,
        quant is not None,
        seconds,
        kernel=used_kernel,
        attention=attention,
        gptq_backend=backend if quant is not None else "",
        kernel_note=note,
    )
