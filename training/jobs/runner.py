"""The job runner: one process per job, so a crash or an out-of-memory kill cannot take the GUI down.

``python -m training.jobs.runner JOB_DIR`` trains the job in ``JOB_DIR``
(resuming from its last checkpoint when there is one), writes
``progress.jsonl`` and TensorBoard events as it goes, and ends with the
adapter and ``card.json`` (exit 0), a cancelled state after saving a
checkpoint on SIGTERM (exit 3), or a failed state with the reason (exit 1).
LoRA SFT uses transformers' Trainer with the multimodal collator; DPO uses
TRL's DPOTrainer with the adapter-disabled base as the reference model. A
GPTQ base is loaded with gptqmodel's trainable kernels.
"""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

from engine.privacy import make_private
from training.jobs.spec import JobSpec, check_spec, is_gptq_checkpoint, load_spec
from training.jobs.state import last_checkpoint, update_state

if TYPE_CHECKING:
    from training.jobs.collator import LabelCounter

log = logging.getLogger("nexus.train")
EXIT_CANCELLED = 3


class _ListDataset:
    """A map-style dataset over records already in memory."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> Any:
        return self.items[index]


def lora_target_regex(spec: JobSpec) -> str:
    """Which linear layers get LoRA: the language model's, plus unfrozen towers'."""
    names = "|".join(spec.lora.target_modules)
    parts = [rf"model\.language_model\..*\.({names})"]
    if not spec.freeze_vision_tower:
        parts.append(r"model\.visual\.blocks\..*\.(qkv|proj|fc1|fc2|gate_proj|up_proj|down_proj)")
    if not spec.freeze_audio_tower:
        parts.append(r"model\.audio_tower\.layers\..*\.(q_proj|k_proj|v_proj|out_proj|fc1|fc2)")
    return "^(" + "|".join(parts) + ")$"


class Diverged(Exception):
    """Training produced a non-finite loss, gradient or weight; nothing after it may be kept."""


def is_finite(value: float | None) -> bool:
    """Whether a logged number is usable (``None`` counts as usable: nothing was logged)."""
    return value is None or math.isfinite(value)


def non_finite_parameters(model: Any) -> list[str]:
    """Names of trainable parameters that hold NaN or infinity."""
    import torch

    return [name for name, param in model.named_parameters()
            if param.requires_grad and not bool(torch.isfinite(param.detach()).all())]


def _callbacks(job_dir: Path, spec: JobSpec, cancel_flag: dict[str, bool], labelled: LabelCounter | None,
               divergence: dict[str, Any]):  # type: ignore[no-untyped-def]
    import torch
    from transformers import TrainerCallback

    progress_path = job_dir / "progress.jsonl"
    process = psutil.Process()

    class Progress(TrainerCallback):
        """Appends one JSON line per log event (train and eval)."""

        def __init__(self) -> None:
            self.started = time.time()
            self.start_step: int | None = None

        def on_train_begin(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
            self.started = time.time()
            self.start_step = state.global_step
            if state.is_world_process_zero:
                update_state(job_dir, max_steps=state.max_steps, step=state.global_step)

        def on_log(self, args, state, control, logs=None, **kwargs):  # type: ignore[no-untyped-def]
            if not state.is_world_process_zero:
                return
            logs = dict(logs or {})
            note = None
            if labelled is not None and "loss" in logs:
                tokens = labelled.take()
                if tokens == 0:
                    # Every answer of this step was cut off (or absent): there was nothing to learn from.
                    logs["loss"] = None
                    logs.pop("grad_norm", None)
                    note = "no labelled tokens in this step: every answer was cut off at max_length"
            if not (is_finite(logs.get("loss")) and is_finite(logs.get("grad_norm"))):
                divergence.setdefault("step", state.global_step)
                divergence.setdefault("what", "the loss" if not is_finite(logs.get("loss")) else "the gradient")
                control.should_training_stop = True
                control.should_save = False
            done = state.global_step - (self.start_step or 0)
            elapsed = time.time() - self.started
            per_step = elapsed / done if done else None
            record = {
                "time": time.time(), "step": state.global_step, "max_steps": state.max_steps,
                "epoch": state.epoch, "loss": logs.get("loss"), "eval_loss": logs.get("eval_loss"),
                "learning_rate": logs.get("learning_rate"), "grad_norm": logs.get("grad_norm"),
                "reward_margin": logs.get("rewards/margins"), "reward_accuracy": logs.get("rewards/accuracies"),
                "tokens_per_s": (state.num_input_tokens_seen / elapsed) if elapsed and state.num_input_tokens_seen else None,
                "eta_s": per_step * (state.max_steps - state.global_step) if per_step else None,
                "rss_gb": process.memory_info().rss / 2**30,
                "gpu_gb": torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None,
            }
            broken = [k for k, v in record.items() if isinstance(v, float) and not math.isfinite(v)]
            for key in broken:  # JSON has no NaN: the value goes, the note says what it was
                record[key] = None
            if broken:
                note = f"{', '.join(broken)} became NaN or infinite: training diverged"
            if note:
                record["note"] = note
            with open(progress_path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")
            update_state(job_dir, step=state.global_step, max_steps=state.max_steps)

    class Cancel(TrainerCallback):
        """On SIGTERM: save a checkpoint at the end of the step and stop."""

        def on_step_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
            if cancel_flag["set"] and "step" not in divergence:
                control.should_save = True
                control.should_training_stop = True
            return control

    class Finite(TrainerCallback):
        """After every optimizer step: stop, saving nothing, once a trainable weight is NaN or infinite."""

        def on_step_end(self, args, state, control, model=None, **kwargs):  # type: ignore[no-untyped-def]
            if model is not None and non_finite_parameters(model):
                divergence.setdefault("step", state.global_step)
                divergence.setdefault("what", "the adapter's weights")
                control.should_training_stop = True
                control.should_save = False
            return control

    return [Finite(), Progress(), Cancel()]


def _sft_trainer_class(labelled: LabelCounter):  # type: ignore[no-untyped-def]
    import torch
    from transformers import Trainer

    from training.jobs.collator import IGNORE

    class SftTrainer(Trainer):
        """A Trainer that skips a micro-batch with no labelled token instead of back-propagating 0/0 = NaN.

        It also counts the labelled tokens of every micro-batch it trains on, for the step's log line
        (counted here, not in the collator: the Trainer fetches batches ahead of the step they belong to).
        """

        def training_step(self, model, inputs, num_items_in_batch=None):  # type: ignore[no-untyped-def]
            labels = inputs.get("labels")
            if labels is not None:
                per_row = (labels != IGNORE).sum(dim=1)
                labelled.add(int(per_row.sum()))
                if not bool(per_row.any()):
                    return torch.zeros((), device=self.args.device)
            return super().training_step(model, inputs, num_items_in_batch)

    return SftTrainer


def _training_args(spec: JobSpec, job_dir: Path, device: str, has_eval: bool, dpo: bool):  # type: ignore[no-untyped-def]
    common: dict[str, Any] = dict(
        output_dir=str(job_dir / "checkpoints"),
        per_device_train_batch_size=spec.batch_size,
        per_device_eval_batch_size=spec.batch_size,
        gradient_accumulation_steps=spec.gradient_accumulation,
        learning_rate=spec.learning_rate,
        lr_scheduler_type=spec.schedule,
        warmup_steps=float(spec.warmup_ratio),
        num_train_epochs=spec.epochs,
        max_steps=spec.max_steps or -1,
        logging_steps=1,
        # Log a NaN loss as NaN: by default the Trainer replaces it with the running mean, hiding divergence.
        logging_nan_inf_filter=False,
        save_strategy="steps",
        save_steps=spec.save_every,
        save_total_limit=2,
        eval_strategy="steps" if has_eval else "no",
        eval_steps=spec.eval_every,
        seed=spec.seed,
        data_seed=spec.seed,
        report_to=["tensorboard"],
        remove_unused_columns=False,
        use_cpu=device == "cpu",
        dataloader_num_workers=0,
        include_num_input_tokens_seen=True,
        bf16=device == "cuda",
        disable_tqdm=True,
    )
    if dpo:
        from trl import DPOConfig

        return DPOConfig(beta=spec.dpo_beta, max_length=spec.max_length, **common)
    from transformers import TrainingArguments

    return TrainingArguments(**common)


def train(job_dir: Path) -> int:
    """Run (or resume) the job in ``job_dir``; returns the process exit code."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import set_seed

    from engine.omni.loader import load_thinker
    from training.jobs.collator import SftCollator
    from training.jobs.data import load_job_data

    os.environ["TENSORBOARD_LOGGING_DIR"] = str(job_dir / "tensorboard")
    cancel_flag = {"set": False}
    signal.signal(signal.SIGTERM, lambda *_: cancel_flag.__setitem__("set", True))
    spec = load_spec(job_dir / "job.yaml")
    problems = check_spec(spec, cuda_devices=torch.cuda.device_count())
    if problems:
        raise ValueError(" ".join(problems))
    resume = last_checkpoint(job_dir)
    update_state(job_dir, status="running", pid=os.getpid(), started=time.time(), message="",
                 resumed_from=resume.name if resume else None)
    set_seed(spec.seed)
    data = load_job_data(spec)
    gptq = is_gptq_checkpoint(Path(spec.base_model).expanduser())
    loaded = load_thinker(Path(spec.base_model).expanduser(), spec.device, trainable=gptq)
    model = loaded.model
    model.config.use_cache = False
    lora = LoraConfig(r=spec.lora.rank, lora_alpha=spec.lora.alpha, lora_dropout=spec.lora.dropout,
                      target_modules=lora_target_regex(spec), task_type="CAUSAL_LM")
    from training.jobs.collator import LabelCounter

    divergence: dict[str, Any] = {}
    labelled = LabelCounter() if spec.method != "dpo" else None
    callbacks = _callbacks(job_dir, spec, cancel_flag, labelled, divergence)
    args = _training_args(spec, job_dir, loaded.device, bool(data.eval), spec.method == "dpo")
    if spec.method == "dpo":
        from datasets import Dataset
        from trl import DPOTrainer

        def as_row(pair: Any) -> dict[str, Any]:
            def text(value: Any) -> Any:
                return value if isinstance(value, str) else [m.model_dump() for m in value]
            return {"prompt": text(pair.prompt), "chosen": text(pair.chosen), "rejected": text(pair.rejected)}

        train_rows = Dataset.from_list([as_row(pair) for _, pair in data.train])
        eval_rows = Dataset.from_list([as_row(pair) for _, pair in data.eval]) if data.eval else None
        trainer = DPOTrainer(model=model, ref_model=None, args=args, train_dataset=train_rows, eval_dataset=eval_rows,
                             processing_class=loaded.processor.tokenizer, peft_config=lora, callbacks=callbacks)
    else:
        peft_model = get_peft_model(model, lora)
        trainer = _sft_trainer_class(labelled)(model=peft_model, args=args, train_dataset=_ListDataset(data.train),
                          eval_dataset=_ListDataset(data.eval) if data.eval else None,
                          data_collator=SftCollator(loaded.processor, spec.max_length), callbacks=callbacks)
    result = trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    if divergence or non_finite_parameters(trainer.model):
        step = divergence.get("step", trainer.state.global_step)
        raise Diverged(
            f"Training diverged: {divergence.get('what', 'the weights')} became NaN or infinite at step {step}. "
            f"No adapter was saved; lower the learning rate (now {spec.learning_rate:g}) or check the data with "
            "`nexus-cli data validate`, and start again."
        )
    if cancel_flag["set"] and trainer.state.global_step < trainer.state.max_steps:
        update_state(job_dir, status="cancelled", finished=time.time(), pid=None,
                     message=f"Cancelled at step {trainer.state.global_step}; resume continues from there.")
        return EXIT_CANCELLED
    adapter_dir = job_dir / "adapter"
    trainer.model.save_pretrained(str(adapter_dir))
    metrics = dict(result.metrics)
    if data.eval:
        metrics.update(trainer.evaluate())
    card = {"spec": spec.model_dump(mode="json"), "data_hash": data.data_hash, "base_quantized": gptq,
            "train_records": len(data.train), "eval_records": len(data.eval), "metrics": metrics,
            "steps": trainer.state.global_step, "finished": time.strftime("%Y-%m-%d %H:%M:%S")}
    (job_dir / "card.json").write_text(json.dumps(card, indent=1, default=str), encoding="utf-8")
    update_state(job_dir, status="completed", finished=time.time(), pid=None, step=trainer.state.global_step,
                 message=f"Finished {trainer.state.global_step} steps.")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the runner process."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m training.jobs.runner JOB_DIR", file=sys.stderr)
        return 2
    job_dir = Path(argv[0])
    make_private()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("GPTQMODEL_CPU_WORKERS", str(max(1, (os.cpu_count() or 2) // 2)))
    try:
        return train(job_dir)
    except Exception as exc:  # noqa: BLE001 - recorded for the GUI, with the traceback in runner.log
        log.exception("job failed")
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        update_state(job_dir, status="failed", finished=time.time(), pid=None, message=message)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
