"""Fine-tune throughput and memory for a fixed job, through the real queue and runner process.

By default: LoRA SFT on the tiny random thinker (CPU) with a tiny multimodal dataset
(text, image and audio samples). With ``--model DIR --device cuda`` the same job runs on
a real base, e.g. Qwen2.5-Omni-7B-GPTQ-Int4 on a CUDA machine that has its weights.

    .venv/bin/python bench/train.py [--model DIR] [--device cpu|cuda] [--steps 24]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.jobs.queue import JobQueue  # noqa: E402
from training.jobs.spec import JobSpec, LoraSettings  # noqa: E402
from training.jobs.state import read_progress, read_state  # noqa: E402


def main() -> int:
    """Run the job and print samples/s, tokens/s and peak memory."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="base model folder (default: the tiny test thinker)")
    parser.add_argument("--device", choices=("cpu", "cuda", "auto"), default="cpu")
    parser.add_argument("--steps", type=int, default=24)
    parser.add_argument("--batch-size", type=int, default=2)
    args = parser.parse_args()
    from tests.tiny_omni import cached_tiny_thinker
    from tests.train_fixtures import tiny_multimodal_dataset

    model = Path(args.model) if args.model else cached_tiny_thinker(ROOT / ".nexus-test")
    with tempfile.TemporaryDirectory() as tmp:
        data = tiny_multimodal_dataset(Path(tmp) / "data", count=24)
        spec = JobSpec(name="bench", base_model=str(model), datasets=[str(data)], eval_split=None,
                       max_steps=args.steps, batch_size=args.batch_size, gradient_accumulation=1,
                       learning_rate=2e-4, schedule="constant", warmup_ratio=0.0, save_every=args.steps,
                       device=args.device, lora=LoraSettings(rank=16, alpha=32, dropout=0.0))
        queue = JobQueue(Path(tmp) / "jobs", environment={"GPTQMODEL_CPU_WORKERS": str(max(1, (os.cpu_count() or 2) // 2))})
        started = time.perf_counter()
        job = queue.submit(spec)
        queue.run_until_idle()
        wall = time.perf_counter() - started
        state = read_state(job)
        if state.status != "completed":
            print(f"job {state.status}: {state.message}\n{(job / 'runner.log').read_text()[-2000:]}")
            return 1
        card = json.loads((job / "card.json").read_text())
        rows = read_progress(job)
        metrics = card["metrics"]
        print(f"model: {model}  device: {args.device}  steps: {args.steps}  batch: {args.batch_size}")
        print(f"{'train samples/s':32s} {float(metrics['train_samples_per_second']):8.2f}")
        print(f"{'train tokens/s':32s} {max(r['tokens_per_s'] or 0 for r in rows):8.1f}")
        print(f"{'peak RSS of the runner (GiB)':32s} {max(r['rss_gb'] for r in rows):8.2f}")
        gpu = [r['gpu_gb'] for r in rows if r.get('gpu_gb')]
        if gpu:
            print(f"{'peak GPU memory (GiB)':32s} {max(gpu):8.2f}")
        print(f"{'wall time incl. process start':32s} {wall:8.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
