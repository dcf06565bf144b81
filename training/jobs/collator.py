"""Multimodal SFT batches: schema samples → the processor's inputs, with labels on assistant tokens only.

Each sample's messages become the chat template's messages; media are put
where the ``<image>``/``<audio>``/``<video>`` placeholders are (or before the
first user text when there are none), loaded from the dataset folder
(images with Pillow, audio at 16 kHz, video frames with PyAV at the sample's
rate). The processor expands each media item into its tokens. Labels are
-100 everywhere except inside assistant messages (their text and the
``<|im_end|>`` that ends them), so the model learns to answer, not to echo
prompts or media.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from engine.omni.turn import AUDIO_RATE
from engine.speech.audio import load_audio
from training.datasets.schema import MediaRef, Sample

IGNORE = -100
_PLACEHOLDER = re.compile(r"<(image|audio|video)>")
MAX_VIDEO_FRAMES = 8


def load_image(path: Path) -> np.ndarray:
    """An RGB image as an HxWx3 uint8 array."""
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def load_video(path: Path, fps: float) -> list[np.ndarray]:
    """Frames sampled at ``fps`` (at most ``MAX_VIDEO_FRAMES``)."""
    import av

    frames: list[np.ndarray] = []
    next_time = 0.0
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            seconds = float(frame.time or 0.0)
            if seconds + 1e-6 >= next_time:
                frames.append(frame.to_ndarray(format="rgb24"))
                next_time = seconds + 1.0 / fps
                if len(frames) >= MAX_VIDEO_FRAMES:
                    break
    # The vision processor groups frames in pairs (temporal patch size 2).
    if len(frames) % 2:
        frames.append(frames[-1])
    return frames


def sample_messages(sample: Sample, root: Path) -> tuple[list[dict[str, Any]], dict[str, list[Any]]]:
    """Chat-template messages and the loaded media, in placeholder order."""
    refs: dict[str, list[MediaRef]] = {"image": [], "audio": [], "video": []}
    if sample.modalities is not None:
        refs = {kind: list(getattr(sample.modalities, kind)) for kind in refs}
    media: dict[str, list[Any]] = {"image": [], "audio": [], "video": [], "fps": []}
    used = {kind: 0 for kind in refs}
    has_placeholders = any(_PLACEHOLDER.search(m.content) for m in sample.messages)
    messages: list[dict[str, Any]] = []
    first_user = True
    for message in sample.messages:
        parts: list[dict[str, Any]] = []
        if message.role == "user" and first_user and not has_placeholders:
            for kind in ("image", "video", "audio"):
                for _ in refs[kind]:
                    parts.append(_media_part(kind, refs, used, media, root))
        if message.role == "user":
            first_user = False
        position = 0
        for match in _PLACEHOLDER.finditer(message.content):
            text = message.content[position : match.start()]
            if text.strip():
                parts.append({"type": "text", "text": text})
            parts.append(_media_part(match.group(1), refs, used, media, root))
            position = match.end()
        rest = message.content[position:]
        if rest.strip() or not parts:
            parts.append({"type": "text", "text": rest})
        messages.append({"role": message.role, "content": parts})
    return messages, media


def _media_part(kind: str, refs: dict[str, list[MediaRef]], used: dict[str, int], media: dict[str, list[Any]],
                root: Path) -> dict[str, Any]:
    index = used[kind]
    if index >= len(refs[kind]):
        raise ValueError(f"a <{kind}> placeholder has no {kind} file")
    ref = refs[kind][index]
    used[kind] += 1
    path = root / ref.path
    if kind == "image":
        media["image"].append(load_image(path))
    elif kind == "audio":
        media["audio"].append(load_audio(path, AUDIO_RATE)[0])
    else:
        fps = ref.fps or 1.0
        media["video"].append(load_video(path, fps))
        media["fps"].append(fps)
    return {"type": kind}


def assistant_mask(input_ids: torch.Tensor, start_id: int, end_id: int, header: Sequence[int]) -> torch.Tensor:
    """True on tokens inside assistant messages (content and the closing ``<|im_end|>``)."""
    mask = torch.zeros_like(input_ids, dtype=torch.bool)
    ids = input_ids.tolist()
    h = len(header)
    for row, seq in enumerate(ids):
        i = 0
        while i < len(seq):
            if seq[i] == start_id and seq[i + 1 : i + 1 + h] == list(header):
                j = i + 1 + h
                while j < len(seq) and seq[j] != end_id:
                    mask[row, j] = True
                    j += 1
                if j < len(seq):
                    mask[row, j] = True
                i = j
            i += 1
    return mask


class LabelCounter:
    """Labelled (assistant) tokens trained on since the last ``take``: the trainer adds, the logger takes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens = 0

    def add(self, tokens: int) -> None:
        """Count one micro-batch's labelled tokens."""
        with self._lock:
            self._tokens += tokens

    def take(self) -> int:
        """The tokens counted since the last call, and start again from zero."""
        with self._lock:
            tokens, self._tokens = self._tokens, 0
            return tokens


class SftCollator:
    """Turns a list of (dataset folder, sample) into one padded batch with labels."""

    def __init__(self, processor: Any, max_length: int) -> None:
        self.processor = processor
        self.max_length = max_length

        tokenizer = processor.tokenizer
        self.start_id = tokenizer.convert_tokens_to_ids("<|im_start|>")
        self.end_id = tokenizer.convert_tokens_to_ids("<|im_end|>")
        self.header = tokenizer.encode("assistant\n", add_special_tokens=False)
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self.end_id

    def __call__(self, batch: Sequence[tuple[Path, Sample]]) -> dict[str, torch.Tensor]:
        texts: list[str] = []
        images: list[np.ndarray] = []
        audios: list[np.ndarray] = []
        videos: list[list[np.ndarray]] = []
        fps: list[float] = []
        for root, sample in batch:
            messages, media = sample_messages(sample, root)
            texts.append(self.processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=False))
            images += media["image"]
            audios += media["audio"]
            videos += media["video"]
            fps += media["fps"]
        kwargs: dict[str, Any] = {"text": texts, "return_tensors": "pt", "padding": True}
        if images:
            kwargs["images"] = images
        if audios:
            kwargs["audio"] = audios
            kwargs["audio_kwargs"] = {"sampling_rate": AUDIO_RATE}
        if videos:
            kwargs["videos"] = videos
            kwargs["videos_kwargs"] = {"fps": fps[-1], "do_sample_frames": False}
        inputs = dict(self.processor(**kwargs))
        ids = inputs["input_ids"]
        labels = torch.where(assistant_mask(ids, self.start_id, self.end_id, self.header), ids, torch.full_like(ids, IGNORE))
        labels[inputs["attention_mask"] == 0] = IGNORE
        if ids.shape[1] > self.max_length:
            # Cutting media tokens would break the features they stand for; cut text-only rows only.
            if not (images or audios or videos):
                inputs["input_ids"] = ids[:, : self.max_length]
                inputs["attention_mask"] = inputs["attention_mask"][:, : self.max_length]
                labels = labels[:, : self.max_length]
        inputs["labels"] = labels
        return inputs
