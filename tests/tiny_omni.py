"""Tiny but *real* Qwen2.5-Omni thinker checkpoints for tests.

Everything here is built offline from configs with seeded random weights; nothing is downloaded.
The folders written by this module load through the ordinary ``from_pretrained`` entry points
exactly like a real checkpoint:

* ``Qwen2_5OmniThinkerForConditionalGeneration.from_pretrained(folder)``
* ``Qwen2_5OmniProcessor.from_pretrained(folder)`` (image processor, video processor, Whisper
  feature extractor, Qwen2 byte-level BPE tokenizer and a Qwen2.5-Omni style chat template)
* ``AutoTokenizer.from_pretrained(folder)``

Two builders are provided:

``build_tiny_thinker``
    bf16 (or any dtype) thinker with a vision tower, an audio tower and a 2-layer text decoder.

``build_tiny_gptq_thinker``
    the same thinker with the decoder linears (q/k/v/o/gate/up/down of every text layer) quantized
    to GPTQ 4-bit by GPTQModel on CPU, optionally in the layout of the official
    ``Qwen/Qwen2.5-Omni-7B-GPTQ-Int4`` checkpoint (``thinker.`` key prefix + full
    ``Qwen2_5OmniConfig``).

Both have ``cached_*`` variants that build once into a folder keyed by :data:`TINY_OMNI_VERSION`
and reuse it afterwards, which is what test fixtures should call.

The module deliberately has no Qt dependency and imports heavy libraries (transformers,
gptqmodel) lazily so that merely importing it is cheap.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:  # pragma: no cover - typing only
    from transformers import Qwen2_5OmniProcessor, Qwen2_5OmniThinkerConfig, Qwen2Tokenizer

__all__ = [
    "TINY_OMNI_VERSION",
    "SPECIAL_TOKENS",
    "CHAT_TEMPLATE",
    "TinyDims",
    "TINY_DIMS",
    "TINY_MAX_PIXELS",
    "TINY_MIN_PIXELS",
    "GPTQ_BITS",
    "GPTQ_GROUP_SIZE",
    "QUANTIZED_MODULES",
    "build_tiny_tokenizer",
    "build_tiny_processor",
    "build_tiny_thinker_config",
    "build_tiny_thinker",
    "build_tiny_gptq_thinker",
    "cached_tiny_thinker",
    "cached_tiny_gptq_thinker",
    "special_token_ids",
]

#: Bump whenever anything that ends up in a built folder changes; cached folders are keyed by it.
TINY_OMNI_VERSION = "1"

# --------------------------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------------------------

#: Added tokens in the order (and with the ``special`` flag) of the real Qwen2.5-Omni tokenizer,
#: whose ids start at 151643. Here they start right after the trained BPE vocabulary, so their
#: *relative* order (and therefore e.g. ``<|IMAGE|>`` = ``<|endoftext|>`` + 12) matches the real one.
SPECIAL_TOKENS: tuple[tuple[str, bool], ...] = (
    ("<|endoftext|>", True),  # 151643 pad / unk
    ("<|im_start|>", True),  # 151644
    ("<|im_end|>", True),  # 151645 eos
    ("<|AUDIO|>", True),  # 151646 audio placeholder
    ("<|audio_bos|>", True),  # 151647
    ("<|audio_eos|>", True),  # 151648
    ("<|box_end|>", True),  # 151649
    ("<|quad_start|>", True),  # 151650
    ("<|quad_end|>", True),  # 151651
    ("<|vision_bos|>", True),  # 151652
    ("<|vision_eos|>", True),  # 151653
    ("<|vision_pad|>", True),  # 151654
    ("<|IMAGE|>", True),  # 151655 image placeholder
    ("<|VIDEO|>", True),  # 151656 video placeholder
    ("<tool_call>", False),  # 151657
    ("</tool_call>", False),  # 151658
    ("<|fim_prefix|>", False),  # 151659
    ("<|fim_middle|>", False),  # 151660
    ("<|fim_suffix|>", False),  # 151661
    ("<|fim_pad|>", False),  # 151662
    ("<|repo_name|>", False),  # 151663
    ("<|file_sep|>", False),  # 151664
)

#: Named multimodal tokens the Omni processor reads off the tokenizer (``tokenizer.image_token`` ...).
_MODEL_SPECIFIC_TOKENS: dict[str, str] = {
    "image_token": "<|IMAGE|>",
    "audio_token": "<|AUDIO|>",
    "video_token": "<|VIDEO|>",
    "vision_bos_token": "<|vision_bos|>",
    "vision_eos_token": "<|vision_eos|>",
    "audio_bos_token": "<|audio_bos|>",
    "audio_eos_token": "<|audio_eos|>",
}

#: Same pre-tokenization regex as ``transformers.models.qwen2.tokenization_qwen2``.
_QWEN2_PRETOKENIZE_REGEX = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
    r"""|\s*[\r\n]+|\s+(?!\S)|\s+"""
)

#: Qwen2.5-Omni chat template. It renders exactly what the template shipped with
#: ``Qwen/Qwen2.5-Omni-7B`` renders: ChatML turns, a default system turn when the conversation does
#: not start with one, and one placeholder triple per multimodal content part
#: (``<|vision_bos|><|IMAGE|><|vision_eos|>``, ``<|audio_bos|><|AUDIO|><|audio_eos|>``,
#: ``<|vision_bos|><|VIDEO|><|vision_eos|>``) that the processor later expands to N placeholders.
CHAT_TEMPLATE = (
    "{% set audio_count = namespace(value=0) %}"
    "{% set image_count = namespace(value=0) %}"
    "{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}"
    "{{ message['content'] }}<|im_end|>\n"
    "{% else %}"
    "{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_bos|><|IMAGE|><|vision_eos|>"
    "{% elif content['type'] == 'audio' or 'audio' in content or 'audio_url' in content %}"
    "{% set audio_count.value = audio_count.value + 1 %}"
    "{% if add_audio_id %}Audio {{ audio_count.value }}: {% endif %}"
    "<|audio_bos|><|AUDIO|><|audio_eos|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}"
    "<|vision_bos|><|VIDEO|><|vision_eos|>"
    "{% elif 'text' in content %}"
    "{{ content['text'] }}"
    "{% endif %}"
    "{% endfor %}"
    "<|im_end|>\n"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# A small built-in English corpus: enough distinct words for a few hundred BPE merges.
_CORPUS = """\
You are a helpful assistant. The user asks a question and the assistant answers it.
system
user
assistant
system
user
assistant
user
assistant
Nexus is a private desktop assistant that sees the screen, hears the microphone and talks back.
What is in this image? Describe the picture in one sentence. The picture shows a small red house
next to a green tree under a blue sky, and a cat is sleeping on the warm stone wall.
What did you hear in the audio clip? I heard a person speaking quietly, then music started playing.
Please summarize the meeting notes: the team agreed to ship the release on Friday after testing.
The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs.
How many apples are there on the table? There are three apples and two oranges on the table.
Can you open the settings window and change the voice to a calmer one? Sure, I have changed it.
It is sunny today with a light breeze from the west; tomorrow it will rain in the afternoon.
Please write a short poem about the ocean. Waves are rolling under silver moonlight, softly singing.
Translate hello world into French: bonjour le monde. Thank you very much for your help!
Numbers: 0 1 2 3 4 5 6 7 8 9 10 42 100 2025 3.14 -7 +1 50% $20 #1 @home a_b c-d e/f (g) [h] {i}
Remember to save your work often, because computers sometimes crash when you least expect it.
The video shows a dog running across a park, catching a ball, and bringing it back to its owner.
Yes. No. Maybe. Okay! Great question: let me think about it step by step before answering.
"""

#: Number of entries of the trained byte-level BPE model (256 byte symbols + merges).
_BPE_VOCAB_SIZE = 512


def build_tiny_tokenizer() -> Qwen2Tokenizer:
    """Train a tiny byte-level BPE and wrap it as the tokenizer class Qwen2.5-Omni uses.

    The backend is a ``tokenizers`` BPE with Qwen2's NFC normalizer, Qwen2's split regex followed
    by a ByteLevel pre-tokenizer, and a ByteLevel decoder (identical pipeline to the real
    tokenizer), trained deterministically on a built-in English corpus to ``_BPE_VOCAB_SIZE``
    entries. :data:`SPECIAL_TOKENS` are appended as added tokens in Qwen's order.

    Returns:
        A ``transformers`` ``Qwen2Tokenizer`` (the class ``AutoTokenizer`` picks for Qwen2.5-Omni
        in transformers 5) with ``eos=<|im_end|>``, ``pad=<|endoftext|>``, the named multimodal
        tokens (``image_token``, ``audio_token``, ``video_token``, ``vision_bos_token``, ...)
        and :data:`CHAT_TEMPLATE`.
    """
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        trainers,
    )
    from transformers import Qwen2Tokenizer

    backend = Tokenizer(models.BPE())
    backend.normalizer = normalizers.NFC()
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(_QWEN2_PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=_BPE_VOCAB_SIZE,
        min_frequency=1,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=[],
        show_progress=False,
    )
    backend.train_from_iterator(_CORPUS.splitlines(keepends=True), trainer=trainer)
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
    first_added = backend.get_vocab_size() - len(SPECIAL_TOKENS)
    for offset, (token, _) in enumerate(SPECIAL_TOKENS):
        got = tokenizer.convert_tokens_to_ids(token)
        if got != first_added + offset:  # pragma: no cover - sanity check
            raise RuntimeError(f"tiny tokenizer: {token} got id {got}, expected {first_added + offset}")
    return tokenizer


def special_token_ids(tokenizer: Any) -> dict[str, int]:
    """Map every entry of :data:`SPECIAL_TOKENS` to its id in ``tokenizer``."""
    return {token: int(tokenizer.convert_tokens_to_ids(token)) for token, _ in SPECIAL_TOKENS}


# --------------------------------------------------------------------------------------------
# Processor
# --------------------------------------------------------------------------------------------

#: Image budget of the tiny processor: at most 64 merged (28x28 px) vision tokens per image.
TINY_MAX_PIXELS = 28 * 28 * 64
TINY_MIN_PIXELS = 28 * 28 * 4


def build_tiny_processor(tokenizer: Any | None = None) -> Qwen2_5OmniProcessor:
    """Assemble a real ``Qwen2_5OmniProcessor`` around the tiny tokenizer.

    Components: ``Qwen2VLImageProcessor`` and ``Qwen2VLVideoProcessor`` with Qwen's defaults
    (patch 14, temporal patch 2, merge 2, CLIP mean/std) except a small pixel budget
    (:data:`TINY_MIN_PIXELS`..:data:`TINY_MAX_PIXELS`), ``WhisperFeatureExtractor(feature_size=128)``
    at 16 kHz (30 s window, like the real checkpoint) and :func:`build_tiny_tokenizer`.
    """
    from transformers import (
        Qwen2_5OmniProcessor,
        Qwen2VLImageProcessor,
        Qwen2VLVideoProcessor,
        WhisperFeatureExtractor,
    )

    if tokenizer is None:
        tokenizer = build_tiny_tokenizer()
    clip_mean = [0.48145466, 0.4578275, 0.40821073]
    clip_std = [0.26862954, 0.26130258, 0.27577711]
    image_processor = Qwen2VLImageProcessor(
        min_pixels=TINY_MIN_PIXELS,
        max_pixels=TINY_MAX_PIXELS,
        patch_size=14,
        temporal_patch_size=2,
        merge_size=2,
        image_mean=clip_mean,
        image_std=clip_std,
    )
    video_processor = Qwen2VLVideoProcessor(
        min_pixels=TINY_MIN_PIXELS,
        max_pixels=TINY_MAX_PIXELS,
        patch_size=14,
        temporal_patch_size=2,
        merge_size=2,
        image_mean=clip_mean,
        image_std=clip_std,
    )
    feature_extractor = WhisperFeatureExtractor(
        feature_size=128,
        sampling_rate=16000,
        hop_length=160,
        chunk_length=30,
        n_fft=400,
        padding_value=0.0,
        return_attention_mask=True,
    )
    return Qwen2_5OmniProcessor(
        image_processor=image_processor,
        video_processor=video_processor,
        feature_extractor=feature_extractor,
        tokenizer=tokenizer,
        chat_template=CHAT_TEMPLATE,
    )


# --------------------------------------------------------------------------------------------
# Model config
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TinyDims:
    """Dimensions of the tiny thinker (all multiples of the GPTQ group size where it matters)."""

    text_hidden: int = 64
    text_intermediate: int = 128
    text_layers: int = 2
    text_heads: int = 4
    text_kv_heads: int = 2
    mrope_section: tuple[int, int, int] = (2, 3, 3)  # sum == head_dim / 2 == 8 (real: 16, 24, 24)
    vision_hidden: int = 32
    vision_intermediate: int = 64
    vision_depth: int = 2
    vision_heads: int = 4
    audio_d_model: int = 32
    audio_heads: int = 4
    audio_ffn: int = 64
    audio_layers: int = 2

    @property
    def head_dim(self) -> int:
        """Per-head dimension of the text decoder."""
        return self.text_hidden // self.text_heads


TINY_DIMS = TinyDims()


def build_tiny_thinker_config(tokenizer: Any, dims: TinyDims = TINY_DIMS) -> Qwen2_5OmniThinkerConfig:
    """Build a tiny ``Qwen2_5OmniThinkerConfig`` whose token ids come from ``tokenizer``.

    Shapes follow the real thinker's invariants: ``vision out_hidden_size == audio output_dim ==
    text hidden_size``, ``sum(mrope_section) == head_dim / 2``, 128 mel bins, patch 14, temporal
    patch 2, spatial merge 2, and ``vocab_size == len(tokenizer)``.
    """
    from transformers import Qwen2_5OmniThinkerConfig

    if sum(dims.mrope_section) * 2 != dims.head_dim:
        raise ValueError(f"sum(mrope_section) must be head_dim/2 = {dims.head_dim // 2}")
    ids = special_token_ids(tokenizer)
    user_ids = tokenizer.encode("user", add_special_tokens=False)
    if len(user_ids) != 1:  # the real config's user_token_id (872) is the single token "user"
        raise ValueError(f'"user" must be a single token, got {user_ids}')
    vision_config = {
        "depth": dims.vision_depth,
        "hidden_size": dims.vision_hidden,
        "hidden_act": "silu",
        "intermediate_size": dims.vision_intermediate,
        "num_heads": dims.vision_heads,
        "in_channels": 3,
        "patch_size": 14,
        "spatial_merge_size": 2,
        "temporal_patch_size": 2,
        "window_size": 112,
        "out_hidden_size": dims.text_hidden,
        "fullatt_block_indexes": [dims.vision_depth - 1],
        "initializer_range": 0.02,
    }
    audio_config = {
        "num_mel_bins": 128,
        "encoder_layers": dims.audio_layers,
        "encoder_attention_heads": dims.audio_heads,
        "encoder_ffn_dim": dims.audio_ffn,
        "d_model": dims.audio_d_model,
        "dropout": 0.0,
        "attention_dropout": 0.0,
        "activation_function": "gelu",
        "activation_dropout": 0.0,
        "scale_embedding": False,
        "initializer_range": 0.02,
        "max_source_positions": 1500,
        "n_window": 100,
        "output_dim": dims.text_hidden,
    }
    text_config = {
        "vocab_size": len(tokenizer),
        "hidden_size": dims.text_hidden,
        "intermediate_size": dims.text_intermediate,
        "num_hidden_layers": dims.text_layers,
        "num_attention_heads": dims.text_heads,
        "num_key_value_heads": dims.text_kv_heads,
        "hidden_act": "silu",
        "max_position_embeddings": 32768,
        "initializer_range": 0.02,
        "rms_norm_eps": 1e-6,
        "use_cache": True,
        "rope_parameters": {
            "rope_type": "default",
            "rope_theta": 1000000.0,
            "mrope_section": list(dims.mrope_section),
        },
        "use_sliding_window": False,
        "sliding_window": 32768,
        "max_window_layers": dims.text_layers,
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
        user_token_id=user_ids[0],
        position_id_per_seconds=25,
        seconds_per_chunk=2,
        initializer_range=0.02,
        tie_word_embeddings=False,
    )


def _generation_config(tokenizer: Any) -> Any:
    """Thinker generation defaults: stop on ``<|im_end|>``/``<|endoftext|>``, pad with ``<|endoftext|>``."""
    from transformers import GenerationConfig

    ids = special_token_ids(tokenizer)
    return GenerationConfig(
        bos_token_id=ids["<|im_start|>"],
        eos_token_id=[ids["<|im_end|>"], ids["<|endoftext|>"]],
        pad_token_id=ids["<|endoftext|>"],
        do_sample=False,
    )


# --------------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------------


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed torch's CPU RNG inside the block without disturbing the caller's RNG state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def build_tiny_thinker(out_dir: Path, *, dtype: torch.dtype = torch.bfloat16, seed: int = 0) -> Path:
    """Write a tiny random-weight Qwen2.5-Omni thinker checkpoint into ``out_dir``.

    Files written (all via ``save_pretrained``): ``config.json`` (``model_type``
    ``qwen2_5_omni_thinker``, ``architectures=["Qwen2_5OmniThinkerForConditionalGeneration"]``),
    ``generation_config.json``, ``model.safetensors`` in ``dtype``, the tokenizer files
    (``tokenizer.json``, ``tokenizer_config.json``, ``chat_template.jinja``) and the processor
    files (``processor_config.json``). About 0.6 MB; builds in ~3 s cold (imports + BPE
    training), well under 0.1 s once warm.

    Args:
        out_dir: target folder (created if missing; existing files are overwritten).
        dtype: dtype of the saved weights (default bf16, like the released checkpoint).
        seed: torch seed for the random weights; the same seed gives identical weights.

    Returns:
        ``out_dir``.
    """
    from transformers import Qwen2_5OmniThinkerForConditionalGeneration

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tiny_tokenizer()
    processor = build_tiny_processor(tokenizer)
    config = build_tiny_thinker_config(tokenizer)
    with _seeded(seed):
        model = Qwen2_5OmniThinkerForConditionalGeneration(config)
    model = model.to(dtype).eval()
    model.generation_config = _generation_config(tokenizer)
    model.save_pretrained(out_dir, safe_serialization=True)
    processor.save_pretrained(out_dir)
    return out_dir


# --------------------------------------------------------------------------------------------
# GPTQ
# --------------------------------------------------------------------------------------------

#: GPTQ settings of the tiny quantized thinker. Group size 32 divides every in_features of the
#: tiny decoder (64 and 128); every out_features (32, 64, 128) is a multiple of 32, which the
#: CPU AVX512 kernel needs.
GPTQ_BITS = 4
GPTQ_GROUP_SIZE = 32

#: Linear modules quantized in every text decoder layer (same set as the official checkpoint).
QUANTIZED_MODULES: tuple[str, ...] = (
    "self_attn.q_proj",
    "self_attn.k_proj",
    "self_attn.v_proj",
    "self_attn.o_proj",
    "mlp.gate_proj",
    "mlp.up_proj",
    "mlp.down_proj",
)

_GPTQ_TENSORS = ("qweight", "qzeros", "scales", "g_idx", "bias")
_WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json")


def _ensure_gptqmodel_workers() -> None:
    """Make GPTQModel's CPU thread pool constructible on small machines.

    GPTQModel sizes its ``cpu`` pool from ``GPTQMODEL_CPU_WORKERS`` (default ``ceil(cores/2)``) and
    always adds a ``model_loader:cpu`` virtual pool of 2 workers carved out of it, so with 1 worker
    (the default on a 2-core box, or ``GPTQMODEL_CPU_WORKERS=1``) ``GPTQModel.load`` raises
    ``Virtual pool 'model_loader:cpu' requests 2 workers but parent 'cpu' only has 1``. The pool is
    built lazily on the first load, so setting the variable here (before that) is enough.
    """
    try:
        workers = int(os.environ.get("GPTQMODEL_CPU_WORKERS", "0"))
    except ValueError:
        workers = 0
    if workers < 2:
        os.environ["GPTQMODEL_CPU_WORKERS"] = "2"


def _canonical_key(key: str) -> str:
    """Map any thinker weight name to the on-disk names ``save_pretrained`` writes for the thinker.

    Those are the original Qwen names: ``model.layers.*`` / ``model.embed_tokens`` / ``model.norm``
    for the text decoder, ``audio_tower.*``, ``visual.*`` and ``lm_head.*``. Accepts the official
    ``thinker.`` prefixed names and the in-memory transformers 5 names
    (``model.language_model.*``, ``model.audio_tower.*``, ``model.visual.*``) too.
    """
    key = key.removeprefix("thinker.")
    for runtime, disk in (
        ("model.language_model.", "model."),
        ("model.audio_tower.", "audio_tower."),
        ("model.visual.", "visual."),
    ):
        if key.startswith(runtime):
            return disk + key[len(runtime) :]
    return key


def _read_weights(folder: Path) -> dict[str, torch.Tensor]:
    """Read every safetensors shard of ``folder`` into one dict keyed by :func:`_canonical_key`."""
    from safetensors.torch import load_file

    tensors: dict[str, torch.Tensor] = {}
    for shard in sorted(folder.glob("*.safetensors")):
        for key, value in load_file(str(shard)).items():
            tensors[_canonical_key(key)] = value
    if not tensors:
        raise FileNotFoundError(f"no *.safetensors in {folder}")
    return tensors


def _calibration_texts(tokenizer: Any, count: int = 16) -> list[str]:
    """Deterministic calibration prompts (ChatML turns built from the built-in corpus)."""
    lines = [line for line in _CORPUS.splitlines() if len(line) > 30]
    texts = []
    for i in range(count):
        question, answer = lines[i % len(lines)], lines[(i * 7 + 3) % len(lines)]
        conversation = [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
        texts.append(tokenizer.apply_chat_template(conversation, tokenize=False))
    return texts


def _tiny_talker_config(thinker_config: dict[str, Any]) -> dict[str, Any]:
    """A tiny talker config for the official (full ``Qwen2_5OmniConfig``) layout.

    Never instantiated when ``enable_audio_output`` is false; kept tiny so that an accidental
    ``enable_talker()`` stays cheap (token2wav keeps its default, large, config).
    """
    hidden = thinker_config["text_config"]["hidden_size"]
    return {
        "audio_token_index": thinker_config["audio_token_index"],
        "image_token_index": thinker_config["image_token_index"],
        "video_token_index": thinker_config["video_token_index"],
        "vision_start_token_id": thinker_config["vision_start_token_id"],
        "vision_end_token_id": thinker_config["vision_end_token_id"],
        "audio_start_token_id": thinker_config["audio_start_token_id"],
        "audio_end_token_id": thinker_config["audio_end_token_id"],
        "embedding_size": hidden,
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "head_dim": 16,
        "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [2, 3, 3]},
        "spatial_merge_size": 2,
    }


def build_tiny_gptq_thinker(
    src_dir: Path,
    out_dir: Path,
    *,
    official_layout: bool = False,
    group_size: int = GPTQ_GROUP_SIZE,
) -> Path:
    """Quantize the text decoder of a tiny thinker (from :func:`build_tiny_thinker`) to GPTQ int4.

    How: GPTQModel 7.7.0 cannot quantize the thinker itself (its ``qwen2_5_omni`` definition loads
    the *full* Omni model with ``AutoModelForTextToWaveform``, needs ``spk_dict.pt``/librosa and
    walks ``thinker.model.layers``, which is ``thinker.model.language_model.layers`` in transformers
    5), and transformers' quantize-on-load (``GPTQConfig(dataset=...)``) rejects the thinker. The
    thinker's text decoder is, however, exactly a Qwen2 decoder (q/k/v with bias, o without,
    SwiGLU MLP, RMSNorm). So the text weights are copied into a ``Qwen2ForCausalLM`` proxy, that
    proxy is quantized with the real GPTQ algorithm (``GPTQModel.load(...).quantize(...)`` on CPU,
    16 ChatML calibration prompts, ``bits=4, group_size=group_size, sym=True, desc_act=False``,
    checkpoint format ``gptq`` v1, int32 packing) and its packed ``qweight/qzeros/scales/g_idx``
    (+ fp16 ``bias``) tensors are transplanted back next to the untouched thinker weights.

    Layout produced (both load with transformers' GPTQ integration, i.e. optimum + gptqmodel):

    * ``official_layout=False`` ("plain"): the same layout as a ``save_pretrained`` thinker.
      ``config.json`` is the thinker config (``model_type: qwen2_5_omni_thinker``) plus
      ``quantization_config`` (``quant_method: gptq``, ``bits: 4``, ``group_size``, ``sym: true``,
      ``desc_act: false``, ``checkpoint_format: gptq``). ``model.safetensors`` keys:
      ``model.layers.{i}.{self_attn.q_proj,...,mlp.down_proj}.{qweight,qzeros,scales,g_idx,bias}``
      (bias only for q/k/v), every other tensor as in the source: ``model.embed_tokens.weight``,
      ``model.norm.weight``, ``model.layers.{i}.*layernorm.weight``, ``lm_head.weight``,
      ``audio_tower.*``, ``visual.*`` (bf16/source dtype; ``scales``/``bias`` are fp16).
      Loads with ``Qwen2_5OmniThinkerForConditionalGeneration.from_pretrained(out_dir)``.
    * ``official_layout=True``: mirrors ``Qwen/Qwen2.5-Omni-7B-GPTQ-Int4``: every key above is
      prefixed with ``thinker.`` (``thinker.model.layers.{i}.self_attn.q_proj.qweight``,
      ``thinker.audio_tower.*``, ``thinker.visual.*``, ``thinker.lm_head.weight``), and
      ``config.json`` is a full ``Qwen2_5OmniConfig`` (``model_type: qwen2_5_omni``,
      ``architectures: [Qwen2_5OmniForConditionalGeneration]``, ``enable_audio_output: false``,
      ``thinker_config`` = the tiny thinker config, a tiny ``talker_config``, default
      ``token2wav_config``) with ``quantization_config`` at the top level. An empty
      ``spk_dict.pt`` is written so that ``Qwen2_5OmniForConditionalGeneration.from_pretrained``
      works. There are no talker/token2wav weights. To load only the thinker, build its config
      with ``Qwen2_5OmniConfig.from_pretrained(out_dir).thinker_config``, copy
      ``quantization_config`` onto it and pass it as ``config=`` to
      ``Qwen2_5OmniThinkerForConditionalGeneration.from_pretrained`` (transformers strips the
      ``thinker.`` prefix itself).

    Both layouts also carry GPTQModel's ``quantize_config.json`` and every non-weight file of
    ``src_dir`` (tokenizer, processor, chat template, generation config).

    Args:
        src_dir: folder written by :func:`build_tiny_thinker` (either dtype).
        out_dir: target folder (created; existing weight/config files are overwritten).
        official_layout: write the official ``thinker.``-prefixed full-Omni layout.
        group_size: GPTQ group size; must divide 64 and 128 for the tiny dims.

    Returns:
        ``out_dir``.

    Note:
        Sets ``GPTQMODEL_CPU_WORKERS=2`` if unset or < 2 (see :func:`_ensure_gptqmodel_workers`).
        The first GPTQ run on a machine JIT-compiles GPTQModel's ``pack_block_cpu`` extension into
        ``~/.cache/gptqmodel`` (~25 s on 2 cores); later runs take ~4 s plus imports.
    """
    _ensure_gptqmodel_workers()
    from safetensors.torch import save_file
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

    src_dir, out_dir = Path(src_dir), Path(out_dir)
    src_config = json.loads((src_dir / "config.json").read_text())
    if src_config.get("model_type") != "qwen2_5_omni_thinker":
        model_type = src_config.get("model_type")
        raise ValueError(f"{src_dir} is not a plain thinker checkpoint (model_type={model_type})")
    text = src_config["text_config"]
    tensors = _read_weights(src_dir)
    tokenizer = AutoTokenizer.from_pretrained(src_dir)

    with tempfile.TemporaryDirectory(prefix="tiny-omni-gptq-") as tmp:
        proxy_dir, quant_dir = Path(tmp) / "proxy", Path(tmp) / "quantized"
        proxy_config = Qwen2Config(
            vocab_size=text["vocab_size"],
            hidden_size=text["hidden_size"],
            intermediate_size=text["intermediate_size"],
            num_hidden_layers=text["num_hidden_layers"],
            num_attention_heads=text["num_attention_heads"],
            num_key_value_heads=text["num_key_value_heads"],
            max_position_embeddings=text["max_position_embeddings"],
            rms_norm_eps=text["rms_norm_eps"],
            rope_parameters={"rope_type": "default", "rope_theta": text["rope_parameters"]["rope_theta"]},
            tie_word_embeddings=False,
            dtype="bfloat16",
        )
        proxy = Qwen2ForCausalLM(proxy_config)
        proxy_state = {k: v for k, v in tensors.items() if k.startswith("model.") or k.startswith("lm_head.")}
        proxy.load_state_dict(proxy_state, strict=True)
        proxy.to(torch.bfloat16).save_pretrained(proxy_dir)
        tokenizer.save_pretrained(proxy_dir)
        del proxy

        from gptqmodel import GPTQModel, QuantizeConfig

        quantize_config = QuantizeConfig(
            bits=GPTQ_BITS, group_size=group_size, desc_act=False, sym=True, offload_to_disk=False
        )
        gptq_model = GPTQModel.load(str(proxy_dir), quantize_config, device="cpu")
        gptq_model.quantize(_calibration_texts(tokenizer), batch_size=1, tokenizer=tokenizer)
        gptq_model.save(str(quant_dir))
        del gptq_model

        quantized = _read_weights(quant_dir)
        quant_config_file = json.loads((quant_dir / "config.json").read_text())["quantization_config"]
        quantize_config_json = (quant_dir / "quantize_config.json").read_text()

    # Transplant the packed tensors.
    out_tensors = dict(tensors)
    for layer in range(text["num_hidden_layers"]):
        for module in QUANTIZED_MODULES:
            prefix = f"model.layers.{layer}.{module}."
            out_tensors.pop(prefix + "weight")
            out_tensors.pop(prefix + "bias", None)
            for name in _GPTQ_TENSORS:
                if prefix + name in quantized:
                    out_tensors[prefix + name] = quantized[prefix + name]
            if prefix + "qweight" not in out_tensors:  # pragma: no cover - GPTQModel contract
                raise RuntimeError(f"GPTQModel did not quantize {prefix[:-1]}")

    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in [*_WEIGHT_FILES, "config.json", "quantize_config.json", "spk_dict.pt"]:
        (out_dir / stale).unlink(missing_ok=True)
    for item in src_dir.iterdir():
        if item.is_file() and item.name not in (*_WEIGHT_FILES, "config.json"):
            shutil.copy2(item, out_dir / item.name)

    if official_layout:
        from transformers import Qwen2_5OmniConfig

        out_tensors = {f"thinker.{k}": v for k, v in out_tensors.items()}
        dropped = ("architectures", "transformers_version")
        thinker_config = {k: v for k, v in src_config.items() if k not in dropped}
        omni = Qwen2_5OmniConfig(
            thinker_config=thinker_config,
            talker_config=_tiny_talker_config(src_config),
            enable_audio_output=False,
        )
        omni.architectures = ["Qwen2_5OmniForConditionalGeneration"]
        config = omni.to_diff_dict()
        config["dtype"] = src_config.get("dtype", "bfloat16")
        torch.save({}, out_dir / "spk_dict.pt")
    else:
        config = dict(src_config)
    config["quantization_config"] = quant_config_file

    save_file({k: v.contiguous() for k, v in sorted(out_tensors.items())}, str(out_dir / "model.safetensors"),
              metadata={"format": "pt"})
    (out_dir / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    (out_dir / "quantize_config.json").write_text(quantize_config_json)
    return out_dir


# --------------------------------------------------------------------------------------------
# Caching
# --------------------------------------------------------------------------------------------

_DONE_MARKER = ".tiny-omni-complete"


def _cached_build(target: Path, build: Callable[[Path], Path]) -> Path:
    """Build into ``target`` once; concurrent/partial builds never leave a half-written folder.

    ``build(tmp)`` writes into a sibling temporary folder which is then renamed into place; a
    marker file inside the folder says the build completed.
    """
    if (target / _DONE_MARKER).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    try:
        build(staging)
        (staging / _DONE_MARKER).write_text(TINY_OMNI_VERSION + "\n")
        if target.exists() and not (target / _DONE_MARKER).is_file():
            shutil.rmtree(target, ignore_errors=True)  # leftover of an interrupted old-style build
        try:
            staging.rename(target)
        except OSError:
            if not (target / _DONE_MARKER).is_file():  # someone else won the race only if complete
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def cached_tiny_thinker(cache_root: Path, *, dtype: torch.dtype = torch.bfloat16, seed: int = 0) -> Path:
    """Return a tiny thinker folder under ``cache_root``, building it on first use.

    The folder is ``cache_root / f"tiny-omni-thinker-v{TINY_OMNI_VERSION}-{dtype}-s{seed}"``; a new
    :data:`TINY_OMNI_VERSION` therefore never reuses a stale build. Safe to call from several
    processes at once (atomic rename).
    """
    dtype_name = str(dtype).removeprefix("torch.")
    target = Path(cache_root) / f"tiny-omni-thinker-v{TINY_OMNI_VERSION}-{dtype_name}-s{seed}"
    return _cached_build(target, lambda out: build_tiny_thinker(out, dtype=dtype, seed=seed))


def cached_tiny_gptq_thinker(cache_root: Path, *, official_layout: bool = False) -> Path:
    """Return a GPTQ int4 tiny thinker folder under ``cache_root``, building it on first use.

    Built from :func:`cached_tiny_thinker` (bf16, seed 0) with :func:`build_tiny_gptq_thinker`;
    the folder name encodes :data:`TINY_OMNI_VERSION` and the layout
    (``tiny-omni-thinker-gptq-v1-plain`` / ``-official``).
    """
    layout = "official" if official_layout else "plain"
    target = Path(cache_root) / f"tiny-omni-thinker-gptq-v{TINY_OMNI_VERSION}-{layout}"
    src = cached_tiny_thinker(cache_root)
    return _cached_build(
        target, lambda out: build_tiny_gptq_thinker(src, out, official_layout=official_layout)
    )
