"""Checks before a job starts: the spec, the data, free disk and memory — each failure a clear sentence."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import psutil

from training.jobs.data import load_job_data
from training.jobs.spec import JobSpec, SpecError, check_spec

_GIB = 2**30


def folder_bytes(path: Path) -> int:
    """Total size of the files in ``path``."""
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def preflight(spec: JobSpec, job_root: Path) -> list[str]:
    """Every reason the job cannot start now (empty when it can)."""
    cuda = 0
    if spec.device != "cpu":
        import torch

        cuda = torch.cuda.device_count()
    problems = check_spec(spec, cuda_devices=cuda if spec.device == "cuda" or spec.gpus > 1 else None)
    if spec.device == "cuda" and cuda == 0:
        problems.append("The job asks for CUDA but no GPU is visible; choose device 'auto' or 'cpu'.")
    if spec.distributed == "zero2" and importlib.util.find_spec("deepspeed") is None:
        problems.append("ZeRO-2 needs DeepSpeed: `pip install deepspeed`, or use DDP.")
    if spec.gpus > 1 and importlib.util.find_spec("accelerate") is None:
        problems.append("Several GPUs need accelerate installed.")
    try:
        load_job_data(spec)
    except SpecError as exc:
        problems.append(str(exc))
    model_dir = Path(spec.base_model).expanduser()
    model_size = folder_bytes(model_dir) if model_dir.is_dir() else 0
    job_root.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(job_root).free
    # Two checkpoints (adapter + optimizer state) and the final adapter are a small share of the base.
    needed_disk = max(512 * 2**20, model_size // 10)
    if free < needed_disk:
        problems.append(f"Only {free / _GIB:.1f} GiB free in {job_root}; the job needs about {needed_disk / _GIB:.1f} GiB.")
    if spec.device == "cpu" or cuda == 0:
        available = psutil.virtual_memory().available
        needed_ram = int(model_size * 1.5)
        if model_size and available < needed_ram:
            problems.append(f"{available / _GIB:.1f} GiB of memory is free; training this model on the CPU needs "
                            f"about {needed_ram / _GIB:.1f} GiB. Close programs or use a GPU.")
    return problems
