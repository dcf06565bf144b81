"""Turn a ``Turn`` into chat-template messages and processor inputs.

History keeps text always, and media only from ``media_start`` on (the last
``media_window`` user turns, older ones dropped ``media_block`` turns at a
time); older media are dropped so old screenshots stop costing tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.omni.media_policy import media_start
from engine.omni.turn import AUDIO_RATE, Message, Turn, UserContent


@dataclass
class PromptMedia:
    """Media in prompt order, as the processor wants them."""

    images: list[np.ndarray] = field(default_factory=list)
    videos: list[list[np.ndarray]] = field(default_factory=list)
    video_fps: list[float] = field(default_factory=list)
    audios: list[np.ndarray] = field(default_factory=list)


def _content_parts(content: UserContent, text: str, media: PromptMedia) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for image in content.images:
        parts.append({"type": "image"})
        media.images.append(image)
    if content.video is not None and content.video.frames:
        parts.append({"type": "video"})
        media.videos.append(content.video.frames)
        media.video_fps.append(content.video.fps)
    if content.audio is not None and content.audio.size:
        parts.append({"type": "audio"})
        media.audios.append(content.audio)
    if text:
        parts.append({"type": "text", "text": text})
    return parts


def build_conversation(
    turn: Turn, media_window: int = 0, media_block: int = 1
) -> tuple[list[dict[str, Any]], PromptMedia]:
    """Chat messages (system, history, new user content) and the media they reference."""
    media = PromptMedia()
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": [{"type": "text", "text": turn.system_prompt}]}
    ]
    keep_media_from = media_start(turn.history, media_window, media_block)
    for index, message in enumerate(turn.history):
        messages.append(_history_message(message, index >= keep_media_from, media))
    messages.append({"role": "user", "content": _content_parts(turn.user, turn.user.text, media)})
    return messages, media


def _history_message(message: Message, keep_media: bool, media: PromptMedia) -> dict[str, Any]:
    if message.role == "user" and keep_media and message.content is not None:
        return {"role": "user", "content": _content_parts(message.content, message.text, media)}
    return {"role": message.role, "content": [{"type": "text", "text": message.text}]}


def processor_inputs(processor: Any, messages: list[dict[str, Any]], media: PromptMedia) -> Any:
    """Tokenised inputs with pixel values and audio features, from one processor call over the whole prompt.

    The engine uses ``engine.omni.encoding.PromptEncoder``, which gives the same
    inputs while processing each media item only once; this is its reference.
    """
    text = processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    kwargs: dict[str, Any] = {"text": [text], "return_tensors": "pt", "padding": False}
    if media.images:
        kwargs["images"] = media.images
    if media.videos:
        kwargs["videos"] = media.videos
        # The processor takes one rate per call; clips in one prompt share the capture rate.
        kwargs["videos_kwargs"] = {"fps": media.video_fps[-1], "do_sample_frames": False}
    if media.audios:
        kwargs["audio"] = [np.asarray(a, dtype=np.float32) for a in media.audios]
        kwargs["audio_kwargs"] = {"sampling_rate": AUDIO_RATE}
    return processor(**kwargs)
