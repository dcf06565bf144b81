"""What a finished job gives: compare base and adapter, export the adapter, merge it into a bf16 base."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import NexusError
from engine.omni.turn import Turn, UserContent
from training.jobs.spec import is_gptq_checkpoint, load_spec


class ResultError(NexusError):
    """A job result that cannot be used this way."""


@dataclass(frozen=True)
class Comparison:
    """One prompt answered by the base model and by the adapter."""

    prompt: str
    base: str
    adapter: str


def adapter_dir(job_dir: Path) -> Path:
    """The job's adapter folder (ResultError when the job has not produced one)."""
    path = Path(job_dir) / "adapter"
    if not (path / "adapter_config.json").is_file():
        raise ResultError(f"The job in {job_dir} has no adapter yet.", "Wait for it to complete, or resume it.")
    return path


def compare(engine: Any, adapters: Any, job_dir: Path, prompts: list[UserContent], name: str = "compare") -> list[Comparison]:
    """Answer each prompt with the base and with the job's adapter (hot-swapped, then unloaded)."""
    path = adapter_dir(job_dir)
    previous = adapters.active
    out: list[Comparison] = []
    adapters.load(name, path)
    try:
        for content in prompts:
            answers = []
            for active in (None, name):
                adapters.use(active)
                _forget_prefix(engine)
                answers.append("".join(engine.stream(Turn(content))))
            out.append(Comparison(content.text, answers[0], answers[1]))
    finally:
        adapters.unload(name)
        adapters.use(previous if previous in adapters.names else None)
        _forget_prefix(engine)
    return out


def _forget_prefix(engine: Any) -> None:
    # Cached keys and values were computed with the other weights.
    if hasattr(engine, "reset"):
        engine.reset()


def export_adapter(job_dir: Path, destination: Path) -> Path:
    """Copy the adapter and the job card into ``destination`` (a folder PEFT loads directly)."""
    source = adapter_dir(job_dir)
    destination = Path(destination)
    if destination.exists() and any(destination.iterdir()):
        raise ResultError(f"{destination} is not empty.", "Choose an empty or new folder.")
    shutil.copytree(source, destination, dirs_exist_ok=True)
    card = Path(job_dir) / "card.json"
    if card.is_file():
        shutil.copy2(card, destination / "nexus_job_card.json")
    return destination


def merge_adapter(job_dir: Path, destination: Path) -> Path:
    """Merge the adapter into its bf16 base and save a full checkpoint (not possible for a GPTQ base)."""
    from peft import PeftModel
    from transformers import Qwen2_5OmniProcessor, Qwen2_5OmniThinkerForConditionalGeneration

    spec = load_spec(Path(job_dir) / "job.yaml")
    base_dir = Path(spec.base_model).expanduser()
    if is_gptq_checkpoint(base_dir):
        raise ResultError("An adapter cannot be merged into a GPTQ-Int4 base.",
                          "Use the adapter as it is (Use in Live), or train on the bf16 model to merge.")
    base = Qwen2_5OmniThinkerForConditionalGeneration.from_pretrained(base_dir, dtype="auto")
    merged = PeftModel.from_pretrained(base, str(adapter_dir(job_dir))).merge_and_unload()
    destination = Path(destination)
    merged.save_pretrained(destination)
    Qwen2_5OmniProcessor.from_pretrained(base_dir).save_pretrained(destination)
    (destination / "nexus_merge.json").write_text(json.dumps({"job": str(job_dir), "base": str(base_dir)}), encoding="utf-8")
    return destination
