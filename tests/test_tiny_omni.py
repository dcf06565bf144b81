"""Proves that ``tests/tiny_omni.py`` builds real, loadable Qwen2.5-Omni thinker checkpoints.

Fast tests cover the bf16 thinker (build, ``from_pretrained``, multimodal chat through the real
processor, streaming). GPTQ tests are marked ``slow``: quantizing takes ~5 s, but the very first
GPTQ run on a machine JIT-compiles two GPTQModel CPU extensions (~80 s on 2 cores).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from tests.tiny_omni import (
    CHAT_TEMPLATE,
    QUANTIZED_MODULES,
    SPECIAL_TOKENS,
    TINY_DIMS,
    TINY_MAX_PIXELS,
    build_tiny_thinker,
    cached_tiny_gptq_thinker,
    cached_tiny_thinker,
    special_token_ids,
)

SAMPLE_RATE = 16000


# --------------------------------------------------------------------------------------------
# Local fixtures (a shared session fixture belongs in conftest.py, owned elsewhere)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Per-session cache folder shared by every module that uses the same name."""
    return tmp_path_factory.getbasetemp() / "tiny-omni-cache"


@pytest.fixture(scope="module")
def tiny_dir(cache_root: Path) -> Path:
    """The bf16 tiny thinker folder."""
    return cached_tiny_thinker(cache_root)


@pytest.fixture(scope="module")
def tiny_model(tiny_dir: Path) -> Any:
    """The tiny thinker loaded like a real checkpoint."""
    from transformers import Qwen2_5OmniThinkerForConditionalGeneration

    return Qwen2_5OmniThinkerForConditionalGeneration.from_pretrained(tiny_dir, device_map="cpu").eval()


@pytest.fixture(scope="module")
def tiny_processor(tiny_dir: Path) -> Any:
    """The real Qwen2.5-Omni processor loaded from the tiny folder."""
    from transformers import Qwen2_5OmniProcessor

    return Qwen2_5OmniProcessor.from_pretrained(tiny_dir)


@pytest.fixture(scope="module")
def gptq_dir(cache_root: Path) -> Path:
    """GPTQ int4 tiny thinker, plain layout."""
    return cached_tiny_gptq_thinker(cache_root)


@pytest.fixture(scope="module")
def gptq_official_dir(cache_root: Path) -> Path:
    """GPTQ int4 tiny thinker, official ``thinker.``-prefixed full-Omni layout."""
    return cached_tiny_gptq_thinker(cache_root, official_layout=True)


def _multimodal_conversation() -> tuple[list[dict[str, Any]], np.ndarray, np.ndarray]:
    """A user turn with a 1280x720 random RGB image, 1 s of 16 kHz audio and a question."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size=(720, 1280, 3), dtype=np.uint8)
    audio = (0.1 * rng.standard_normal(SAMPLE_RATE)).astype(np.float32)
    conversation = [
        {
            "role": "user",
            "content": [
                {"type": "image", "image": image},
                {"type": "audio", "audio": audio},
                {"type": "text", "text": "What is in this image and what did you hear?"},
            ],
        }
    ]
    return conversation, image, audio


def _multimodal_inputs(processor: Any) -> Any:
    conversation, image, audio = _multimodal_conversation()
    text = processor.apply_chat_template(conversation, add_generation_prompt=True, tokenize=False)
    return processor(text=text, images=[image], audio=[audio], return_tensors="pt")


# --------------------------------------------------------------------------------------------
# bf16 thinker
# --------------------------------------------------------------------------------------------


def test_build_writes_small_real_checkpoint(tmp_path: Path) -> None:
    start = time.perf_counter()
    out = build_tiny_thinker(tmp_path / "tiny")
    elapsed = time.perf_counter() - start

    names = {p.name for p in out.iterdir()}
    assert {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
            "tokenizer_config.json", "processor_config.json", "chat_template.jinja"} <= names
    total = sum(p.stat().st_size for p in out.iterdir())
    assert total < 5 * 1024 * 1024, f"tiny checkpoint is {total} bytes"
    assert elapsed < 30, f"build took {elapsed:.1f}s"  # ~2 s on 2 cores; generous for loaded CI

    config = json.loads((out / "config.json").read_text())
    assert config["model_type"] == "qwen2_5_omni_thinker"
    assert config["architectures"] == ["Qwen2_5OmniThinkerForConditionalGeneration"]
    assert config["dtype"] == "bfloat16"


def test_build_is_deterministic_per_seed(tmp_path: Path, tiny_dir: Path) -> None:
    from safetensors.torch import load_file

    again = load_file(str(build_tiny_thinker(tmp_path / "same") / "model.safetensors"))
    cached = load_file(str(tiny_dir / "model.safetensors"))
    assert again.keys() == cached.keys()
    assert all(torch.equal(again[k], cached[k]) for k in cached)

    other = load_file(str(build_tiny_thinker(tmp_path / "other", seed=1) / "model.safetensors"))
    key = "model.layers.0.self_attn.q_proj.weight"
    assert not torch.equal(other[key], cached[key])


def test_cached_tiny_thinker_reuses_folder(cache_root: Path, tiny_dir: Path) -> None:
    before = (tiny_dir / "model.safetensors").stat().st_mtime_ns
    assert cached_tiny_thinker(cache_root) == tiny_dir
    assert (tiny_dir / "model.safetensors").stat().st_mtime_ns == before


def test_loads_via_from_pretrained(tiny_model: Any, tiny_processor: Any, tiny_dir: Path) -> None:
    from transformers import AutoTokenizer, Qwen2_5OmniProcessor, Qwen2_5OmniThinkerForConditionalGeneration

    assert isinstance(tiny_model, Qwen2_5OmniThinkerForConditionalGeneration)
    assert isinstance(tiny_processor, Qwen2_5OmniProcessor)
    assert tiny_model.dtype == torch.bfloat16
    assert type(tiny_processor.image_processor).__name__ == "Qwen2VLImageProcessor"
    assert type(tiny_processor.video_processor).__name__ == "Qwen2VLVideoProcessor"
    assert type(tiny_processor.feature_extractor).__name__ == "WhisperFeatureExtractor"
    assert tiny_processor.feature_extractor.feature_size == 128
    tokenizer = tiny_processor.tokenizer
    auto_tokenizer = AutoTokenizer.from_pretrained(tiny_dir)
    assert type(tokenizer).__name__ == type(auto_tokenizer).__name__ == "Qwen2Tokenizer"

    config = tiny_model.config
    ids = special_token_ids(tokenizer)
    assert len(ids) == len(SPECIAL_TOKENS)
    assert config.text_config.vocab_size == len(tokenizer)
    assert config.image_token_id == ids["<|IMAGE|>"] == tiny_processor.image_token_id
    assert config.audio_token_id == ids["<|AUDIO|>"] == tiny_processor.audio_token_id
    assert config.video_token_id == ids["<|VIDEO|>"] == tiny_processor.video_token_id
    assert config.vision_start_token_id == ids["<|vision_bos|>"]
    assert config.audio_start_token_id == ids["<|audio_bos|>"]
    assert config.audio_end_token_id == ids["<|audio_eos|>"]
    assert tokenizer.encode("user", add_special_tokens=False) == [config.user_token_id]
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.pad_token == "<|endoftext|>"
    # Same relative layout as the real tokenizer (<|endoftext|> = 151643 ... <|VIDEO|> = 151656).
    assert ids["<|VIDEO|>"] - ids["<|endoftext|>"] == 151656 - 151643

    gen = tiny_model.generation_config
    eos_ids = gen.eos_token_id if isinstance(gen.eos_token_id, list) else [gen.eos_token_id]
    assert ids["<|im_end|>"] in eos_ids
    assert gen.pad_token_id == ids["<|endoftext|>"]

    text_config = config.text_config
    head_dim = text_config.hidden_size // text_config.num_attention_heads
    assert sum(text_config.rope_parameters["mrope_section"]) * 2 == head_dim
    assert config.vision_config.out_hidden_size == config.audio_config.output_dim == text_config.hidden_size
    assert text_config.hidden_size == TINY_DIMS.text_hidden


def test_chat_template_matches_qwen_omni_format(tiny_processor: Any) -> None:
    assert tiny_processor.chat_template == CHAT_TEMPLATE
    assert tiny_processor.tokenizer.chat_template == CHAT_TEMPLATE
    text_only = tiny_processor.apply_chat_template(
        [{"role": "user", "content": "Hi"}], add_generation_prompt=True, tokenize=False
    )
    assert text_only == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    )
    conversation, _, _ = _multimodal_conversation()
    with_system = [{"role": "system", "content": [{"type": "text", "text": "Be brief."}]}, *conversation]
    rendered = tiny_processor.apply_chat_template(with_system, add_generation_prompt=True, tokenize=False)
    assert rendered == (
        "<|im_start|>system\nBe brief.<|im_end|>\n"
        "<|im_start|>user\n<|vision_bos|><|IMAGE|><|vision_eos|><|audio_bos|><|AUDIO|><|audio_eos|>"
        "What is in this image and what did you hear?<|im_end|>\n<|im_start|>assistant\n"
    )


def test_multimodal_chat_generates(tiny_model: Any, tiny_processor: Any) -> None:
    inputs = _multimodal_inputs(tiny_processor)
    input_ids = inputs["input_ids"][0]

    # The processor resized the 1280x720 image to fit max_pixels and expanded each placeholder.
    grid = inputs["image_grid_thw"][0]
    assert int(grid[1] * grid[2]) * 14 * 14 <= TINY_MAX_PIXELS
    expected = tiny_processor._get_num_multimodal_tokens(
        image_sizes=[(720, 1280)], audio_lengths=[SAMPLE_RATE]
    )
    n_image = int((input_ids == tiny_processor.image_token_id).sum())
    n_audio = int((input_ids == tiny_processor.audio_token_id).sum())
    assert n_image > 0 and n_audio > 0
    assert n_image == int(grid.prod()) // tiny_processor.image_processor.merge_size**2
    assert n_image == expected["num_image_tokens"][0]
    assert n_audio == expected["num_audio_tokens"][0] == 25  # 1 s -> 100 mel frames -> 25 tokens
    assert inputs["input_features"].shape[1] == 128
    assert inputs["pixel_values"].shape[0] == int(grid.prod())

    with torch.no_grad():
        output = tiny_model.generate(**inputs, max_new_tokens=5, min_new_tokens=5)
    assert output.shape == (1, input_ids.shape[0] + 5)
    assert torch.equal(output[0, : input_ids.shape[0]], input_ids)
    assert isinstance(tiny_processor.batch_decode(output[:, input_ids.shape[0] :])[0], str)


def test_video_chat_generates(tiny_model: Any, tiny_processor: Any) -> None:
    video = np.random.default_rng(1).integers(0, 256, size=(4, 240, 320, 3), dtype=np.uint8)
    content = [{"type": "video", "video": video}, {"type": "text", "text": "Why?"}]
    conversation = [{"role": "user", "content": content}]
    text = tiny_processor.apply_chat_template(conversation, add_generation_prompt=True, tokenize=False)
    assert "<|vision_bos|><|VIDEO|><|vision_eos|>" in text
    inputs = tiny_processor(text=text, videos=[video], return_tensors="pt")
    grid = inputs["video_grid_thw"][0]
    n_video = int((inputs["input_ids"][0] == tiny_processor.video_token_id).sum())
    assert grid[0] == 2 and n_video == int(grid.prod()) // 4 > 0  # 4 frames / temporal patch 2
    with torch.no_grad():
        output = tiny_model.generate(**inputs, max_new_tokens=5, min_new_tokens=5)
    assert output.shape[1] == inputs["input_ids"].shape[1] + 5


def test_streaming_yields_text(tiny_model: Any, tiny_processor: Any) -> None:
    from transformers import TextIteratorStreamer

    tokenizer = tiny_processor.tokenizer
    text = tiny_processor.apply_chat_template(
        [{"role": "user", "content": "Tell me a story."}], add_generation_prompt=True, tokenize=False
    )
    inputs = tiny_processor(text=text, return_tensors="pt")
    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, timeout=60)
    result: dict[str, torch.Tensor] = {}

    def run() -> None:
        with torch.no_grad():
            result["ids"] = tiny_model.generate(
                **inputs, max_new_tokens=8, min_new_tokens=8, streamer=streamer
            )

    thread = threading.Thread(target=run)
    thread.start()
    chunks = list(streamer)
    thread.join(timeout=60)

    assert chunks and "".join(chunks)
    new_tokens = result["ids"][0, inputs["input_ids"].shape[1] :]
    assert new_tokens.shape[0] == 8
    assert "".join(chunks) == tokenizer.decode(new_tokens)


# --------------------------------------------------------------------------------------------
# GPTQ thinker (slow: GPTQModel import, quantization and first-run kernel compilation)
# --------------------------------------------------------------------------------------------


def _quant_linear_base() -> type:
    from gptqmodel.nn_modules.qlinear import BaseQuantLinear

    return BaseQuantLinear


@pytest.mark.slow
def test_gptq_checkpoint_layout(gptq_dir: Path, tiny_dir: Path) -> None:
    from safetensors import safe_open

    config = json.loads((gptq_dir / "config.json").read_text())
    assert config["model_type"] == "qwen2_5_omni_thinker"
    quant = config["quantization_config"]
    assert (quant["quant_method"], quant["bits"], quant["group_size"], quant["sym"], quant["desc_act"]) == (
        "gptq", 4, 32, True, False,
    )
    assert (gptq_dir / "quantize_config.json").is_file()
    with safe_open(str(gptq_dir / "model.safetensors"), "pt") as f:
        keys = set(f.keys())
    for layer in range(TINY_DIMS.text_layers):
        for module in QUANTIZED_MODULES:
            prefix = f"model.layers.{layer}.{module}."
            assert {prefix + n for n in ("qweight", "qzeros", "scales", "g_idx")} <= keys
            assert prefix + "weight" not in keys
    # Everything else (towers, embeddings, norms, lm_head) is kept unquantized.
    assert "visual.patch_embed.proj.weight" in keys and "audio_tower.conv1.weight" in keys
    assert "lm_head.weight" in keys and "model.embed_tokens.weight" in keys
    for name in ("tokenizer.json", "processor_config.json", "chat_template.jinja", "generation_config.json"):
        assert (gptq_dir / name).read_bytes() == (tiny_dir / name).read_bytes()


@pytest.mark.slow
def test_gptq_loads_and_generates(gptq_dir: Path, tiny_model: Any) -> None:
    from transformers import Qwen2_5OmniProcessor, Qwen2_5OmniThinkerForConditionalGeneration

    model = Qwen2_5OmniThinkerForConditionalGeneration.from_pretrained(gptq_dir, device_map="cpu").eval()
    layers = model.model.language_model.layers
    for module in QUANTIZED_MODULES:
        assert isinstance(layers[0].get_submodule(module), _quant_linear_base()), module
    assert isinstance(model.lm_head, torch.nn.Linear)

    # The packed weights really are the bf16 weights, quantized: same outputs up to int4 noise.
    reference = tiny_model.model.language_model.layers
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for layer in range(TINY_DIMS.text_layers):
            for module in QUANTIZED_MODULES:
                ref = reference[layer].get_submodule(module)
                x = torch.randn(4, ref.in_features, generator=generator).to(torch.bfloat16)
                a = ref(x).float().flatten()
                b = layers[layer].get_submodule(module)(x).float().flatten()
                assert torch.corrcoef(torch.stack([a, b]))[0, 1] > 0.97, (layer, module)

    processor = Qwen2_5OmniProcessor.from_pretrained(gptq_dir)
    inputs = _multimodal_inputs(processor)
    with torch.no_grad():
        output = model.generate(**inputs, max_new_tokens=5, min_new_tokens=5)
    assert output.shape[1] == inputs["input_ids"].shape[1] + 5


@pytest.mark.slow
def test_gptq_trainable_backend_trains_lora(gptq_dir: Path) -> None:
    from peft import LoraConfig, get_peft_model
    from transformers import GPTQConfig, Qwen2_5OmniThinkerForConditionalGeneration

    model = Qwen2_5OmniThinkerForConditionalGeneration.from_pretrained(
        gptq_dir, device_map="cpu", quantization_config=GPTQConfig(bits=4, backend="auto_trainable")
    )
    q_proj = model.model.language_model.layers[0].self_attn.q_proj
    assert isinstance(q_proj, _quant_linear_base()) and q_proj.SUPPORTS_TRAINING

    # NB: train before any eval-mode/no-grad forward: TorchAtenLinear permanently switches to a
    # no-grad fused int4 path on its first inference forward, which silently cuts the graph.
    peft_model = get_peft_model(
        model,
        LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["q_proj", "v_proj", "down_proj"]),
    )
    peft_model.train()
    lora = [p for p in peft_model.parameters() if p.requires_grad]
    assert lora
    before = [p.detach().clone() for p in lora]
    optimizer = torch.optim.AdamW(lora, lr=1e-2)
    ids = torch.tensor([[5, 17, 42, 99, 123, 200, 301, 77, 64, 12]])
    losses = []
    for _ in range(3):
        loss = peft_model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    assert all(np.isfinite(losses))
    assert any(not torch.equal(b, p.detach()) for b, p in zip(before, lora, strict=True))

    with torch.no_grad():
        output = peft_model.generate(input_ids=ids, max_new_tokens=3, min_new_tokens=3)
    assert output.shape[1] == ids.shape[1] + 3


def _official_thinker_config(folder: Path) -> Any:
    """Thinker config for an official-layout folder, carrying the top-level quantization_config."""
    from transformers import Qwen2_5OmniConfig

    full = Qwen2_5OmniConfig.from_pretrained(folder)
    thinker_config = full.thinker_config
    thinker_config.quantization_config = full.quantization_config
    return thinker_config


@pytest.mark.slow
def test_gptq_official_layout(gptq_official_dir: Path) -> None:
    from safetensors import safe_open
    from transformers import (
        Qwen2_5OmniConfig,
        Qwen2_5OmniForConditionalGeneration,
        Qwen2_5OmniThinkerForConditionalGeneration,
    )

    config = json.loads((gptq_official_dir / "config.json").read_text())
    assert config["model_type"] == "qwen2_5_omni"
    assert config["architectures"] == ["Qwen2_5OmniForConditionalGeneration"]
    assert config["enable_audio_output"] is False
    assert config["quantization_config"]["quant_method"] == "gptq"
    assert config["thinker_config"]["model_type"] == "qwen2_5_omni_thinker"
    with safe_open(str(gptq_official_dir / "model.safetensors"), "pt") as f:
        keys = set(f.keys())
    assert all(k.startswith("thinker.") for k in keys)
    assert "thinker.model.layers.0.self_attn.q_proj.qweight" in keys
    assert "thinker.visual.patch_embed.proj.weight" in keys and "thinker.lm_head.weight" in keys

    ids = torch.tensor([[5, 17, 42, 99, 123]])

    # Thinker only: thinker_config + the top-level quantization_config; the "thinker." prefix is
    # stripped by transformers' checkpoint conversion mapping.
    thinker = Qwen2_5OmniThinkerForConditionalGeneration.from_pretrained(
        gptq_official_dir, config=_official_thinker_config(gptq_official_dir), device_map="cpu"
    )
    assert isinstance(thinker.model.language_model.layers[1].mlp.down_proj, _quant_linear_base())
    with torch.no_grad():
        assert thinker.generate(input_ids=ids, max_new_tokens=3, min_new_tokens=3).shape[1] == 8

    # Full Omni class: optimum cannot find the decoder blocks under "thinker." by itself.
    full = Qwen2_5OmniConfig.from_pretrained(gptq_official_dir)
    full.quantization_config["block_name_to_quantize"] = "thinker.model.language_model.layers"
    omni = Qwen2_5OmniForConditionalGeneration.from_pretrained(
        gptq_official_dir, config=full, device_map="cpu"
    )
    assert not hasattr(omni, "talker")
    assert isinstance(omni.thinker.model.language_model.layers[0].self_attn.q_proj, _quant_linear_base())
    with torch.no_grad():
        assert omni.thinker.generate(input_ids=ids, max_new_tokens=3, min_new_tokens=3).shape[1] == 8
