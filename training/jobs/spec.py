"""A fine-tune job as data: what to train, on what, how, and where the result goes.

Specs are YAML files (``job.yaml`` in the job's folder) validated by pydantic.
``check_spec`` catches impossible combinations before anything starts, each
with a sentence saying what to change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from engine.atomic import write_text_atomic
from engine.errors import NexusError

Method = Literal["lora_sft", "dpo"]
Distributed = Literal["none", "ddp", "zero2", "zero3", "fsdp"]
Schedule = Literal["linear", "cosine", "constant", "constant_with_warmup"]
# Adam moves every weight by about the learning rate per step: far above 1e-3 a LoRA run diverges.
MAX_LEARNING_RATE = 1.0
LLM_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class SpecError(NexusError):
    """A job spec that cannot run; the message says what to change."""


class LoraSettings(BaseModel):
    """The LoRA adapter's shape."""

    model_config = ConfigDict(extra="forbid")

    rank: int = Field(default=16, ge=1, le=1024)
    alpha: int = Field(default=32, ge=1, le=4096)
    dropout: float = Field(default=0.05, ge=0.0, lt=1.0)
    target_modules: list[str] = Field(default_factory=lambda: list(LLM_TARGETS))


class JobSpec(BaseModel):
    """Everything a fine-tune job needs. Paths may be relative to the spec file."""

    model_config = ConfigDict(extra="forbid")

    name: str = "fine-tune"
    base_model: str
    method: Method = "lora_sft"
    lora: LoraSettings = Field(default_factory=LoraSettings)
    freeze_vision_tower: bool = True
    freeze_audio_tower: bool = True
    datasets: list[str] = Field(min_length=1)
    train_split: str = "train"
    eval_split: str | None = "val"
    max_length: int = Field(default=2048, ge=32, le=1_048_576)
    batch_size: int = Field(default=1, ge=1, le=4096)
    gradient_accumulation: int = Field(default=8, ge=1, le=4096)
    learning_rate: float = Field(default=2e-4, gt=0)
    schedule: Schedule = "cosine"
    warmup_ratio: float = Field(default=0.03, ge=0, lt=1)
    epochs: float = Field(default=1.0, gt=0, le=1000)
    max_steps: int | None = Field(default=None, ge=1)
    eval_every: int = Field(default=50, ge=1)
    save_every: int = Field(default=50, ge=1)
    seed: int = 42
    dpo_beta: float = Field(default=0.1, gt=0, le=100)
    device: Literal["auto", "cuda", "cpu"] = "auto"
    gpus: int = Field(default=1, ge=1)
    distributed: Distributed = "none"
    merge_adapter: bool = False
    max_samples: int | None = Field(default=None, ge=1)

    @field_validator("learning_rate")
    @classmethod
    def _trainable_rate(cls, value: float) -> float:
        if not value <= MAX_LEARNING_RATE:
            raise ValueError(
                f"a learning rate of {value:g} makes training diverge (the loss becomes NaN); "
                f"LoRA trains at 1e-5 to 1e-3, and Nexus accepts at most {MAX_LEARNING_RATE:g}"
            )
        return value

    @model_validator(mode="after")
    def _sensible(self) -> "JobSpec":
        if self.gpus > 1 and self.distributed == "none":
            self.distributed = "ddp"
        return self

    def to_yaml(self) -> str:
        """The spec as YAML."""
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def load_spec(path: Path) -> JobSpec:
    """Read and validate a YAML spec (SpecError naming the field otherwise)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"No job spec at {path}.") from None
    except yaml.YAMLError as exc:
        raise SpecError(f"{path} is not valid YAML: {exc}.") from exc
    if not isinstance(data, dict):
        raise SpecError(f"{path} must hold a mapping of settings, not {type(data).__name__}.")
    try:
        return JobSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "spec"
        raise SpecError(f"{path}: {where}: {first['msg']}.", f"{len(exc.errors())} problem(s) in all.") from exc


def save_spec(spec: JobSpec, path: Path) -> None:
    """Write the spec atomically."""
    write_text_atomic(Path(path), spec.to_yaml())


def is_gptq_checkpoint(model_dir: Path) -> bool:
    """Whether ``model_dir`` holds a GPTQ-quantised checkpoint."""
    import json

    for name in ("quantize_config.json", "quant_config.json"):
        if (model_dir / name).is_file():
            return True
    config = model_dir / "config.json"
    if config.is_file():
        data = json.loads(config.read_text(encoding="utf-8"))
        quant = data.get("quantization_config") or data.get("thinker_config", {}).get("quantization_config")
        return bool(quant) and str(quant.get("quant_method", "gptq")).lower() == "gptq"
    return False


def _wrong_kind(model_dir: Path) -> str:
    """Why ``model_dir`` is not a Qwen2.5-Omni thinker (empty when it is one)."""
    from engine.omni.errors import ModelLoadError
    from engine.omni.loader import detect_layout

    try:
        detect_layout(model_dir)
    except ModelLoadError as exc:
        return f"{exc.message} {exc.hint}".strip()
    return ""


def check_spec(spec: JobSpec, *, cuda_devices: int | None = None) -> list[str]:
    """Reasons the job cannot run as specified (empty when it can)."""
    problems: list[str] = []
    model_dir = Path(spec.base_model).expanduser()
    if not (model_dir / "config.json").is_file():
        problems.append(f"The base model folder {model_dir} has no config.json; download the model or fix the path.")
        gptq = False
    else:
        gptq = is_gptq_checkpoint(model_dir)
        kind = _wrong_kind(model_dir)
        if kind:
            problems.append(kind)
    if gptq and spec.merge_adapter:
        problems.append("An adapter cannot be merged into a GPTQ-Int4 base; keep it separate or train on the bf16 model.")
    if gptq and spec.distributed in ("zero3", "fsdp"):
        problems.append(f"{spec.distributed.upper()} cannot shard a GPTQ-quantised base; use DDP or ZeRO-2.")
    if spec.distributed != "none" and spec.gpus < 2:
        problems.append(f"Distributed mode '{spec.distributed}' needs at least 2 GPUs; set gpus or use 'none'.")
    if spec.gpus > 1:
        if spec.device == "cpu":
            problems.append("Several GPUs were asked for with device 'cpu'.")
        elif cuda_devices is not None and cuda_devices < spec.gpus:
            problems.append(f"{spec.gpus} GPUs were asked for but {cuda_devices} are available.")
    if spec.method == "dpo" and (not spec.freeze_vision_tower or not spec.freeze_audio_tower):
        problems.append("DPO here trains on text preference pairs; keep the vision and audio towers frozen.")
    if not spec.lora.target_modules:
        problems.append("LoRA needs at least one target module.")
    return problems
