"""The dataset mixer: real/synthetic ratio, weights, splits, shards, media, determinism."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from training.datasets.mixer import (
    MIX_REPORT_NAME,
    MixConfig,
    MixSource,
    allocate,
    class_budgets,
    mix_datasets,
)
from training.datasets.progress import Progress
from training.datasets.schema import Message, Modalities, Sample
from training.datasets.store import DatasetError, DatasetWriter, iter_samples, read_card


def _text(sample_id: str, source: str) -> Sample:
    return Sample(id=sample_id, domain="code", category="demo", source=source,
                  messages=[Message(role="user", content=f"Question {sample_id}?"),
                            Message(role="assistant", content=f"Answer for {sample_id}.")])


def _build(root: Path, source: str, texts: int, images: int = 0) -> Path:
    with DatasetWriter(root, shard_size=97) as writer:
        for i in range(texts):
            writer.write(_text(f"{source}_t{i:05d}", source))
        for i in range(images):
            image = writer.media_dir / "img" / f"shot_{i:03d}.png"
            image.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.full((8, 8, 3), i, dtype=np.uint8)).save(image)
            sample = _text(f"{source}_m{i:05d}", source)
            sample.modalities = Modalities.model_validate(
                {"image": [{"path": f"media/img/shot_{i:03d}.png", "type": "screenshot"}]})
            writer.write(sample)
    return root


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("mix-inputs")
    return {
        "real_a": _build(base / "real_a", "hub-a", 300, images=20),
        "real_b": _build(base / "real_b", "hub-b", 200),
        "synth": _build(base / "synth", "nexus-repetitive", 1000, images=40),
    }


def _all_samples(root: Path) -> dict[str, list[Sample]]:
    return {split: list(iter_samples(root / split)) for split in ("train", "val", "test")}


def _shard_bytes(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*.jsonl"))}


def test_default_mix_keeps_ratio_and_split_sizes(inputs: dict[str, Path], tmp_path: Path) -> None:
    sources = [MixSource(inputs["real_a"]), MixSource(inputs["real_b"]), MixSource(inputs["synth"])]
    result = mix_datasets(sources, tmp_path / "mix", MixConfig(bucket_size=100))
    report = result.report
    # 520 real and 1040 synthetic records: the synthetic side limits a 30/70 mix without repeats.
    total = report["total"]
    assert total == int(1040 / 0.7)
    assert report["classes"]["real"]["selected"] == round(total * 0.3)
    assert report["classes"]["synthetic"]["selected"] == total - round(total * 0.3)
    assert report["splits"] == {"train": total - 2 * round(total * 0.025), "val": round(total * 0.025),
                                "test": round(total * 0.025)}
    samples = _all_samples(tmp_path / "mix")
    everything = [s for split in samples.values() for s in split]
    assert len(everything) == total
    assert len({s.id for s in everything}) == total
    real_share = sum(not s.source.startswith("nexus-") for s in everything) / total
    assert abs(real_share - 0.3) < 0.005
    for split in ("train", "val", "test"):
        card = read_card(tmp_path / "mix" / split)
        assert card.total == report["splits"][split] == len(samples[split])
        assert card.recipe["split"] == split and card.recipe["mix"]["total"] == total
        split_share = sum(not s.source.startswith("nexus-") for s in samples[split]) / len(samples[split])
        assert abs(split_share - 0.3) < 0.06
    assert json.loads((tmp_path / "mix" / MIX_REPORT_NAME).read_text()) == report
    assert not (tmp_path / "mix" / ".mix-work").exists()
    assert "mix done" in result.summary()


def test_text_and_multimodal_shards_are_separate_and_media_copied(inputs: dict[str, Path],
                                                                  tmp_path: Path) -> None:
    sources = [MixSource(inputs["real_a"], name="hub a"), MixSource(inputs["synth"])]
    mix_datasets(sources, tmp_path / "mix", MixConfig(real_fraction=0.5, split=(0.8, 0.1, 0.1)))
    train = tmp_path / "mix" / "train"
    names = sorted(path.name for path in train.glob("*.jsonl"))
    assert names[0].startswith("multimodal-") and names[-1].startswith("text-")
    for path in train.glob("text-*.jsonl"):
        assert all("modalities" not in json.loads(line) for line in path.read_text().splitlines())
    multimodal = [s for s in iter_samples(train) if s.is_multimodal()]
    assert multimodal
    for sample in multimodal:
        ref = sample.modalities.image[0]
        expected_source = "hub-a" if sample.source == "hub-a" else "synth"
        assert ref.path.startswith(f"media/{expected_source}/img/shot_")
        source_root = inputs["real_a" if sample.source == "hub-a" else "synth"]
        original = source_root / "media" / ref.path.split("/", 2)[2]
        assert (train / ref.path).read_bytes() == original.read_bytes()
    assert read_card(train).counts_by_kind.keys() == {"text", "multimodal"}


def test_same_seed_same_bytes_other_seed_other_mix(inputs: dict[str, Path], tmp_path: Path) -> None:
    sources = [MixSource(inputs["real_b"]), MixSource(inputs["synth"])]
    config = MixConfig(seed=3, target_total=400, bucket_size=64)
    mix_datasets(sources, tmp_path / "one", config)
    mix_datasets(sources, tmp_path / "two", config)
    mix_datasets(sources, tmp_path / "three", MixConfig(seed=4, target_total=400, bucket_size=64))
    assert _shard_bytes(tmp_path / "one") == _shard_bytes(tmp_path / "two")
    assert _shard_bytes(tmp_path / "one") != _shard_bytes(tmp_path / "three")
    train_ids = [s.id for s in iter_samples(tmp_path / "one" / "train")]
    assert train_ids != sorted(train_ids), "output order should be shuffled"


def test_target_and_weights_share_the_real_budget(inputs: dict[str, Path], tmp_path: Path) -> None:
    sources = [MixSource(inputs["real_a"], weight=3), MixSource(inputs["real_b"], weight=1),
               MixSource(inputs["synth"])]
    result = mix_datasets(sources, tmp_path / "mix", MixConfig(target_total=200, real_fraction=0.4))
    by_source: Counter[str] = Counter(s.source for split in _all_samples(tmp_path / "mix").values()
                                      for s in split)
    assert sum(by_source.values()) == 200
    assert by_source["hub-a"] == 60 and by_source["hub-b"] == 20
    assert by_source["nexus-repetitive"] == 120
    assert result.report["sources"][0]["selected"] == {"real": 60, "synthetic": 0}


def test_caller_flag_and_mixed_folders(inputs: dict[str, Path], tmp_path: Path) -> None:
    mixed = tmp_path / "mixed"
    with DatasetWriter(mixed) as writer:
        for i in range(100):
            writer.write(_text(f"m{i}", "nexus-generator" if i % 2 else "hub-c"))
    result = mix_datasets([MixSource(mixed)], tmp_path / "auto", MixConfig(real_fraction=0.5))
    assert result.report["classes"]["real"] == {"available": 50, "selected": 50}
    flagged = mix_datasets([MixSource(inputs["real_b"], synthetic=True), MixSource(mixed, synthetic=False)],
                           tmp_path / "flagged", MixConfig(real_fraction=0.25))
    assert flagged.report["classes"]["synthetic"]["available"] == 200
    assert flagged.report["classes"]["real"]["available"] == 100
    assert flagged.report["total"] == 266


def test_refusals_and_cancel(inputs: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="Nothing to mix"):
        mix_datasets([MixSource(inputs["synth"])], tmp_path / "none")
    with pytest.raises(ValueError):
        mix_datasets([MixSource(inputs["synth"])], tmp_path / "bad", MixConfig(split=(0.5, 0.2, 0.2)))
    sources = [MixSource(inputs["real_b"]), MixSource(inputs["synth"])]
    mix_datasets(sources, tmp_path / "mix", MixConfig(target_total=100))
    with pytest.raises(DatasetError, match="not empty"):
        mix_datasets(sources, tmp_path / "mix", MixConfig(target_total=100))
    again = mix_datasets(sources, tmp_path / "mix", MixConfig(target_total=50), overwrite=True)
    assert again.report["total"] == 50
    assert read_card(tmp_path / "mix" / "train").total == 48

    seen: list[Progress] = []
    calls = iter(range(100_000))
    result = mix_datasets(sources, tmp_path / "cancelled", MixConfig(), progress=seen.append,
                          cancel=lambda: next(calls) >= 4)
    assert result.cancelled and result.cards == {}
    assert not any((tmp_path / "cancelled" / split).exists() for split in ("train", "val", "test"))
    assert seen and seen[0].label == "mix: count"


def test_allocation_water_fills_and_rounds_exactly() -> None:
    assert allocate(10, [2, 100, 100], [1, 1, 1]) == [2, 4, 4]
    assert allocate(7, [10, 10], [1, 1]) == [4, 3]
    assert allocate(50, [5, 5], [1, 3]) == [5, 5]
    assert allocate(9, [100, 100, 100], [0, 1, 2]) == [0, 3, 6]
    assert sum(allocate(1001, [400, 300, 900], [0.2, 0.5, 0.3])) == 1001
    assert class_budgets({"real": 30, "synthetic": 1000}, 0.3, None) == {"real": 30, "synthetic": 70}
    assert class_budgets({"real": 30, "synthetic": 1000}, 0.3, 50) == {"real": 15, "synthetic": 35}
    assert class_budgets({"real": 0, "synthetic": 10}, 0.0, None) == {"real": 0, "synthetic": 10}
