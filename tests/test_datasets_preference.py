"""The synthetic preference-pair generator: categories per mode, well-formed distinct pairs, determinism."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from training.datasets.preference import (
    CENSORED_ONLY,
    SOURCE,
    generate_pairs,
    generate_pairs_to_folder,
    pair_categories,
)
from training.datasets.preference_templates import TEMPLATES
from training.datasets.progress import Progress
from training.datasets.schema import PreferencePair
from training.datasets.store import iter_pairs, read_card

PER_CATEGORY = 40

EXPECTED_CENSORED = [
    "code_correctness", "code_efficiency", "code_style", "code_security", "code_documentation",
    "task_completion", "format_compliance", "constraint_satisfaction", "specificity", "conciseness",
    "logical_coherence", "step_validity", "conclusion_soundness", "evidence_quality", "counter_argument",
    "safety_harmful", "factual_accuracy", "bias_fairness", "privacy_respect", "over_refusal",
]
SAFETY = ["safety_harmful", "factual_accuracy", "bias_fairness", "privacy_respect", "over_refusal"]


def test_categories_per_mode() -> None:
    assert pair_categories("censored") == EXPECTED_CENSORED
    assert pair_categories("uncensored") == [c for c in EXPECTED_CENSORED if c not in SAFETY]
    assert sorted(CENSORED_ONLY) == sorted(SAFETY)
    assert set(TEMPLATES) == set(EXPECTED_CENSORED)
    with pytest.raises(ValueError):
        pair_categories("spicy")  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["censored", "uncensored"])
def test_every_category_gives_well_formed_distinct_pairs(mode: str) -> None:
    pairs = list(generate_pairs(per_category=PER_CATEGORY, seed=11, mode=mode))  # type: ignore[arg-type]
    categories = pair_categories(mode)  # type: ignore[arg-type]
    assert len(pairs) == PER_CATEGORY * len(categories)
    seen_categories = set()
    for pair in pairs:
        assert isinstance(pair, PreferencePair)
        assert pair.category in categories
        assert pair.training_mode == mode
        assert pair.source == SOURCE
        assert re.fullmatch(rf"pair_{pair.category}_\d{{6}}", pair.id)
        for text in (pair.prompt, pair.chosen, pair.rejected):
            assert isinstance(text, str) and text.strip()
            assert not re.search(r"<<\w+>>", text), f"unfilled slot in {pair.id}"
        assert pair.chosen.strip() != pair.rejected.strip(), pair.id
        assert PreferencePair.model_validate_json(pair.to_json_line()) == pair
        seen_categories.add(pair.category)
    assert seen_categories == set(categories)
    assert len({pair.id for pair in pairs}) == len(pairs)
    if mode == "uncensored":
        assert not seen_categories & set(SAFETY)


def test_ids_count_from_one_per_category() -> None:
    ids = [pair.id for pair in generate_pairs(["code_security", "conciseness"], per_category=3, seed=0)]
    assert ids == [f"pair_code_security_{n:06d}" for n in (1, 2, 3)] + \
        [f"pair_conciseness_{n:06d}" for n in (1, 2, 3)]


def test_same_seed_same_pairs_other_seed_other_pairs() -> None:
    first = [p.to_json_line() for p in generate_pairs(per_category=10, seed=5)]
    again = [p.to_json_line() for p in generate_pairs(per_category=10, seed=5)]
    other = [p.to_json_line() for p in generate_pairs(per_category=10, seed=6)]
    assert first == again
    assert first != other


def test_a_category_does_not_depend_on_the_others() -> None:
    alone = [p.to_json_line() for p in generate_pairs(["step_validity"], per_category=15, seed=2)]
    together = [p.to_json_line() for p in generate_pairs(per_category=15, seed=2)
                if p.category == "step_validity"]
    assert alone == together


def test_templates_vary_within_a_category() -> None:
    for category in EXPECTED_CENSORED:
        pairs = list(generate_pairs([category], per_category=60, seed=1, unique=False))
        distinct = {(p.prompt, p.chosen, p.rejected) for p in pairs}
        assert len(distinct) >= 15, f"{category} has only {len(distinct)} distinct pairs in 60"


def test_unique_pairs_until_the_templates_run_out() -> None:
    pairs = list(generate_pairs(["counter_argument"], per_category=1000, seed=0))
    assert len({(p.prompt, p.chosen, p.rejected) for p in pairs}) == len(pairs)
    # 10 proposals x 5 team sizes x 4 horizons.
    assert len(pairs) == 200
    assert pairs[-1].id == "pair_counter_argument_000200"
    repeated = list(generate_pairs(["counter_argument"], per_category=1000, seed=0, unique=False))
    assert len(repeated) == 1000


def test_unknown_or_censored_only_category_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown"):
        list(generate_pairs(["code_poetry"], per_category=1))
    with pytest.raises(ValueError, match="censored"):
        list(generate_pairs(["safety_harmful"], per_category=1, mode="uncensored"))


def test_pairs_make_the_category_point() -> None:
    by_category: dict[str, list[PreferencePair]] = {}
    for pair in generate_pairs(per_category=PER_CATEGORY, seed=4):
        by_category.setdefault(pair.category, []).append(pair)
    for pair in by_category["code_security"]:
        if "SELECT" in pair.chosen:
            assert "?" in pair.chosen or "$1" in pair.chosen
            assert "'{" in pair.rejected or "'${" in pair.rejected
    for pair in by_category["format_compliance"]:
        if "JSON object" in pair.prompt:
            json.loads(pair.chosen)
            with pytest.raises(json.JSONDecodeError):
                json.loads(pair.rejected)
        if "List exactly 3" in pair.prompt:
            assert len(pair.chosen.splitlines()) == 3
    for pair in by_category["conciseness"]:
        assert len(pair.chosen) < len(pair.rejected)
    for pair in by_category["over_refusal"]:
        assert re.search(r"can't|cannot|sorry|not able", pair.rejected, re.I)
    for pair in by_category["safety_harmful"]:
        assert re.search(r"can't|won't|not something I can", pair.chosen, re.I)


def test_generate_to_folder_writes_a_dataset(tmp_path: Path) -> None:
    reports: list[Progress] = []
    card = generate_pairs_to_folder(tmp_path / "pairs", ["code_style", "over_refusal"], per_category=150,
                                    seed=9, progress=reports.append)
    assert card is not None
    assert card.total == 300
    assert card.counts_by_kind == {"pairs": 300}
    assert card.counts_by_category == {"code_style": 150, "over_refusal": 150}
    assert card.recipe["mode"] == "censored" and card.recipe["seed"] == 9
    assert read_card(tmp_path / "pairs").content_sha256 == card.content_sha256
    written = list(iter_pairs(tmp_path / "pairs"))
    assert [p.to_json_line() for p in written] == \
        [p.to_json_line() for p in generate_pairs(["code_style", "over_refusal"], 150, 9)]
    assert reports[-1].written == 300 and reports[-1].fraction == 1.0


def test_cancel_leaves_no_card(tmp_path: Path) -> None:
    calls = iter(range(10_000))
    card = generate_pairs_to_folder(tmp_path / "pairs", per_category=50, cancel=lambda: next(calls) >= 120)
    assert card is None
    assert not (tmp_path / "pairs" / "dataset.json").exists()
    assert not list((tmp_path / "pairs").glob("*.jsonl*"))
