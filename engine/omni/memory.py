"""Memory figures for the engine's device."""

from __future__ import annotations

import psutil


def memory_in_use(device: str) -> str:
    """GPU memory allocated by torch on CUDA, else this process's resident memory."""
    if device.startswith("cuda"):
        import torch

        allocated = torch.cuda.memory_allocated() / 1024**3
        peak = torch.cuda.max_memory_allocated() / 1024**3
        return f"{allocated:.2f} GiB allocated (peak {peak:.2f} GiB)"
    rss = psutil.Process().memory_info().rss / 1024**3
    return f"{rss:.2f} GiB resident"


def peak_rss_bytes() -> int:
    """Peak resident memory of this process (Linux ru_maxrss is in KiB)."""
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024
