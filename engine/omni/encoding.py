"""Processor inputs for a prompt, with each media item's features computed once.

``Qwen2_5OmniProcessor`` recomputes every image's patches and every clip's
30-second log-mel features on each call, so a prompt that keeps the last few
turns' media would pay for all of them on every turn, on the critical path.
``PromptEncoder`` runs the processor once per media item (an image, a clip,
an audio track), keeps the result keyed by a hash of the item's content, and
assembles the prompt from those pieces: the chat text with each placeholder
expanded to its item's token count, tokenised once, and the items' tensors
concatenated in prompt order — exactly what one processor call over the whole
prompt returns (tested).

The content hashes travel with the prompt (``EncodedPrompt.media``), so the
prefix cache can tell two same-sized screenshots apart (their placeholder ids
are identical).
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch

from engine.omni.prompt import PromptMedia
from engine.omni.turn import AUDIO_RATE

Kind = Literal["image", "video", "audio"]

_TENSOR_KEYS: dict[Kind, tuple[str, ...]] = {
    "image": ("pixel_values", "image_grid_thw"),
    "video": ("pixel_values_videos", "video_grid_thw", "video_second_per_grid"),
    "audio": ("input_features", "feature_attention_mask"),
}


def digest(*arrays: np.ndarray, extra: str = "") -> str:
    """A content hash of arrays (shape, dtype and bytes) and an extra tag."""
    h = hashlib.blake2b(digest_size=16)
    h.update(extra.encode())
    for array in arrays:
        a = np.ascontiguousarray(array)
        h.update(f"{a.shape}{a.dtype}".encode())
        h.update(a.data)
    return h.hexdigest()


@dataclass(frozen=True)
class MediaItem:
    """One media item of a prompt: its kind, content hash and placeholder token count."""

    kind: Kind
    key: str
    tokens: int


@dataclass
class _Encoded:
    tokens: int
    tensors: dict[str, torch.Tensor]


@dataclass
class EncodedPrompt:
    """Token ids and media tensors for ``model.generate``, with the media items in prompt order."""

    inputs: dict[str, Any]
    media: list[MediaItem]

    @property
    def ids(self) -> torch.Tensor:
        """The prompt's token ids (1-D)."""
        return self.inputs["input_ids"][0]


class PromptEncoder:
    """Builds processor inputs for chat messages, caching each media item's features by content."""

    def __init__(self, processor: Any, max_items: int = 64) -> None:
        self.processor = processor
        self.max_items = max_items
        self._cache: OrderedDict[str, _Encoded] = OrderedDict()
        tokenizer = processor.tokenizer
        self._placeholders: dict[str, Kind] = {
            tokenizer.image_token: "image",
            tokenizer.video_token: "video",
            tokenizer.audio_token: "audio",
        }
        self._split = re.compile("(" + "|".join(re.escape(t) for t in self._placeholders) + ")")
        self.items_encoded = 0
        """How many media items were run through the processor (cache misses)."""

    def encode(self, messages: list[dict[str, Any]], media: PromptMedia) -> EncodedPrompt:
        """Inputs for ``messages`` (chat template with the generation prompt) and their ``media``."""
        items: dict[Kind, list[tuple[str, _Encoded]]] = {
            "image": [self._item("image", image) for image in media.images],
            "video": [self._item("video", frames, fps) for frames, fps in zip(media.videos, media.video_fps)],
            "audio": [self._item("audio", audio) for audio in media.audios],
        }
        text = self.processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        order: list[MediaItem] = []
        used = {kind: 0 for kind in items}
        pieces: list[str] = []
        for piece in self._split.split(text):
            kind = self._placeholders.get(piece)
            if kind is None:
                pieces.append(piece)
                continue
            key, encoded = items[kind][used[kind]]
            used[kind] += 1
            pieces.append(piece * encoded.tokens)
            order.append(MediaItem(kind, key, encoded.tokens))
        if any(used[kind] != len(items[kind]) for kind in items):
            raise ValueError(f"the prompt has {used} media placeholders for {len(media.images)} images, "
                             f"{len(media.videos)} clips and {len(media.audios)} audio tracks")
        inputs: dict[str, Any] = dict(self.processor.tokenizer("".join(pieces), return_tensors="pt"))
        for kind, entries in items.items():
            if not entries:
                continue
            for name in _TENSOR_KEYS[kind]:
                inputs[name] = torch.cat([encoded.tensors[name] for _key, encoded in entries])
        return EncodedPrompt(inputs, order)

    def _item(self, kind: Kind, content: Any, fps: float = 0.0) -> tuple[str, _Encoded]:
        arrays = content if kind == "video" else [content]
        key = digest(*[np.asarray(a) for a in arrays], extra=f"{kind}:{fps}")
        encoded = self._cache.get(key)
        if encoded is None:
            encoded = self._run_processor(kind, content, fps)
            self.items_encoded += 1
            self._cache[key] = encoded
            while len(self._cache) > self.max_items:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return key, encoded

    def _run_processor(self, kind: Kind, content: Any, fps: float) -> _Encoded:
        token = {kind_: t for t, kind_ in self._placeholders.items()}[kind]
        kwargs: dict[str, Any] = {"text": [token], "return_tensors": "pt", "padding": False}
        if kind == "image":
            kwargs["images"] = [content]
        elif kind == "video":
            kwargs["videos"] = [content]
            kwargs["videos_kwargs"] = {"fps": fps, "do_sample_frames": False}
        else:
            kwargs["audio"] = [np.asarray(content, dtype=np.float32)]
            kwargs["audio_kwargs"] = {"sampling_rate": AUDIO_RATE}
        out = self.processor(**kwargs)
        tokens = int(out["input_ids"].numel())
        tensors = {name: torch.as_tensor(out[name]) for name in _TENSOR_KEYS[kind]}
        return _Encoded(tokens, tensors)
