"""A ``Turn`` as OpenAI chat-completions messages, with the same prompt the in-process thinker gets.

The prompt is built by ``engine.omni.prompt.build_conversation``, so both backends
agree on what the model sees: history keeps its text always and its media only
for the last ``media_window`` user turns (dropped ``media_block`` turns at a time),
and every user message lists images, then the clip, then audio, then text. This
module only changes the encoding:

* images travel as JPEG data URLs (``image_url``),
* audio as a base64 16 kHz WAV in an ``input_audio`` part, which both llama.cpp's
  ``llama-server`` and vLLM accept,
* a clip as its frames, each an ``image_url`` part, at the clip's place in the
  message: ``llama-server`` takes no video input at all and vLLM takes video
  only as a URL in some versions, so frames are the form every server reads
  (vLLM users get the same).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from typing import Any

import numpy as np
import soundfile as sf
from PIL import Image

from engine.omni.prompt import PromptMedia, build_conversation
from engine.omni.turn import AUDIO_RATE, Turn

_JPEG_QUALITY = 90


def _jpeg_data_url(image: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).convert("RGB").save(
        buffer, format="JPEG", quality=_JPEG_QUALITY
    )
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _wav_base64(audio: np.ndarray) -> str:
    # libsndfile wraps out-of-range floats around when writing PCM, so clip first.
    samples = np.clip(np.asarray(audio, dtype=np.float32).reshape(-1), -1.0, 1.0)
    buffer = io.BytesIO()
    sf.write(buffer, samples, AUDIO_RATE, format="WAV", subtype="PCM_16")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def image_part(image: np.ndarray) -> dict[str, Any]:
    """An ``image_url`` content part holding ``image`` as a JPEG data URL."""
    return {"type": "image_url", "image_url": {"url": _jpeg_data_url(image)}}


def audio_part(audio: np.ndarray) -> dict[str, Any]:
    """An ``input_audio`` content part holding 16 kHz mono ``audio`` as a base64 WAV."""
    return {"type": "input_audio", "input_audio": {"data": _wav_base64(audio), "format": "wav"}}


class _MediaCursor:
    """Hands out the prompt's media in the order ``build_conversation`` placed them."""

    def __init__(self, media: PromptMedia) -> None:
        self._images: Iterator[np.ndarray] = iter(media.images)
        self._videos: Iterator[list[np.ndarray]] = iter(media.videos)
        self._audios: Iterator[np.ndarray] = iter(media.audios)

    def parts(self, part: dict[str, Any]) -> list[dict[str, Any]]:
        """The OpenAI parts for one part of the in-process prompt."""
        kind = part["type"]
        if kind == "image":
            return [image_part(next(self._images))]
        if kind == "video":
            return [image_part(frame) for frame in next(self._videos)]
        if kind == "audio":
            return [audio_part(next(self._audios))]
        return [{"type": "text", "text": part["text"]}]


def _content(parts: list[dict[str, Any]], cursor: _MediaCursor) -> str | list[dict[str, Any]]:
    """Plain text when a message holds only text (every server reads that), else content parts."""
    if all(part["type"] == "text" for part in parts):
        return "".join(part["text"] for part in parts)
    return [piece for part in parts for piece in cursor.parts(part)]


def turn_to_messages(turn: Turn, media_window: int = 3, media_block: int = 3) -> list[dict[str, Any]]:
    """OpenAI chat messages for ``turn``: system prompt, history, then the new user content.

    ``media_window`` and ``media_block`` decide which history user turns keep their
    media, exactly as for the in-process engine (``MediaPolicy``), so a server's
    prefix cache sees the same stable prefix. An empty system prompt is left out,
    so the server's chat template applies its own default.
    """
    conversation, media = build_conversation(turn, media_window, media_block)
    cursor = _MediaCursor(media)
    messages: list[dict[str, Any]] = []
    for message in conversation:
        content = _content(message["content"], cursor)
        if message["role"] == "system" and not content:
            continue
        messages.append({"role": message["role"], "content": content})
    return messages
