"""The tiny Qwen2.5-Omni thinker as GGUF files that llama.cpp's ``llama-server`` loads.

Two files, as llama.cpp's ``convert_hf_to_gguf.py`` writes them for a
Qwen2.5-Omni checkpoint (its ``Qwen2VLModel`` text part and ``Qwen25OmniModel``
``--mmproj`` part), written here with the ``gguf`` library so no llama.cpp
source tree is needed:

``text.gguf``
    the text decoder, architecture ``qwen2vl`` (Qwen2 with M-RoPE sections),
    with the byte-level BPE tokenizer (pre-tokenizer ``qwen2``), its merges,
    special tokens and chat template;
``mmproj.gguf``
    the multimodal projector ``qwen2.5o``: the vision tower (Qwen2.5-VL style,
    window attention, patch embedding split into two 2-D kernels, merger MLP)
    and the audio tower (Whisper-style encoder, sinusoidal positions,
    projection into the text width).

The weights are the tiny thinker's own (``tests.tiny_omni``), so the server
runs the same random model the in-process tests run.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

#: Bump whenever anything written here changes; cached folders are keyed by it.
TINY_GGUF_VERSION = "1"

_TOKEN_NORMAL, _TOKEN_CONTROL, _TOKEN_USER_DEFINED = 1, 3, 4
#: Whisper's sinusoidal position table, as ``convert_hf_to_gguf.py`` generates it for Qwen2.5-Omni audio.
_AUDIO_POSITIONS = 1500
#: Block ids up to this are looked up in gguf's name map (the merger MLP uses ids 0 and 2).
_NAME_MAP_BLOCKS = 64


def _config(thinker_dir: Path) -> dict[str, Any]:
    config = json.loads((thinker_dir / "config.json").read_text(encoding="utf-8"))
    return config.get("thinker_config", config)


def _tensors(thinker_dir: Path) -> Iterator[tuple[str, np.ndarray]]:
    """Every tensor of the checkpoint as float32 numpy, with any ``thinker.`` prefix removed."""
    from safetensors import safe_open

    for path in sorted(thinker_dir.glob("*.safetensors")):
        with safe_open(str(path), framework="pt") as handle:
            for name in handle.keys():  # noqa: SIM118 - safe_open has no __iter__
                tensor = handle.get_tensor(name).float().numpy()
                yield name.removeprefix("thinker."), tensor


def _vocab(thinker_dir: Path, vocab_size: int) -> tuple[list[str], list[int], list[str]]:
    """Tokens, token types and merges from ``tokenizer.json``, padded to the model's vocabulary size."""
    data = json.loads((thinker_dir / "tokenizer.json").read_text(encoding="utf-8"))
    by_id: dict[int, tuple[str, int]] = {
        index: (token, _TOKEN_NORMAL) for token, index in data["model"]["vocab"].items()
    }
    for added in data.get("added_tokens", []):
        content = added["content"]
        looks_special = content.startswith("<|") and content.endswith("|>")
        kind = _TOKEN_CONTROL if added.get("special") or looks_special else _TOKEN_USER_DEFINED
        by_id[int(added["id"])] = (content, kind)
    tokens = [by_id.get(i, (f"[PAD{i}]", _TOKEN_USER_DEFINED))[0] for i in range(vocab_size)]
    types = [by_id.get(i, ("", _TOKEN_USER_DEFINED))[1] for i in range(vocab_size)]
    merges = [m if isinstance(m, str) else " ".join(m) for m in data["model"].get("merges", [])]
    return tokens, types, merges


def write_text_gguf(thinker_dir: Path, out: Path) -> Path:
    """Write the thinker's text decoder and tokenizer to ``out`` (architecture ``qwen2vl``, F32)."""
    import gguf

    config = _config(thinker_dir)
    text = config["text_config"]
    rope = text.get("rope_parameters") or text.get("rope_scaling") or {}
    writer = gguf.GGUFWriter(str(out), gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.QWEN2VL])
    writer.add_type(gguf.GGUFType.MODEL)
    writer.add_name("Nexus tiny Qwen2.5-Omni thinker")
    writer.add_block_count(text["num_hidden_layers"])
    writer.add_context_length(text["max_position_embeddings"])
    writer.add_embedding_length(text["hidden_size"])
    writer.add_feed_forward_length(text["intermediate_size"])
    writer.add_head_count(text["num_attention_heads"])
    writer.add_head_count_kv(text["num_key_value_heads"])
    sections = list(rope["mrope_section"])
    writer.add_rope_dimension_sections(sections + [0] * (4 - len(sections)))
    writer.add_rope_freq_base(float(rope.get("rope_theta", text.get("rope_theta", 1_000_000.0))))
    writer.add_layer_norm_rms_eps(float(text["rms_norm_eps"]))
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    tokens, types, merges = _vocab(thinker_dir, text["vocab_size"])
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_eos_token_id(int(config["eos_token_id"]))
    writer.add_pad_token_id(int(config["pad_token_id"]))
    template = thinker_dir / "chat_template.jinja"
    if template.exists():
        writer.add_chat_template(template.read_text(encoding="utf-8"))
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.QWEN2VL, text["num_hidden_layers"])
    for name, tensor in _tensors(thinker_dir):
        if name.startswith(("visual.", "audio_tower.")):
            continue
        writer.add_tensor(_mapped(names, name), tensor)
    _finish(writer)
    return out


def _vision_tensors(name: str, tensor: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
    """The 3-D patch kernel as its two time steps (llama.cpp applies two 2-D kernels); others as they are."""
    if name == "visual.patch_embed.proj.weight":
        yield "v.patch_embd.weight", np.ascontiguousarray(tensor[:, :, 0])
        yield "v.patch_embd.weight.1", np.ascontiguousarray(tensor[:, :, 1])
    else:
        yield name, tensor


def _audio_positions(channels: int) -> np.ndarray:
    """Whisper's sinusoidal position embedding (``SinusoidsPositionEmbedding``), ``1500 × channels``."""
    import torch

    # The same float32 torch arithmetic as the converter, so the table is bit-identical to its output.
    increment = math.log(10_000) / (channels // 2 - 1)
    inverse = torch.exp(-increment * torch.arange(channels // 2).float())
    scaled = torch.arange(_AUDIO_POSITIONS)[:, None] * inverse[None, :]
    return torch.cat([torch.sin(scaled), torch.cos(scaled)], dim=1).to(torch.float32).numpy()


def write_mmproj_gguf(thinker_dir: Path, out: Path) -> Path:
    """Write the vision and audio towers to ``out`` as a ``qwen2.5o`` multimodal projector."""
    import gguf

    config = _config(thinker_dir)
    vision, audio = config["vision_config"], config["audio_config"]
    processor = json.loads((thinker_dir / "processor_config.json").read_text(encoding="utf-8"))
    image = processor["image_processor"]
    writer = gguf.GGUFWriter(str(out), gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.MMPROJ])
    writer.add_type(gguf.GGUFType.MMPROJ)
    writer.add_name("Nexus tiny Qwen2.5-Omni thinker")
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_clip_has_vision_encoder(True)
    writer.add_vision_projection_dim(vision["out_hidden_size"])
    writer.add_vision_image_size(vision.get("image_size", 560))
    writer.add_vision_patch_size(vision["patch_size"])
    writer.add_vision_embedding_length(vision["hidden_size"])
    writer.add_vision_feed_forward_length(vision["intermediate_size"])
    writer.add_vision_block_count(vision["depth"])
    writer.add_vision_head_count(vision["num_heads"])
    writer.add_vision_image_mean(image["image_mean"])
    writer.add_vision_image_std(image["image_std"])
    writer.add_clip_has_audio_encoder(True)
    writer.add_audio_projection_dim(audio["output_dim"])
    writer.add_audio_embedding_length(audio["d_model"])
    writer.add_audio_feed_forward_length(audio["encoder_ffn_dim"])
    writer.add_audio_block_count(audio["encoder_layers"])
    writer.add_audio_head_count(audio["encoder_attention_heads"])
    writer.add_audio_num_mel_bins(audio["num_mel_bins"])
    writer.add_audio_attention_layernorm_eps(float(audio.get("layer_norm_eps", 1e-5)))
    writer.add_clip_projector_type(gguf.VisionProjectorType.QWEN25O)
    writer.add_vision_use_silu(True)
    full_attention = vision["fullatt_block_indexes"]
    writer.add_vision_n_wa_pattern(full_attention[0] + 1)
    writer.add_vision_attention_layernorm_eps(float(config.get("rms_norm_eps", 1e-6)))
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.MMPROJ, _NAME_MAP_BLOCKS)
    for name, tensor in _tensors(thinker_dir):
        if name.startswith("visual."):
            for part, piece in _vision_tensors(name, tensor):
                writer.add_tensor(part if part.startswith("v.") else _mapped(names, part), piece)
        elif name.startswith("audio_tower.") and "audio_bos_eos_token" not in name:
            if name.endswith(("conv1.bias", "conv2.bias")):
                tensor = tensor[:, None]
            if ".conv" in name and name.endswith(".weight"):
                tensor = tensor.astype(np.float16)  # llama.cpp's im2col wants F16 kernels
            writer.add_tensor(_mapped(names, name), tensor)
    writer.add_tensor(_mapped(names, "audio_tower.embed_positions.weight"), _audio_positions(audio["d_model"]))
    _finish(writer)
    return out


def _mapped(names: Any, name: str) -> str:
    mapped = names.get_name(name, try_suffixes=(".weight", ".bias"))
    if mapped is None:
        raise ValueError(f"no GGUF name for tensor {name}")
    return mapped


def _finish(writer: Any) -> None:
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def cached_tiny_gguf(cache_root: Path, thinker_dir: Path) -> tuple[Path, Path]:
    """``(text.gguf, mmproj.gguf)`` of ``thinker_dir`` under ``cache_root``, converted on first use.

    The folder is keyed by :data:`TINY_GGUF_VERSION` and the thinker folder's name;
    it is filled in a temporary folder and renamed, so concurrent builders are safe.
    """
    target = Path(cache_root) / f"tiny-omni-gguf-v{TINY_GGUF_VERSION}-{Path(thinker_dir).name}"
    text, mmproj = target / "text.gguf", target / "mmproj.gguf"
    if text.exists() and mmproj.exists():
        return text, mmproj
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-{uuid.uuid4().hex[:8]}-", dir=cache_root))
    try:
        write_text_gguf(thinker_dir, work / "text.gguf")
        write_mmproj_gguf(thinker_dir, work / "mmproj.gguf")
        try:
            os.rename(work, target)
        except OSError:
            if not (text.exists() and mmproj.exists()):
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return text, mmproj
