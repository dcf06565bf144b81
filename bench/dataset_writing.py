"""Synthetic dataset figures: generation throughput and memory while streaming 100,000 samples to disk.

Generates every category round-robin into a temporary dataset folder through
``generate_to_folder`` and prints samples per second, bytes written, and the
resident memory sampled during the run (at 10,000 samples, at the end, and the
peak), which should stay flat however many samples are written.

    .venv/bin/python bench/dataset_writing.py
    .venv/bin/python bench/dataset_writing.py --samples 20000 --seed 3
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.datasets.store import shard_paths  # noqa: E402
from training.datasets.synthetic import generate_to_folder, list_categories  # noqa: E402

MIB = 1024 * 1024


@dataclass(frozen=True)
class Figure:
    """One printed number."""

    name: str
    value: float
    unit: str
    note: str = ""
    places: int = 1


class RssProbe:
    """Samples the resident set size from the generator's progress callback."""

    def __init__(self, checkpoints: tuple[int, ...]) -> None:
        self.process = psutil.Process()
        self.checkpoints = checkpoints
        self.at: dict[int, float] = {}
        self.highest = 0.0
        self.reports = 0

    def rss_mib(self) -> float:
        """Current resident memory in MiB."""
        return self.process.memory_info().rss / MIB

    def __call__(self, done: int, total: int) -> None:
        rss = self.rss_mib()
        self.reports += 1
        self.highest = max(self.highest, rss)
        for mark in self.checkpoints:
            if done >= mark and mark not in self.at:
                self.at[mark] = rss


def peak_rss_mib() -> float:
    """The process's peak resident memory so far (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(samples: int, seed: int, keep: Path | None) -> list[Figure]:
    """Generate about ``samples`` samples and measure them."""
    categories = len(list_categories())
    per_category = math.ceil(samples / categories)
    total = per_category * categories
    probe = RssProbe((10_000, total))
    before = probe.rss_mib()
    with tempfile.TemporaryDirectory(prefix="nexus-bench-datasets-") as scratch:
        folder = keep or Path(scratch) / "synthetic"
        started = time.perf_counter()
        card = generate_to_folder(
            folder, per_category=per_category, seed=seed, progress=probe, overwrite=True
        )
        elapsed = time.perf_counter() - started
        written = sum(path.stat().st_size for path in shard_paths(folder))
    return [
        Figure(
            "samples written",
            card.total,
            "",
            f"{per_category} per category × {categories} categories",
            places=0,
        ),
        Figure(
            "generation + writing throughput", card.total / elapsed, "samples/s", f"{elapsed:.1f} s in all"
        ),
        Figure(
            "bytes written",
            written / MIB,
            "MiB",
            f"{len(card.shards)} shards, {written / card.total:.0f} B/sample",
        ),
        Figure("RSS before generating", before, "MiB"),
        Figure("RSS at 10,000 samples", probe.at.get(10_000, float("nan")), "MiB"),
        Figure(f"RSS at {total:,} samples", probe.at.get(total, float("nan")), "MiB"),
        Figure("highest RSS sampled during the run", probe.highest, "MiB", f"{probe.reports} samples of RSS"),
        Figure("peak RSS of the process (ru_maxrss)", peak_rss_mib(), "MiB"),
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the bench and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--samples", type=int, default=100_000, help="about how many samples to write (default 100,000)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--keep", type=Path, help="write into this folder and keep it (default: a temporary folder)"
    )
    args = parser.parse_args(argv)
    print(f"Nexus synthetic dataset bench: {args.samples:,} samples, seed {args.seed}\n")
    for figure in run(args.samples, args.seed, args.keep):
        note = f"  ({figure.note})" if figure.note else ""
        print(f"{figure.name:<44} {figure.value:12,.{figure.places}f} {figure.unit}{note}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
