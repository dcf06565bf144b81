"""How a job's runner process is started: plain Python for one device, ``accelerate launch`` for several GPUs."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from training.jobs.spec import JobSpec


def accelerate_config(spec: JobSpec) -> dict:
    """An accelerate config for the spec's distributed mode (DDP, or DeepSpeed ZeRO-2)."""
    config: dict = {
        "compute_environment": "LOCAL_MACHINE",
        "distributed_type": "MULTI_GPU",
        "num_machines": 1,
        "num_processes": spec.gpus,
        "machine_rank": 0,
        "mixed_precision": "bf16",
        "gpu_ids": "all",
        "main_training_function": "main",
        "use_cpu": False,
    }
    if spec.distributed == "zero2":
        config["distributed_type"] = "DEEPSPEED"
        config["deepspeed_config"] = {
            "zero_stage": 2,
            "gradient_accumulation_steps": spec.gradient_accumulation,
            "offload_optimizer_device": "none",
            "offload_param_device": "none",
            "zero3_init_flag": False,
        }
    return config


def runner_command(spec: JobSpec, job_dir: Path, python: str = sys.executable) -> list[str]:
    """The command line that runs the job (writes ``accelerate.yaml`` into the job folder when needed)."""
    if spec.gpus <= 1:
        return [python, "-m", "training.jobs.runner", str(job_dir)]
    config_path = Path(job_dir) / "accelerate.yaml"
    config_path.write_text(yaml.safe_dump(accelerate_config(spec), sort_keys=False), encoding="utf-8")
    return [python, "-m", "accelerate.commands.launch", "--config_file", str(config_path),
            "--num_processes", str(spec.gpus), "-m", "training.jobs.runner", str(job_dir)]
