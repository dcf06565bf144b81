"""The dataset validator: every planted problem is reported under its reason, good rows are kept."""

from __future__ import annotations

import json
import os
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile
from PIL import Image

from training.datasets.progress import Progress
from training.datasets.store import iter_records, read_card
from training.datasets.validator import (
    BAD_JSON,
    DUPLICATE,
    EMPTY_CONTENT,
    IDENTICAL_PAIR,
    MEDIA_MISSING,
    MEDIA_PATH_UNSAFE,
    MEDIA_TYPE,
    MEDIA_UNDECODABLE,
    NEAR_DUPLICATE,
    PLACEHOLDER_MISMATCH,
    REPORT_NAME,
    ROLE_ORDER,
    SCHEMA,
    TOO_LONG,
    TOO_SHORT,
    MinHashIndex,
    ValidationConfig,
    validate_folder,
    validate_records,
)

LONG_ANSWER = (
    "A list comprehension builds a new list from an iterable in a single expression. The general form is "
    "[expression for item in iterable if condition], where the condition is optional. For example, [n * n "
    "for n in range(10) if n % 2 == 0] gives the squares of the even numbers below ten. Comprehensions are "
    "usually faster than an explicit loop that calls append, because the loop runs inside the interpreter's "
    "optimised code path, and they read well when the expression is short. When the logic grows several "
    "conditions or nested loops, a plain for loop with descriptive names is easier to follow and to debug, "
    "so prefer the loop there. Generator expressions use round brackets instead and produce items lazily, "
    "which saves memory when you only iterate once, for example when summing a large range of numbers."
)


def _msgs(*turns: tuple[str, str]) -> list[dict[str, str]]:
    return [{"role": role, "content": content} for role, content in turns]


def _sample(sample_id: str, messages: list[dict[str, str]], modalities: dict | None = None) -> dict:
    row = {"id": sample_id, "messages": messages, "domain": "code", "category": "python_basics",
           "source": "hub-test"}
    if modalities is not None:
        row["modalities"] = modalities
    return row


def _write_png(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.arange(16 * 16 * 3, dtype=np.uint8).reshape(16, 16, 3)).save(path)


def _write_wav(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tone = 0.2 * np.sin(2 * np.pi * 440 * np.arange(1600) / 16000)
    soundfile.write(path, tone.astype(np.float32), 16000)


def _write_mp4(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=5)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for shade in range(0, 250, 50):
            frame = av.VideoFrame.from_ndarray(np.full((32, 32, 3), shade, dtype=np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _jsonl(path: Path, rows: list[dict | str | bytes]) -> None:
    with open(path, "wb") as handle:
        for row in rows:
            if isinstance(row, dict):
                row = json.dumps(row)
            handle.write(row if isinstance(row, bytes) else row.encode("utf-8"))
            handle.write(b"\n")


@pytest.fixture()
def planted(tmp_path: Path) -> Path:
    """A dataset folder with six good rows and one row per planted problem."""
    root = tmp_path / "raw"
    root.mkdir()
    _write_png(root / "media/img/ok.png")
    _write_wav(root / "media/audio/ok.wav")
    _write_mp4(root / "media/video/ok.mp4")
    (root / "media/img/broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    (tmp_path / "outside.png").write_bytes((root / "media/img/ok.png").read_bytes())
    os.symlink(tmp_path / "outside.png", root / "media/img/escape.png")

    ask = ("user", "How do list comprehensions work in Python?")
    near = LONG_ANSWER.replace("saves "
                               "memory", "saves a lot of "
                                               "memory").replace("Comprehensions", "comprehensions")
    image = {"image": [{"path": "media/img/ok.png", "type": "screenshot"}]}
    text_rows: list[dict | str | bytes] = [
        _sample("good_text", _msgs(ask, ("assistant", LONG_ANSWER))),
        _sample("good_system", _msgs(("system", "You are terse."), ("user", "Capital of France?"),
                                     ("assistant", "Paris."))),
        _sample("dup_of_good_text", _msgs(("user", "How do  list comprehensions work in Python? "),
                                          ("assistant", LONG_ANSWER + "  "))),
        _sample("near_dup", _msgs(ask, ("assistant", near))),
        _sample("empty_turn", _msgs(("user", "Explain decorators."), ("assistant", "   "))),
        _sample("bad_roles", _msgs(("assistant", "Hello!"), ("user", "Hi."), ("assistant", "How can I "
                                                                                           "help?"))),
        _sample("two_users", _msgs(("user", "One"), ("user", "Two"), ("assistant", "Three"))),
        '{"id": "broken_json", "messages": [',
        "[1, 2, 3]",
        b'{"id": "not_utf8", "note": "\xff\xfe"}',
        {"id": "no_messages_field", "domain": "code", "category": "x", "source": "hub-test"},
    ]
    mm_rows: list[dict | str | bytes] = [
        _sample("good_image", _msgs(("user", "<image>What does this screenshot show?"),
                                    ("assistant", "A settings dialog.")), image),
        _sample("good_audio", _msgs(("user", "Transcribe this."), ("assistant", "A 440 Hz tone, no speech.")),
                {"audio": [{"path": "media/audio/ok.wav", "type": "speech"}]}),
        _sample("good_video", _msgs(("user", "What happens in this "
                                             "clip?"), ("assistant", "It fades to "
                                                                                          "white.")),
                {"video": [{"path": "media/video/ok.mp4", "type": "debugging", "fps": 1}]}),
        _sample("missing_media", _msgs(("user", "Describe it."), ("assistant", "A chart.")),
                {"image": [{"path": "media/img/missing.png", "type": "chart"}]}),
        _sample("corrupt_image", _msgs(("user", "Describe it."), ("assistant", "A diagram.")),
                {"image": [{"path": "media/img/broken.png", "type": "diagram"}]}),
        _sample("absolute_path", _msgs(("user", "Describe it."), ("assistant", "A photo.")),
                {"image": [{"path": str(root / "media/img/ok.png"), "type": "photo"}]}),
        _sample("symlink_escape", _msgs(("user", "Describe it."), ("assistant", "A photo.")),
                {"image": [{"path": "media/img/escape.png", "type": "photo"}]}),
        _sample("unknown_type", _msgs(("user", "Describe it."), ("assistant", "A meme.")),
                {"image": [{"path": "media/img/ok.png", "type": "meme"}]}),
        _sample("placeholders_off", _msgs(("user", "<image><image>Compare "
                                                   "them."), ("assistant", "Same.")), image),
    ]
    pair_rows: list[dict | str | bytes] = [
        {"id": "good_pair", "prompt": "2 + 2?", "chosen": "4.", "rejected": "5.",
         "category": "factual_accuracy", "source": "nexus-preference"},
        {"id": "same_pair", "prompt": "2 + 2?", "chosen": "4.", "rejected": " 4. ",
         "category": "factual_accuracy", "source": "nexus-preference"},
    ]
    _jsonl(root / "text-00000.jsonl", text_rows)
    _jsonl(root / "multimodal-00000.jsonl", mm_rows)
    _jsonl(root / "pairs-00000.jsonl", pair_rows)
    return root


EXPECTED_REASONS = {
    DUPLICATE: {"dup_of_good_text"},
    NEAR_DUPLICATE: {"near_dup"},
    EMPTY_CONTENT: {"empty_turn"},
    ROLE_ORDER: {"bad_roles", "two_users"},
    BAD_JSON: {"broken_json", "", "not_utf8"},
    SCHEMA: {"no_messages_field"},
    MEDIA_MISSING: {"missing_media"},
    MEDIA_UNDECODABLE: {"corrupt_image"},
    MEDIA_PATH_UNSAFE: {"absolute_path", "symlink_escape"},
    MEDIA_TYPE: {"unknown_type"},
    PLACEHOLDER_MISMATCH: {"placeholders_off"},
    IDENTICAL_PAIR: {"same_pair"},
}
GOOD = {"good_text", "good_system", "good_image", "good_audio", "good_video", "good_pair"}


def test_every_planted_problem_is_reported_and_good_rows_kept(planted: Path, tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    report = validate_folder(planted, clean)

    assert report.total == 22
    assert report.kept == len(GOOD)
    assert report.rejected == report.total - len(GOOD)
    assert report.counts_by_reason == {reason: len(ids) for reason, ids in EXPECTED_REASONS.items()}
    for reason, ids in EXPECTED_REASONS.items():
        assert {example["id"] for example in report.examples[reason]} == ids, reason
    refs = {example["id"]: example["ref"] for examples in report.examples.values() for example in examples}
    assert refs["broken_json"] == "text-00000.jsonl:8"
    assert refs["corrupt_image"] == "multimodal-00000.jsonl:5"
    assert "good_text" in report.examples[DUPLICATE][0]["detail"]
    assert "good_text" in report.examples[NEAR_DUPLICATE][0]["detail"]
    assert "assistant" in report.examples[EMPTY_CONTENT][0]["detail"]

    assert {record.id for record in iter_records(clean)} == GOOD
    card = read_card(clean)
    assert card.total == len(GOOD)
    assert card.counts_by_kind == {"multimodal": 3, "pairs": 1, "text": 2}
    assert card.recipe["validation"]["rejected"] == report.rejected
    for relative in ("media/img/ok.png", "media/audio/ok.wav", "media/video/ok.mp4"):
        assert (clean / relative).is_file()
    assert not (clean / "media/img/broken.png").exists()
    saved = json.loads((clean / REPORT_NAME).read_text())
    assert saved["counts_by_reason"] == report.counts_by_reason
    assert json.loads(report.to_json()) == saved
    assert "16 dropped" in report.summary()

    again = validate_folder(clean)
    assert (again.kept, again.rejected) == (len(GOOD), 0)


def test_without_destination_nothing_is_written(planted: Path) -> None:
    before = sorted(path.name for path in planted.iterdir())
    report = validate_folder(planted)
    assert report.output is None and report.kept == len(GOOD)
    assert sorted(path.name for path in planted.iterdir()) == before


def test_refuses_to_overwrite_itself_or_an_existing_dataset(planted: Path, tmp_path: Path) -> None:
    with pytest.raises(Exception, match="another folder"):
        validate_folder(planted, planted)
    validate_folder(planted, tmp_path / "clean")
    with pytest.raises(Exception, match="already holds a dataset"):
        validate_folder(planted, tmp_path / "clean")
    assert validate_folder(planted, tmp_path / "clean", overwrite=True).kept == len(GOOD)


def test_records_lengths_progress_and_cancel(tmp_path: Path) -> None:
    rows = [_sample(f"row{i}", _msgs(("user", f"Question number {i} about topic {i * 7}?"),
                                     ("assistant", f"Answer {i}: " + "word " * (i % 5) + str(i * 13))))
            for i in range(450)]
    rows.append(_sample("tiny", _msgs(("user", "?"), ("assistant", ""))))
    rows.append(_sample("huge", _msgs(("user", "Say a lot."), ("assistant", "x" * 3000))))
    seen: list[Progress] = []
    config = ValidationConfig(min_chars=2, max_chars=2000, near_duplicate_threshold=None)
    report = validate_records(rows, tmp_path, tmp_path / "out", config, progress=seen.append)
    assert report.kept == 450
    assert report.counts_by_reason == {EMPTY_CONTENT: 1, TOO_SHORT: 1, TOO_LONG: 1}
    assert [p.rows for p in seen] == [200, 400, 452]
    assert read_card(tmp_path / "out").total == 450

    short = validate_records([_sample("short", _msgs(("user", "a"), ("assistant", "b")))], tmp_path,
                             config=ValidationConfig(min_chars=5))
    assert short.counts_by_reason == {TOO_SHORT: 1}
    tokens = validate_records([_sample("tokens", _msgs(("user", "q"), ("assistant", "y" * 400)))], tmp_path,
                              config=ValidationConfig(max_tokens=50))
    assert tokens.counts_by_reason == {TOO_LONG: 1}

    calls = iter(range(10_000))
    cancelled = validate_records(rows, tmp_path, tmp_path / "cancelled", config,
                                 cancel=lambda: next(calls) >= 100)
    assert cancelled.cancelled and cancelled.total == 100
    assert not (tmp_path / "cancelled" / "dataset.json").exists()
    assert not (tmp_path / "cancelled" / REPORT_NAME).exists()


def test_minhash_separates_near_from_different_texts() -> None:
    index = MinHashIndex(threshold=0.9)
    index.add(index.signature(LONG_ANSWER), "sample|", "original")
    assert index.match(index.signature(LONG_ANSWER.replace("ten", "twenty")), "sample|")[0] == "original"
    assert index.match(index.signature(LONG_ANSWER), "sample|image:media/a.png") is None
    other = "Decorators wrap a function in another function to add behaviour such as caching or logging."
    assert index.match(index.signature(other), "sample|") is None


def test_same_text_with_other_media_is_not_a_duplicate(tmp_path: Path) -> None:
    _write_png(tmp_path / "media/a.png")
    _write_png(tmp_path / "media/b.png")
    rows = [_sample(name, _msgs(("user", "What is on this screen?"), ("assistant", "A login form.")),
                    {"image": [{"path": f"media/{name}.png", "type": "screenshot"}]}) for name in ("a", "b")]
    assert validate_records(rows, tmp_path).kept == 2
