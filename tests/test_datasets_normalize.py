"""Normalizer, importer and exporters: every source format, LLaMA-Factory multimodal folders,
and lossless round trips schema → LLaMA-Factory / ShareGPT / TRL DPO → schema."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from training.datasets.export import export_llamafactory, export_sharegpt, export_trl_dpo
from training.datasets.normalize import NormalizeError, detect_format, import_files, normalize_record
from training.datasets.schema import MediaRef, Message, Modalities, PreferencePair, Sample
from training.datasets.store import DatasetWriter, iter_pairs, iter_records, iter_samples, read_card

TAGS = {"domain": "code", "category": "cat", "source": "src", "id": "r1"}


def roles(sample: Sample) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in sample.messages]


# ---------------------------------------------------------------- media fixtures

def make_png(path: Path, colour: tuple[int, int, int] = (200, 30, 30)) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), colour).save(path, format="PNG")
    return path


def make_wav(path: Path) -> Path:
    import soundfile

    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, np.sin(np.linspace(0, 200, 1600)).astype(np.float32), 16000)
    return path


def make_mp4(path: Path) -> Path:
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=2)
        stream.width, stream.height, stream.pix_fmt = 16, 16, "yuv420p"
        for shade in (0, 90, 180):
            frame = av.VideoFrame.from_ndarray(np.full((16, 16, 3), shade, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows))
    return path


# ---------------------------------------------------------------- one record per format

SFT_CASES = [
    ("openai", {"messages": [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "2+2?"},
                             {"role": "assistant", "content": "4"}]},
     [("system", "Be terse."), ("user", "2+2?"), ("assistant", "4")]),
    ("alpaca", {"instruction": "Sum", "input": "2 and 3", "output": "5", "system": "Math.",
                "history": [["Hi", "Hello"]]},
     [("system", "Math."), ("user", "Hi"), ("assistant", "Hello"), ("user", "Sum\n2 and 3"), ("assistant", "5")]),
    ("alpaca", {"instruction": "Reverse a list in Python", "response": "xs[::-1]"},
     [("user", "Reverse a list in Python"), ("assistant", "xs[::-1]")]),
    ("sharegpt", {"system": "Tools on.", "conversations": [
        {"from": "human", "value": "Weather?"}, {"from": "function_call", "value": '{"name": "weather"}'},
        {"from": "observation", "value": "sunny"}, {"from": "gpt", "value": "Sunny."}]},
     [("system", "Tools on."), ("user", "Weather?"), ("assistant", '{"name": "weather"}'), ("user", "sunny"),
      ("assistant", "Sunny.")]),
    ("prompt_completion", {"prompt": "def add(a, b):", "completion": "    return a + b"},
     [("user", "def add(a, b):"), ("assistant", "    return a + b")]),
    ("prompt_completion", {"prompt": [{"role": "user", "content": "Hi"}],
                           "completion": [{"role": "assistant", "content": "Hey"}]},
     [("user", "Hi"), ("assistant", "Hey")]),
    ("prompt_solution", {"prompt": "Sort [3,1]", "solution": "[1,3]"},
     [("user", "Sort [3,1]"), ("assistant", "[1,3]")]),
    ("question_answer", {"question": "Capital of France?", "answer": "Paris"},
     [("user", "Capital of France?"), ("assistant", "Paris")]),
    ("problem_solution", {"problem": "Write fizzbuzz", "solution": "for i in ...", "lang": "python"},
     [("user", "Write fizzbuzz"), ("assistant", "for i in ...")]),
    ("openmath", {"question": "1+1?", "generated_solution": "\\boxed{2}", "expected_answer": "2", "is_correct": True},
     [("user", "1+1?"), ("assistant", "\\boxed{2}")]),
    ("multiple_choice", {"question": "Largest?", "choices": ["1", "9", "3"], "answer": 1, "subject": "math"},
     [("user", "Largest?\n\nA. 1\nB. 9\nC. 3"), ("assistant", "B. 9")]),
    ("helpsteer", {"prompt": "Explain DNS", "response": "DNS maps names.", "helpfulness": 4, "correctness": 4},
     [("user", "Explain DNS"), ("assistant", "DNS maps names.")]),
    ("beavertails", {"prompt": "How do I stay safe online?", "response": "Use 2FA.", "is_safe": True,
                     "category": {"privacy": False}},
     [("user", "How do I stay safe online?"), ("assistant", "Use 2FA.")]),
]


@pytest.mark.parametrize(("fmt", "record", "expected"), SFT_CASES, ids=[c[0] for c in SFT_CASES])
def test_sft_formats_convert_to_samples(fmt: str, record: dict, expected: list[tuple[str, str]]) -> None:
    assert detect_format(record) == fmt
    sample = normalize_record(record, **TAGS)
    assert isinstance(sample, Sample)
    assert roles(sample) == expected
    assert (sample.id, sample.domain, sample.category, sample.source) == ("r1", "code", "cat", "src")
    assert sample.modalities is None


def test_commitpackft_asks_to_apply_the_message_and_answers_with_the_new_file() -> None:
    record = {"commit": "abc", "old_file": "app/util.py", "new_file": "app/util.py", "lang": "Python",
              "old_contents": "def f():\n    return 1\n", "new_contents": "def f():\n    return 2\n",
              "message": "Return 2 from f", "subject": "Return 2", "license": "mit", "repos": "x/y"}
    assert detect_format(record) == "commitpackft"
    sample = normalize_record(record, **TAGS)
    user, answer = sample.messages[0].content, sample.messages[1].content
    assert "`app/util.py`" in user and "Return 2 from f" in user and "return 1" in user
    assert answer == "```python\ndef f():\n    return 2\n```"


PAIR_CASES = [
    ("preference", {"prompt": "Say hi", "chosen": "Hi!", "rejected": "No."}, "Say hi", "Hi!", "No."),
    ("preference", {"prompt": [{"role": "user", "content": "Say hi"}],
                    "chosen": [{"role": "user", "content": "Say hi"}, {"role": "assistant", "content": "Hi!"}],
                    "rejected": [{"role": "user", "content": "Say hi"}, {"role": "assistant", "content": "No."}]},
     [Message(role="user", content="Say hi")], [Message(role="assistant", content="Hi!")],
     [Message(role="assistant", content="No.")]),
    ("preference", {"chosen": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "good"}],
                    "rejected": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "bad"}]},
     [Message(role="user", content="Q")], [Message(role="assistant", content="good")],
     [Message(role="assistant", content="bad")]),
    ("preference", {"conversations": [{"from": "human", "value": "Q"}], "chosen": {"from": "gpt", "value": "good"},
                    "rejected": {"from": "gpt", "value": "bad"}},
     [Message(role="user", content="Q")], [Message(role="assistant", content="good")],
     [Message(role="assistant", content="bad")]),
    ("hh_rlhf", {"chosen": "\n\nHuman: Hi\n\nAssistant: Hello!", "rejected": "\n\nHuman: Hi\n\nAssistant: Go away."},
     "Hi", "Hello!", "Go away."),
    ("nectar", {"prompt": "\n\nHuman: Name a colour\n\nAssistant:", "answers": [
        {"answer": "Blue", "model": "a", "rank": 1.0}, {"answer": "meh", "model": "b", "rank": 3.0},
        {"answer": "Red", "model": "c", "rank": 2.0}]}, "Name a colour", "Blue", "meh"),
    ("ultrafeedback", {"instruction": "Define AI", "completions": [
        {"response": "Weak", "overall_score": 3.0}, {"response": "Strong", "overall_score": 8.5}]},
     "Define AI", "Strong", "Weak"),
    ("pku_saferlhf", {"prompt": "Pick a lock?", "response_0": "Call a locksmith.", "response_1": "Use a pin.",
                      "safer_response_id": 0, "better_response_id": 1, "is_response_0_safe": True,
                      "is_response_1_safe": False}, "Pick a lock?", "Call a locksmith.", "Use a pin."),
]


@pytest.mark.parametrize(("fmt", "record", "prompt", "chosen", "rejected"), PAIR_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(PAIR_CASES)])
def test_preference_formats_convert_to_pairs(fmt: str, record: dict, prompt: object, chosen: object,
                                             rejected: object) -> None:
    assert detect_format(record) == fmt
    pair = normalize_record(record, **TAGS)
    assert isinstance(pair, PreferencePair)
    assert (pair.prompt, pair.chosen, pair.rejected) == (prompt, chosen, rejected)
    assert pair.training_mode == "censored"


def test_unknown_format_lists_the_keys_seen_and_the_known_formats() -> None:
    with pytest.raises(NormalizeError) as info:
        detect_format({"foo": 1, "bar": "x"})
    message = str(info.value)
    assert "['bar', 'foo']" in message
    assert "alpaca (instruction/input/output)" in message and "sharegpt" in message


def test_unsupported_role_and_bad_rows_are_reported() -> None:
    with pytest.raises(NormalizeError, match="unsupported role 'narrator'"):
        normalize_record({"conversations": [{"from": "narrator", "value": "Once"}, {"from": "gpt", "value": "x"}]},
                         **TAGS)
    with pytest.raises(NormalizeError, match="marked incorrect"):
        normalize_record({"question": "1+1", "generated_solution": "3", "is_correct": False}, **TAGS)
    with pytest.raises(NormalizeError, match="no assistant turn"):
        normalize_record({"messages": [{"role": "user", "content": "hi"}]}, **TAGS)


def test_import_counts_bad_rows_and_reads_json_csv_and_parquet(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    jsonl = write_jsonl(tmp_path / "in" / "mixed.jsonl", [
        {"instruction": "a", "output": "b"}, "{not json", {"foo": 1}, {"question": "q", "answer": "a"},
    ])
    (tmp_path / "in" / "array.json").write_text(json.dumps([{"prompt": "p", "completion": "c"}]))
    with open(tmp_path / "in" / "rows.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["question", "answer"])
        writer.writerow(["What is 2+3?", "5"])
    pq.write_table(pa.table({"problem": ["p1", "p2"], "solution": ["s1", "s2"]}), tmp_path / "in" / "t.parquet")
    seen = []
    report = import_files([jsonl, tmp_path / "in" / "array.json", tmp_path / "in" / "rows.csv",
                           tmp_path / "in" / "t.parquet"], tmp_path / "out", domain="general", category="imported",
                          progress=seen.append)
    assert (report.imported, report.skipped) == (6, 2)
    assert any("unknown record format" in reason for reason in report.reasons)
    assert {e.row for e in report.errors} == {2, 3}
    assert read_card(tmp_path / "out").total == 6
    assert seen[-1].bytes_done == seen[-1].bytes_total and seen[-1].rows == 8
    ids = [record.id for record in iter_records(tmp_path / "out")]
    assert len(set(ids)) == 6 and "mixed_000001" in ids


def test_cancelled_import_writes_no_card(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [{"question": f"q{i}", "answer": "a"} for i in range(10)])
    calls = iter(range(100))
    report = import_files([path], tmp_path / "out", domain="d", category="c", cancel=lambda: next(calls) >= 3)
    assert report.cancelled and report.card is None
    assert not (tmp_path / "out" / "dataset.json").exists()


# ---------------------------------------------------------------- LLaMA-Factory multimodal folder

def make_llamafactory_folder(root: Path) -> Path:
    make_png(root / "mllm_data" / "1.png")
    make_png(root / "mllm_data" / "2.png", (0, 0, 250))
    make_wav(root / "mllm_data" / "1.wav")
    make_mp4(root / "mllm_data" / "1.mp4")
    write_jsonl(root / "mllm_demo.jsonl", [
        {"messages": [{"role": "user", "content": "<image>What is shown?"},
                      {"role": "assistant", "content": "A red square."},
                      {"role": "user", "content": "And here? <image>"},
                      {"role": "assistant", "content": "A blue square."}],
         "images": ["mllm_data/1.png", "mllm_data/2.png"]},
        {"messages": [{"role": "user", "content": "<audio>Transcribe."}, {"role": "assistant", "content": "A tone."}],
         "audios": ["mllm_data/1.wav"]},
        {"messages": [{"role": "user", "content": "<video>What happens?"},
                      {"role": "assistant", "content": "It gets brighter."}],
         "videos": ["mllm_data/1.mp4"]},
        {"messages": [{"role": "user", "content": "<image><image>Two?"}, {"role": "assistant", "content": "One."}],
         "images": ["mllm_data/1.png"]},
    ])
    write_jsonl(root / "alpaca_mm.jsonl", [
        {"q": "<image>Describe the diagram.", "extra": "", "a": "A square.", "pics": ["mllm_data/1.png"]},
    ])
    write_jsonl(root / "gpt_style.jsonl", [
        {"chat": [{"speaker": "me", "text": "<audio>Who speaks?"}, {"speaker": "bot", "text": "Nobody."}],
         "sounds": ["mllm_data/1.wav"]},
    ])
    write_jsonl(root / "ranking.jsonl", [
        {"conversations": [{"from": "human", "value": "Best editor?"}],
         "chosen": {"from": "gpt", "value": "The one you know."}, "rejected": {"from": "gpt", "value": "vi only."}},
    ])
    info = {
        "mllm_demo": {"file_name": "mllm_demo.jsonl", "formatting": "sharegpt",
                      "columns": {"messages": "messages", "images": "images", "audios": "audios", "videos": "videos"},
                      "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user",
                               "assistant_tag": "assistant"}},
        "alpaca_mm": {"file_name": "alpaca_mm.jsonl",
                      "columns": {"prompt": "q", "query": "extra", "response": "a", "images": "pics"}},
        "gpt_style": {"file_name": "gpt_style.jsonl", "formatting": "sharegpt",
                      "columns": {"messages": "chat", "audios": "sounds"},
                      "tags": {"role_tag": "speaker", "content_tag": "text", "user_tag": "me", "assistant_tag": "bot"}},
        "ranking": {"file_name": "ranking.jsonl", "formatting": "sharegpt", "ranking": True,
                    "columns": {"messages": "conversations", "chosen": "chosen", "rejected": "rejected"}},
        "remote": {"hf_hub_url": "llamafactory/demo"},
    }
    (root / "dataset_info.json").write_text(json.dumps(info))
    return root


def test_llamafactory_multimodal_folder_imports_with_media_copied(tmp_path: Path) -> None:
    folder = make_llamafactory_folder(tmp_path / "lf")
    report = import_files([folder], tmp_path / "ds", domain="multimodal_fullstack", category="mm_import",
                          media_types={"image": "diagram"})
    assert report.imported == 6 and report.skipped == 1
    assert any("placeholder" in e.message for e in report.errors)
    assert any(f.entry == "remote" and "hub recipe" in (f.error or "") for f in report.files)
    samples = {s.messages[0].content: s for s in iter_samples(tmp_path / "ds")}
    two = samples["<image>What is shown?"]
    assert [ref.path for ref in two.modalities.image] == ["media/mllm_data/1.png", "media/mllm_data/2.png"]
    assert {ref.type for ref in two.modalities.image} == {"diagram"}
    assert two.messages[2].content == "And here? <image>"
    speech = samples["<audio>Transcribe."]
    # Nothing said what the sound and the clip are: they are tagged "other", not guessed.
    assert speech.modalities.audio == [MediaRef(path="media/mllm_data/1.wav", type="other")]
    video = samples["<video>What happens?"]
    assert video.modalities.video[0].type == "other"
    assert samples["<image>Describe the diagram."].messages[1].content == "A square."
    assert samples["<audio>Who speaks?"].source == "gpt_style"
    for sample in samples.values():
        for _, ref in sample.modalities.all():
            assert (tmp_path / "ds" / ref.path).is_file()
    pair = next(iter_pairs(tmp_path / "ds"))
    assert pair.prompt == [Message(role="user", content="Best editor?")]
    assert pair.chosen == [Message(role="assistant", content="The one you know.")]
    assert pair.rejected == [Message(role="assistant", content="vi only.")]


# ---------------------------------------------------------------- exports and round trips

def make_schema_dataset(root: Path) -> list[Sample | PreferencePair]:
    media = root / "media"
    make_png(media / "vision" / "issue_1.png")
    make_png(media / "vision" / "ui.png", (10, 200, 10))
    make_wav(media / "audio" / "meeting.wav")
    make_mp4(media / "video" / "demo.mp4")
    records: list[Sample | PreferencePair] = [
        Sample(id="txt_1", domain="code", category="fs_api_rest_crud", source="gen", repetition_style="2x",
               messages=[Message(role="system", content="You are precise."), Message(role="user", content="Q"),
                         Message(role="assistant", content="A")]),
        Sample(id="txt_2", domain="code", category="fs_test_unit", source="gen",
               messages=[Message(role="user", content="one"), Message(role="assistant", content="two"),
                         Message(role="user", content="three"), Message(role="assistant", content="four")]),
        Sample(id="mm_1", domain="multimodal_fullstack", category="mm_screenshot", source="capture",
               messages=[Message(role="user", content="Why does <image> fail? Compare <image>."),
                         Message(role="assistant", content="The button is hidden.")],
               modalities=Modalities(image=[MediaRef(path="media/vision/issue_1.png", type="screenshot"),
                                            MediaRef(path="media/vision/ui.png", type="ui_mock")])),
        Sample(id="mm_2", domain="multimodal_fullstack", category="mm_meeting", source="capture",
               messages=[Message(role="user", content="Summarise the meeting and the demo."),
                         Message(role="assistant", content="They shipped.")],
               modalities=Modalities(audio=[MediaRef(path="media/audio/meeting.wav", type="meeting")],
                                     video=[MediaRef(path="media/video/demo.mp4", type="deployment", fps=1.0)])),
        PreferencePair(id="pair_1", prompt="Fix it", chosen="Fixed.", rejected="No.", category="code_correctness",
                       source="gen"),
        PreferencePair(id="pair_2", prompt=[Message(role="system", content="Be safe."),
                                            Message(role="user", content="Help?")],
                       chosen=[Message(role="assistant", content="Sure.")],
                       rejected=[Message(role="assistant", content="Whatever.")], category="over_refusal",
                       training_mode="uncensored", source="gen"),
    ]
    with DatasetWriter(root) as writer:
        writer.write_all(records)
    return records


def dumps(records: object) -> list[dict]:
    return sorted((r.model_dump(mode="json") for r in records), key=lambda d: d["id"])


@pytest.mark.parametrize("alpaca_single_turn", [False, True])
def test_schema_to_llamafactory_to_schema_is_lossless(tmp_path: Path, alpaca_single_turn: bool) -> None:
    original = make_schema_dataset(tmp_path / "src")
    report = export_llamafactory(tmp_path / "src", tmp_path / "lf", alpaca_single_turn=alpaca_single_turn)
    assert report.written == 6 and report.skipped == 0
    info = json.loads((tmp_path / "lf" / "dataset_info.json").read_text())
    mapped = {key for entry in info.values() for key in entry.get("columns", {})}
    assert {"images", "audios", "videos"} <= mapped and info["nexus_pairs"]["ranking"] is True
    if alpaca_single_turn:
        assert info["nexus_alpaca"]["formatting"] == "alpaca"
    rows = [json.loads(line) for path in (tmp_path / "lf").glob("*.jsonl") for line in path.read_text().splitlines()]
    meeting = next(row for row in rows if row["nexus_id"] == "mm_2")
    user_text = meeting["instruction"] if alpaca_single_turn else meeting["messages"][0]["content"]
    assert user_text.startswith("<audio><video>")
    assert meeting["audios"] == ["media/audio/meeting.wav"] and (tmp_path / "lf" / "media/video/demo.mp4").is_file()
    back = import_files([tmp_path / "lf"], tmp_path / "back", domain="x", category="y")
    assert back.skipped == 0
    assert dumps(iter_records(tmp_path / "back")) == dumps(original)
    for path in ("media/vision/issue_1.png", "media/audio/meeting.wav", "media/video/demo.mp4"):
        assert (tmp_path / "back" / path).read_bytes() == (tmp_path / "src" / path).read_bytes()


def test_sharegpt_export_reads_back(tmp_path: Path) -> None:
    original = make_schema_dataset(tmp_path / "src")
    report = export_sharegpt(tmp_path / "src", tmp_path / "sg")
    assert report.written == 4
    rows = [json.loads(line) for line in (tmp_path / "sg" / "nexus_sharegpt.jsonl").read_text().splitlines()]
    first = next(row for row in rows if row["nexus_id"] == "txt_1")
    assert [turn["from"] for turn in first["conversations"]] == ["system", "human", "gpt"]
    back = import_files([tmp_path / "sg" / "nexus_sharegpt.jsonl"], tmp_path / "back", domain="x", category="y",
                        media_root=tmp_path / "sg")
    assert back.imported == 4
    assert dumps(iter_records(tmp_path / "back")) == dumps(r for r in original if isinstance(r, Sample))


@pytest.mark.parametrize("conversational", [None, True])
def test_trl_dpo_export_reads_back(tmp_path: Path, conversational: bool | None) -> None:
    original = make_schema_dataset(tmp_path / "src")
    report = export_trl_dpo(tmp_path / "src", tmp_path / "dpo", conversational=conversational)
    assert report.written == 2
    rows = [json.loads(line) for line in (tmp_path / "dpo" / "nexus_dpo.jsonl").read_text().splitlines()]
    # One shape for the whole file: the conversational pair forces message lists for all.
    assert all(isinstance(row["prompt"], list) for row in rows)
    assert rows[0]["chosen"] == [{"role": "assistant", "content": "Fixed."}]
    back = import_files([tmp_path / "dpo"], tmp_path / "back", domain="x", category="y")
    assert back.imported == 2
    assert dumps(iter_records(tmp_path / "back")) == dumps(r for r in original if isinstance(r, PreferencePair))


def test_plain_trl_export_skips_what_plain_text_cannot_hold(tmp_path: Path) -> None:
    make_schema_dataset(tmp_path / "src")
    report = export_trl_dpo(tmp_path / "src", tmp_path / "dpo", conversational=False, with_tags=False)
    assert (report.written, report.skipped) == (1, 1)
    row = json.loads((tmp_path / "dpo" / "nexus_dpo.jsonl").read_text())
    assert row == {"prompt": "Fix it", "chosen": "Fixed.", "rejected": "No."}
