"""Hub recipes and the streaming loader against local dataset folders (no network), and git
repository sources from a local repository cloned through a file:// URL."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest

from training.datasets.git_source import candidate_paths, clone_shallow
from training.datasets.hub import STATE_NAME, HubError, build_from_recipe
from training.datasets.hub_recipes import RecipeError, find_recipe, list_recipes, parse_recipe
from training.datasets.schema import PreferencePair, Sample
from training.datasets.store import iter_records, read_card


def local_dataset(root: Path, rows: list[dict], files: int = 2) -> Path:
    """A Hub-style dataset folder: data/train-0000N.jsonl files that load_dataset reads by path."""
    data = root / "data"
    data.mkdir(parents=True)
    per_file = -(-len(rows) // files)
    for index in range(files):
        chunk = rows[index * per_file:(index + 1) * per_file]
        (data / f"train-{index:05d}.jsonl").write_text("".join(json.dumps(row) + "\n" for row in chunk))
    return root


def alpaca_rows(count: int, bad_every: int = 0) -> list[dict]:
    rows = []
    for i in range(count):
        if bad_every and i % bad_every == bad_every - 1:
            rows.append({"instruction": f"task {i}", "input": "", "output": ""})  # empty answer: skipped
        else:
            rows.append({"instruction": f"task {i}", "input": "", "output": f"answer {i}"})
    return rows


def recipe_for(entries: list[dict], total: int = 10, name: str = "local_mix") -> object:
    return parse_recipe({"name": name, "total": total, "entries": entries})


def test_builtin_recipes_hold_the_premium_mix_and_user_recipes_override(tmp_path: Path) -> None:
    recipes, errors = list_recipes(None)
    assert not errors
    names = {recipe.name for recipe in recipes}
    assert {"premium_rlhf", "real_instruction", "benchmarks", "multimodal", "domain_repos"} <= names
    premium = find_recipe("premium_rlhf")
    shares = {entry.hub_id: entry.share for entry in premium.entries}
    assert shares == {"openbmb/UltraFeedback": 0.20, "nvidia/HelpSteer": 0.15, "Anthropic/hh-rlhf": 0.25,
                      "berkeley-nest/Nectar": 0.10, "PKU-Alignment/PKU-SafeRLHF": 0.10,
                      "PKU-Alignment/BeaverTails": 0.20}
    assert premium.training_mode == "censored"
    assert len(find_recipe("domain_repos").entries) == 12
    user_dir = tmp_path / "recipes"
    user_dir.mkdir()
    (user_dir / "mine.yaml").write_text("name: premium_rlhf\nentries:\n  - hub_id: me/data\n    limit: 5\n"
                                        "    domain: d\n    category: c\n")
    (user_dir / "broken.yaml").write_text("name: broken\nentries:\n  - hub_id: x/y\n    domain: d\n")
    assert find_recipe("premium_rlhf", user_dir).entries[0].hub_id == "me/data"
    _, errors = list_recipes(user_dir)
    assert len(errors) == 1 and "broken.yaml entry 1" in str(errors[0]) and "category is required" in str(errors[0])
    with pytest.raises(RecipeError, match="shares add up"):
        recipe_for([{"hub_id": "a/b", "share": 0.7, "domain": "d", "category": "c"},
                    {"hub_id": "a/c", "share": 0.7, "domain": "d", "category": "c"}])


def test_local_dataset_streams_with_limits_shares_and_progress(tmp_path: Path) -> None:
    alpaca = local_dataset(tmp_path / "alpaca_src", alpaca_rows(40, bad_every=5))
    pairs = local_dataset(tmp_path / "pairs_src", [
        {"prompt": f"p{i}", "chosen": f"good {i}", "rejected": f"bad {i}"} for i in range(20)], files=1)
    recipe = recipe_for([
        {"name": "alpaca", "hub_id": str(alpaca), "share": 0.6, "domain": "code", "category": "code_alpaca"},
        {"name": "pairs", "hub_id": str(pairs), "share": 0.4, "domain": "preference", "category": "code_style"},
    ], total=10)
    seen = []
    report = build_from_recipe(recipe, tmp_path / "out", progress=seen.append)
    assert report.complete and not report.cancelled
    by_name = {entry.name: entry for entry in report.entries}
    assert (by_name["alpaca"].written, by_name["pairs"].written) == (6, 4)
    assert by_name["alpaca"].skipped == 1 and by_name["alpaca"].rows == 7
    records = list(iter_records(tmp_path / "out"))
    assert sum(isinstance(r, Sample) for r in records) == 6 and sum(isinstance(r, PreferencePair) for r in records) == 4
    assert len({r.id for r in records}) == 10
    card = read_card(tmp_path / "out")
    assert card.total == 10 and card.recipe["name"] == "local_mix"
    assert seen[-1].label == "pairs" and seen[-1].written == 4 and seen[-1].limit == 4
    assert [p.rows for p in seen if p.label == "alpaca"] == list(range(1, 8))
    again = build_from_recipe(recipe, tmp_path / "out")
    assert again.complete and read_card(tmp_path / "out").total == 10


def test_resume_after_cancel_continues_without_duplicates(tmp_path: Path) -> None:
    source = local_dataset(tmp_path / "src", alpaca_rows(30, bad_every=4), files=3)
    recipe = recipe_for([
        {"name": "first", "hub_id": str(source), "limit": 12, "domain": "code", "category": "a"},
        {"name": "second", "hub_id": str(source), "limit": 5, "domain": "code", "category": "b"},
    ])
    reference = build_from_recipe(recipe, tmp_path / "reference")
    assert reference.complete

    calls = {"n": 0}

    def cancel_at_fifth_row() -> bool:
        calls["n"] += 1
        return calls["n"] == 5

    first = build_from_recipe(recipe, tmp_path / "out", cancel=cancel_at_fifth_row)
    assert first.cancelled and not first.complete and first.card is None
    assert not (tmp_path / "out" / "dataset.json").exists()
    state = json.loads((tmp_path / "out" / STATE_NAME).read_text())
    assert state["entries"]["first"]["rows"] == 4 and not state["entries"]["first"]["finished"]
    second = build_from_recipe(recipe, tmp_path / "out")
    assert second.complete
    resumed = [r.model_dump() for r in iter_records(tmp_path / "out")]
    expected = [r.model_dump() for r in iter_records(tmp_path / "reference")]
    assert resumed == expected
    assert len({r["id"] for r in resumed}) == 17
    with pytest.raises(HubError, match="unfinished download|already"):
        build_from_recipe(recipe_for([{"hub_id": str(source), "limit": 1, "domain": "d", "category": "c"}],
                                     name="other"), tmp_path / "out")


def test_embedded_media_from_a_parquet_dataset_are_written_to_the_media_tree(tmp_path: Path) -> None:
    import datasets
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (6, 6), (0, 120, 255)).save(buffer, format="PNG")
    features = datasets.Features({"image": datasets.Image(), "text": datasets.Value("string")})
    table = datasets.Dataset.from_dict({"image": [{"bytes": buffer.getvalue(), "path": None}] * 3,
                                        "text": [f"<html>{i}</html>" for i in range(3)]}, features=features)
    (tmp_path / "websight" / "data").mkdir(parents=True)
    table.to_parquet(str(tmp_path / "websight" / "data" / "train-00000.parquet"))
    recipe = recipe_for([{"name": "websight", "hub_id": str(tmp_path / "websight"), "format": "alpaca",
                          "columns": {"images": "image", "output": "text"},
                          "instruction": "Write the HTML for this screenshot.", "limit": 3,
                          "domain": "multimodal_fullstack", "category": "mm_screenshot_to_html",
                          "media_types": {"image": "screenshot"}}])
    report = build_from_recipe(recipe, tmp_path / "out")
    assert report.complete
    samples = list(iter_records(tmp_path / "out"))
    assert len(samples) == 3
    ref = samples[0].modalities.image[0]
    assert ref.type == "screenshot" and ref.path.startswith("media/websight/image/") and ref.path.endswith(".png")
    assert Image.open(tmp_path / "out" / ref.path).size == (6, 6)
    assert samples[0].messages[0].content == "Write the HTML for this screenshot."
    assert samples[2].messages[1].content == "<html>2</html>"


def test_offline_or_unknown_dataset_gives_a_clear_hub_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    recipe = recipe_for([{"hub_id": "nobody-xyz/no-such-dataset", "limit": 3, "domain": "d", "category": "c"}])
    with pytest.raises(HubError) as info:
        build_from_recipe(recipe, tmp_path / "out")
    message = str(info.value)
    assert "nobody-xyz/no-such-dataset" in message and "offline" in message and "id" in message
    report = build_from_recipe(recipe, tmp_path / "skip", skip_failed=True)
    assert report.complete and report.entries[0].error and report.entries[0].written == 0
    missing = recipe_for([{"hub_id": str(tmp_path / "absent"), "limit": 3, "domain": "d", "category": "c"}])
    with pytest.raises(HubError, match="does not exist"):
        build_from_recipe(missing, tmp_path / "out2")


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main",
                    *args], cwd=repo, check=True, capture_output=True)


def test_git_source_clones_a_local_repository_and_keeps_the_real_file_text(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "node_modules" / "dep").mkdir(parents=True)
    module = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(12))
    (repo / "src" / "util.py").write_text(module)
    (repo / "src" / "one_line.py").write_text("VALUE = " + "1" * 80 + "\n")
    (repo / "src" / "tiny.py").write_text("x = 1\n")
    (repo / "src" / "huge.py").write_text("#" * 200_000)
    (repo / "src" / "blob.py").write_bytes(b"\0\1\2" * 40)
    (repo / "node_modules" / "dep" / "index.js").write_text("module.exports = 1;\n" * 10)
    (repo / "README.md").write_text("# Repo\n" * 20)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "init")
    url = f"file://{repo}"
    cache = tmp_path / "cache"
    assert candidate_paths(clone_shallow(url, cache), include=["*.py"]) == [
        "src/blob.py", "src/huge.py", "src/one_line.py", "src/tiny.py", "src/util.py"]
    recipe = recipe_for([{"name": "repo", "git": url, "include": ["*.py"], "limit": 10,
                          "domain": "fullstack_engineering", "category": "repo_local"}])
    report = build_from_recipe(recipe, tmp_path / "out", cache_dir=cache)
    assert report.complete
    entry = report.entries[0]
    assert (entry.written, entry.skipped) == (2, 3)
    samples = {s.id: s for s in iter_records(tmp_path / "out")}
    completion = next(s for s in samples.values() if "util.py" in s.messages[0].content)
    head = completion.messages[0].content.split("```python\n", 1)[1].rsplit("```", 1)[0]
    assert head + completion.messages[1].content == module
    whole = next(s for s in samples.values() if "one_line.py" in s.messages[0].content)
    assert whole.messages[1].content == "VALUE = " + "1" * 80 + "\n"
    assert completion.source == url
    with pytest.raises(HubError, match="could not be cloned"):
        build_from_recipe(recipe_for([{"git": f"file://{tmp_path}/missing", "limit": 1, "domain": "d",
                                       "category": "c"}]), tmp_path / "out3", cache_dir=cache)
