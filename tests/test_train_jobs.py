"""Fine-tune jobs on the CPU with the tiny models: each runs in its own process through the real queue."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import psutil
import pytest
import torch
from safetensors.torch import load_file

from training.jobs.queue import JobQueue
from training.jobs.spec import JobSpec, LoraSettings, SpecError, check_spec
from training.jobs.state import last_checkpoint, read_progress, read_state
from tests.train_fixtures import tiny_multimodal_dataset, tiny_pairs_dataset

pytestmark = pytest.mark.slow
ENV = {"GPTQMODEL_CPU_WORKERS": "2", "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "2"}


def spec_for(model: Path, data: Path, **changes: object) -> JobSpec:
    values: dict = dict(name="tiny", base_model=str(model), datasets=[str(data)], eval_split=None, max_steps=16,
                        batch_size=2, gradient_accumulation=1, learning_rate=5e-3, schedule="constant",
                        warmup_ratio=0.0, save_every=4, device="cpu", lora=LoraSettings(rank=8, alpha=16, dropout=0.0))
    values.update(changes)
    return JobSpec(**values)


def losses(job: Path, key: str = "loss") -> list[float]:
    return [row[key] for row in read_progress(job) if row.get(key) is not None]


def run_job(queue: JobQueue, spec: JobSpec, timeout: float = 300) -> Path:
    job = queue.submit(spec)
    assert queue.run_until_idle(timeout)
    state = read_state(job)
    assert state.status == "completed", (state, (job / "runner.log").read_text()[-3000:])
    return job


def quarters(values: list[float]) -> tuple[float, float]:
    q = max(1, len(values) // 4)
    return sum(values[:q]) / q, sum(values[-q:]) / q


@pytest.fixture
def queue(tmp_path: Path) -> JobQueue:
    return JobQueue(tmp_path / "jobs", grace_s=30, poll_s=0.2, environment=ENV)


def test_lora_sft_on_multimodal_samples_learns_and_the_adapter_loads_anywhere(
    queue: JobQueue, tmp_path: Path, tiny_thinker_dir: Path, tiny_loaded  # type: ignore[no-untyped-def]
) -> None:
    data = tiny_multimodal_dataset(tmp_path / "data")
    job = run_job(queue, spec_for(tiny_thinker_dir, data))
    first, last = quarters(losses(job))
    assert last < first - 0.5, (first, last)
    assert not [row for row in read_progress(job) if row.get("note")], "every step had answers to learn from"
    card = json.loads((job / "card.json").read_text())
    assert card["train_records"] == 12 and card["steps"] == 16 and card["data_hash"]
    assert any((job / "tensorboard").rglob("events.out.tfevents.*"))
    # The engine hot-swaps it in and its answers change; base and adapter side by side.
    from engine.omni.adapters import AdapterSet
    from engine.omni.local import GenerationSettings, LocalEngine
    from engine.omni.turn import UserContent
    from training.jobs.results import ResultError, compare, export_adapter, merge_adapter

    engine = LocalEngine(tiny_loaded, GenerationSettings(max_new_tokens=8, min_new_tokens=8, temperature=0.0))
    adapters = AdapterSet(tiny_loaded.model)
    [row] = compare(engine, adapters, job, [UserContent(text="Say the colour word.")])
    assert row.adapter != row.base and adapters.names == []
    exported = export_adapter(job, tmp_path / "exported")
    assert (exported / "adapter_model.safetensors").is_file() and (exported / "nexus_job_card.json").is_file()
    with pytest.raises(ResultError, match="not empty"):
        export_adapter(job, tmp_path / "exported")
    merged = merge_adapter(job, tmp_path / "merged")
    assert (merged / "config.json").is_file() and not (merged / "adapter_config.json").exists()
    # Plain PEFT outside Nexus.
    from peft import PeftModel
    from transformers import Qwen2_5OmniThinkerForConditionalGeneration

    base = Qwen2_5OmniThinkerForConditionalGeneration.from_pretrained(tiny_thinker_dir)
    peft_model = PeftModel.from_pretrained(base, str(job / "adapter"))
    assert any("lora_A" in name for name, _ in peft_model.named_parameters())


def test_lora_sft_on_the_gptq_int4_base_uses_trainable_kernels(queue: JobQueue, tmp_path: Path, fixture_cache: Path) -> None:
    from tests.tiny_omni import cached_tiny_gptq_thinker

    data = tiny_multimodal_dataset(tmp_path / "data")
    job = run_job(queue, spec_for(cached_tiny_gptq_thinker(fixture_cache), data, max_steps=12))
    first, last = quarters(losses(job))
    assert last < first - 0.3, (first, last)
    assert json.loads((job / "card.json").read_text())["base_quantized"] is True


def test_dpo_reward_margin_grows(queue: JobQueue, tmp_path: Path, tiny_thinker_dir: Path) -> None:
    data = tiny_pairs_dataset(tmp_path / "pairs")
    job = run_job(queue, spec_for(tiny_thinker_dir, data, method="dpo", max_steps=12, max_length=256))
    margins = losses(job, "reward_margin")
    first, last = quarters(margins)
    assert last > first + 0.5, margins


def test_cancel_then_resume_matches_an_uninterrupted_run(queue: JobQueue, tmp_path: Path, tiny_thinker_dir: Path) -> None:
    data = tiny_multimodal_dataset(tmp_path / "data")
    straight = run_job(queue, spec_for(tiny_thinker_dir, data, name="straight"))
    job = queue.submit(spec_for(tiny_thinker_dir, data, name="interrupted"))
    queue.start()
    try:
        deadline = time.monotonic() + 120
        while read_state(job).step < 6 and time.monotonic() < deadline:
            time.sleep(0.1)
        queue.cancel(job)
        while read_state(job).status not in ("cancelled", "failed", "completed") and time.monotonic() < deadline:
            time.sleep(0.1)
        state = read_state(job)
        assert state.status == "cancelled" and "resume" in state.message, state
        stopped_at = last_checkpoint(job)
        assert stopped_at is not None and 6 <= int(stopped_at.name.split("-")[1]) < 16
        queue.resume(job)
        deadline = time.monotonic() + 180
        while read_state(job).status != "completed" and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        queue.stop()
    assert read_state(job).status == "completed" and read_state(job).resumed_from == stopped_at.name
    a = load_file(straight / "adapter" / "adapter_model.safetensors")
    b = load_file(job / "adapter" / "adapter_model.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key].float(), b[key].float(), atol=2e-3, rtol=1e-2)


def test_a_killed_runner_is_marked_failed_keeps_its_log_and_resumes(queue: JobQueue, tmp_path: Path, tiny_thinker_dir: Path) -> None:
    data = tiny_multimodal_dataset(tmp_path / "data")
    job = queue.submit(spec_for(tiny_thinker_dir, data))
    queue.start()
    try:
        deadline = time.monotonic() + 120
        while last_checkpoint(job) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        os.kill(read_state(job).pid, signal.SIGKILL)
        while read_state(job).status != "failed" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "was killed" in read_state(job).message and (job / "runner.log").stat().st_size > 0
        checkpoint = last_checkpoint(job)
        queue.resume(job)
        while read_state(job).status != "completed" and time.monotonic() < deadline + 120:
            time.sleep(0.2)
    finally:
        queue.stop()
    assert read_state(job).status == "completed" and read_state(job).resumed_from == checkpoint.name


def test_impossible_specs_and_bad_data_fail_before_start(queue: JobQueue, tmp_path: Path, tiny_thinker_dir: Path,
                                                         fixture_cache: Path) -> None:
    from tests.tiny_omni import cached_tiny_gptq_thinker

    data = tiny_multimodal_dataset(tmp_path / "data")
    gptq = cached_tiny_gptq_thinker(fixture_cache)
    assert any("cannot be merged" in p for p in check_spec(spec_for(gptq, data, merge_adapter=True)))
    assert any("ZERO3 cannot shard" in p for p in check_spec(spec_for(gptq, data, gpus=2, distributed="zero3")))
    with pytest.raises(SpecError, match="not a dataset folder"):
        queue.submit(spec_for(tiny_thinker_dir, tmp_path / "missing"))
    with pytest.raises(SpecError, match="no preference pairs"):
        queue.submit(spec_for(tiny_thinker_dir, data, method="dpo"))
    shard = next(data.glob("text-*.jsonl"))
    shard.write_text(shard.read_text() + "{not json\n")
    with pytest.raises(SpecError, match="cannot be read"):
        queue.submit(spec_for(tiny_thinker_dir, data))
    with pytest.raises(SpecError, match="no config.json"):
        queue.submit(spec_for(tmp_path, tiny_pairs_dataset(tmp_path / "pairs"), method="dpo"))
    assert queue.jobs() == []


def test_a_learning_rate_that_can_only_diverge_is_refused_with_a_reason(tmp_path: Path) -> None:
    from training.jobs.spec import load_spec

    path = tmp_path / "job.yaml"
    path.write_text("base_model: m\ndatasets: [d]\nlearning_rate: 1.0e+30\n")
    with pytest.raises(SpecError, match="makes training diverge"):
        load_spec(path)


def test_a_diverging_job_fails_and_saves_no_adapter(queue: JobQueue, tmp_path: Path, tiny_thinker_dir: Path) -> None:
    import soundfile as sf

    data = tiny_multimodal_dataset(tmp_path / "data")
    for tone in (data / "media").glob("tone*.wav"):  # a float WAV with NaN samples: the loss becomes NaN
        samples = sf.read(tone, dtype="float32")[0]
        samples[::7] = float("nan")
        sf.write(tone, samples, 16_000, subtype="FLOAT")
    job = queue.submit(spec_for(tiny_thinker_dir, data, max_steps=12))
    assert queue.run_until_idle(300)
    state = read_state(job)
    log = (job / "runner.log").read_text()[-3000:]
    assert state.status == "failed", (state, log)
    assert "Training diverged" in state.message and "No adapter was saved" in state.message, state.message
    assert not (job / "adapter").exists() and not (job / "card.json").exists()
    rows = read_progress(job)
    assert all(row["loss"] != 0.0 for row in rows), "a NaN loss is never shown as 0"
    assert any("diverged" in row.get("note", "") and row["loss"] is None for row in rows), rows
    for checkpoint in (job / "checkpoints").glob("checkpoint-*"):
        for shard in checkpoint.glob("adapter_model.safetensors"):
            assert all(torch.isfinite(t).all() for t in load_file(str(shard)).values()), checkpoint


def test_a_step_whose_answers_were_all_cut_off_says_so(queue: JobQueue, tmp_path: Path, tiny_thinker_dir: Path) -> None:
    data = tiny_multimodal_dataset(tmp_path / "data")
    # Text rows are cut at max_length: 32 tokens keep the system prompt and the question, never the answer.
    job = run_job(queue, spec_for(tiny_thinker_dir, data, max_length=32, max_steps=12, batch_size=1, save_every=12))
    rows = read_progress(job)
    noted = [row for row in rows if row.get("note")]
    assert noted and all(row["loss"] is None for row in noted), rows
    assert "no labelled tokens" in noted[0]["note"]


def test_two_queues_on_one_folder_never_run_two_jobs_at_once(tmp_path: Path, tiny_thinker_dir: Path) -> None:
    """The app's queue and `nexus-cli train run` (here: two queues) share one runner slot."""
    data = tiny_multimodal_dataset(tmp_path / "data")
    app = JobQueue(tmp_path / "jobs", grace_s=30, poll_s=0.1, environment=ENV)
    cli = JobQueue(tmp_path / "jobs", grace_s=30, poll_s=0.1, environment=ENV)
    jobs = [app.submit(spec_for(tiny_thinker_dir, data, name="from-app", max_steps=4)),
            cli.submit(spec_for(tiny_thinker_dir, data, name="from-cli", max_steps=4))]
    most_at_once = 0
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        cli.tick()
        app.tick()
        running = [job for job in jobs if read_state(job).status == "running" and read_state(job).pid]
        alive = [job for job in running if psutil.pid_exists(read_state(job).pid)]
        most_at_once = max(most_at_once, len(alive))
        if all(read_state(job).status in ("completed", "failed") for job in jobs) and app.running is None \
                and cli.running is None:
            break
        time.sleep(0.1)
    assert [read_state(job).status for job in jobs] == ["completed", "completed"]
    assert most_at_once == 1


def test_the_queue_refuses_another_kind_of_base_model_and_skips_a_damaged_job(tmp_path: Path) -> None:
    data = tiny_multimodal_dataset(tmp_path / "data")
    llama = tmp_path / "llama"
    llama.mkdir()
    (llama / "config.json").write_text(json.dumps({"model_type": "llama"}))
    queue = JobQueue(tmp_path / "jobs", environment=ENV)
    with pytest.raises(SpecError, match="'llama' model, not a Qwen2.5-Omni thinker"):
        queue.submit(spec_for(llama, data))
    damaged = tmp_path / "jobs" / "20260101-000000-damaged"
    damaged.mkdir()
    (damaged / "job.yaml").write_bytes(b"\xff\xfe\x00binary")
    assert JobQueue(tmp_path / "jobs", environment=ENV).jobs() == []
