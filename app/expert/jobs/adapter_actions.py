"""What a completed job's result buttons do; each runs in a worker thread (they touch model weights).

Use in Live loads the job's adapter into the engine that answers (the
engine's ``AdapterSet`` on its loaded model) and switches it on; Compare
answers two fixed prompts with the base and with the adapter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engine.omni.turn import UserContent
from training.jobs.results import Comparison, ResultError, adapter_dir, compare, export_adapter, merge_adapter

TEXT_PROMPT = "In one or two sentences: what can you help me with?"
IMAGE_PROMPT = "What colours and shapes do you see in this picture?"


def adapter_name(job_dir: Path) -> str:
    """The name the job's adapter gets in the engine (the job folder's name: unique and traceable)."""
    return Path(job_dir).name


def compare_image() -> np.ndarray:
    """A small RGB picture: a red square and a blue disc on white."""
    size = 96
    image = np.full((size, size, 3), 255, dtype=np.uint8)
    image[12:48, 12:48] = (220, 40, 40)
    ys, xs = np.ogrid[:size, :size]
    image[(ys - 62) ** 2 + (xs - 62) ** 2 <= 22**2] = (40, 90, 220)
    return image


def compare_prompts() -> list[UserContent]:
    """The fixed prompts of Compare: one text-only, one with a picture."""
    return [UserContent(text=TEXT_PROMPT), UserContent(text=IMAGE_PROMPT, images=[compare_image()])]


def check_engine(engine: Any) -> Any:
    """``engine`` when it can take a LoRA adapter; ResultError saying why not otherwise."""
    if engine is None:
        raise ResultError("No model is loaded, so there is nothing to put the adapter on.",
                          "Start a Live session (it loads the model), then try again.")
    if getattr(engine, "adapters", None) is None or not hasattr(engine, "use_adapter"):
        info = engine.describe() if hasattr(engine, "describe") else {}
        backend = info.get("backend", "this engine")
        raise ResultError(f"The model in use ({backend}) cannot take a LoRA adapter.",
                          "Adapters work with the model loaded on this computer.")
    return engine


def use_in_live(engine: Any, job_dir: Path) -> str:
    """Load the job's adapter into ``engine`` (once) and answer with it; returns its name."""
    engine = check_engine(engine)
    path = adapter_dir(job_dir)
    name = adapter_name(job_dir)
    if name not in engine.adapters.names:
        engine.load_adapter(name, path)
    engine.use_adapter(name)
    return name


def run_compare(engine: Any, job_dir: Path) -> list[Comparison]:
    """Base and adapter answers to ``compare_prompts`` (the adapter is unloaded afterwards)."""
    engine = check_engine(engine)
    name = f"compare-{adapter_name(job_dir)}"
    return compare(engine, engine.adapters, job_dir, compare_prompts(), name=name)


def target_folder(chosen: Path, job_dir: Path, suffix: str) -> Path:
    """``chosen`` when it is new or empty, else a new sub-folder named after the job."""
    chosen = Path(chosen)
    if not chosen.exists() or not any(chosen.iterdir()):
        return chosen
    return chosen / f"{Path(job_dir).name}-{suffix}"


def export_to(job_dir: Path, chosen: Path) -> Path:
    """Copy the adapter into ``chosen`` (or a sub-folder of it); returns where it went."""
    return export_adapter(job_dir, target_folder(chosen, job_dir, "adapter"))


def merge_to(job_dir: Path, chosen: Path) -> Path:
    """Merge the adapter into its bf16 base, saved under ``chosen``; returns where it went."""
    return merge_adapter(job_dir, target_folder(chosen, job_dir, "merged"))
