"""Reuse the key/value cache of the previous turn for the unchanged prompt prefix.

A new turn's prompt is the old prompt, the answer as heard, and the new user
content, so most of it was already processed. We keep the cache, the token
ids it covers and the content hashes of its media, find the longest common
prefix with the new prompt, crop the cache there, and prefill only the rest.
Ids alone are not enough: every same-sized screenshot expands to the same run
of ``<|IMAGE|>`` ids, so a prefix also ends at the first media item whose
content differs from the cached one. A prefix never ends inside a media
span, and media whose marker tokens lie in the reused prefix are not encoded
again: the remaining pixel values and audio features are sliced to match.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from engine.omni.encoding import MediaItem


@dataclass(frozen=True)
class MediaTokenIds:
    """Placeholder token ids of each modality."""

    image: int
    video: int
    audio: int


def media_token_ids(config: Any) -> MediaTokenIds:
    """Read the media marker token ids from a thinker config."""
    return MediaTokenIds(
        image=int(config.image_token_id if hasattr(config, "image_token_id") else config.image_token_index),
        video=int(config.video_token_id if hasattr(config, "video_token_id") else config.video_token_index),
        audio=int(config.audio_token_id if hasattr(config, "audio_token_id") else config.audio_token_index),
    )


def runs_of(ids: torch.Tensor, token: int) -> list[tuple[int, int]]:
    """Half-open spans of consecutive ``token`` in a 1-D id tensor."""
    mask = (ids == token).to(torch.int8)
    if not bool(mask.any()):
        return []
    edges = torch.diff(torch.cat([torch.zeros(1, dtype=torch.int8), mask, torch.zeros(1, dtype=torch.int8)]))
    starts = torch.nonzero(edges == 1).flatten().tolist()
    ends = torch.nonzero(edges == -1).flatten().tolist()
    return list(zip(starts, ends, strict=True))


def common_prefix(a: torch.Tensor, b: torch.Tensor) -> int:
    """Length of the common prefix of two 1-D id tensors."""
    n = min(a.numel(), b.numel())
    if n == 0:
        return 0
    differ = torch.nonzero(a[:n] != b[:n])
    return int(differ[0]) if differ.numel() else n


def safe_prefix(ids: torch.Tensor, length: int, tokens: MediaTokenIds) -> int:
    """Move ``length`` back so it does not end inside a media span."""
    for token in (tokens.image, tokens.video, tokens.audio):
        for start, end in runs_of(ids, token):
            if start < length < end:
                length = start
    return length


def media_spans(ids: torch.Tensor, tokens: MediaTokenIds) -> list[tuple[int, int]]:
    """Spans of every media item in ``ids``, in prompt order (each item is one run of its marker)."""
    spans = runs_of(ids, tokens.image) + runs_of(ids, tokens.video) + runs_of(ids, tokens.audio)
    return sorted(spans)


def reusable_length(
    cached_ids: torch.Tensor,
    cached_media: Sequence[MediaItem],
    ids: torch.Tensor,
    media: Sequence[MediaItem],
    tokens: MediaTokenIds,
) -> int:
    """How many leading tokens of the new prompt the cached prompt computed with the same ids *and* media.

    The result never ends inside a media span and leaves at least one token to
    prefill (generation needs the last prompt token's logits).
    """
    length = min(common_prefix(cached_ids, ids), ids.numel() - 1)
    for index, (start, _end) in enumerate(media_spans(ids, tokens)):
        if start >= length:
            break
        if index >= len(cached_media) or index >= len(media) or cached_media[index].key != media[index].key:
            length = start
            break
    return safe_prefix(ids, length, tokens)


def count_spans_before(ids: torch.Tensor, token: int, length: int) -> int:
    """How many media spans of ``token`` end at or before ``length``."""
    return sum(1 for _start, end in runs_of(ids, token) if end <= length)


def slice_media(inputs: dict[str, Any], ids: torch.Tensor, length: int, tokens: MediaTokenIds) -> dict[str, Any]:
    """Processor tensors for the media whose marker tokens lie after ``length``."""
    out: dict[str, Any] = {}
    for key, grid_key, token in (
        ("pixel_values", "image_grid_thw", tokens.image),
        ("pixel_values_videos", "video_grid_thw", tokens.video),
    ):
        if inputs.get(key) is None:
            continue
        skip = count_spans_before(ids, token, length)
        grid = inputs[grid_key]
        offset = int(grid[:skip].prod(dim=-1).sum()) if skip else 0
        if skip < grid.shape[0]:
            out[key] = inputs[key][offset:]
            out[grid_key] = grid[skip:]
            if key == "pixel_values_videos" and inputs.get("video_second_per_grid") is not None:
                out["video_second_per_grid"] = inputs["video_second_per_grid"][skip:]
    if inputs.get("input_features") is not None:
        skip = count_spans_before(ids, tokens.audio, length)
        if skip < inputs["input_features"].shape[0]:
            out["input_features"] = inputs["input_features"][skip:]
            out["feature_attention_mask"] = inputs["feature_attention_mask"][skip:]
    return out


def tokens_by_modality(ids: torch.Tensor, tokens: MediaTokenIds) -> dict[str, int]:
    """Count media marker tokens per modality; the rest is text."""
    counts = {
        "image": int((ids == tokens.image).sum()),
        "video": int((ids == tokens.video).sum()),
        "audio": int((ids == tokens.audio).sum()),
    }
    counts["text"] = int(ids.numel()) - sum(counts.values())
    return counts
