"""The unified training sample and preference-pair records (one JSON object per JSONL line).

Everything the workbench produces or imports is converted to these models, so
generators, loaders, the validator, the mixer and the trainer agree on one
shape. Media are referenced by paths relative to the dataset root; tensors are
built at training time, never stored.

Message text may hold ``<image>``, ``<audio>`` and ``<video>`` placeholders
(LLaMA-Factory's convention) marking where each media item of that kind goes,
in order; a sample without placeholders has its media before the text of its
first user message.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCHEMA_VERSION = 1

Role = Literal["system", "user", "assistant"]
RepetitionStyle = Literal["baseline", "2x", "verbose", "3x"]
TrainingMode = Literal["censored", "uncensored"]

# The spec's media types, plus "other": what an import tags media it knows nothing about, rather than a guess.
IMAGE_TYPES = ("screenshot", "diagram", "photo", "ui_mock", "chart", "other")
AUDIO_TYPES = ("speech", "podcast", "meeting", "code_review", "other")
VIDEO_TYPES = ("coding_session", "debugging", "deployment", "other")


class Message(BaseModel):
    """One chat message in OpenAI form."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    content: str


class MediaRef(BaseModel):
    """A media file of a sample, relative to the dataset root."""

    model_config = ConfigDict(extra="forbid")

    path: str
    type: str
    fps: float | None = None

    @field_validator("path")
    @classmethod
    def _relative(cls, value: str) -> str:
        if not value or value.startswith("/") or value.startswith("\\") or ":" in value.split("/")[0]:
            raise ValueError(f"media path must be relative to the dataset root, got {value!r}")
        if ".." in value.replace("\\", "/").split("/"):
            raise ValueError(f"media path must stay inside the dataset, got {value!r}")
        return value


class Modalities(BaseModel):
    """The media attached to a sample, by kind."""

    model_config = ConfigDict(extra="forbid")

    image: list[MediaRef] = Field(default_factory=list)
    audio: list[MediaRef] = Field(default_factory=list)
    video: list[MediaRef] = Field(default_factory=list)

    def kinds(self) -> list[str]:
        """The kinds present, e.g. ``["image", "audio"]``."""
        return [kind for kind in ("image", "audio", "video") if getattr(self, kind)]

    def all(self) -> list[tuple[str, MediaRef]]:
        """Every (kind, reference) pair."""
        return [(kind, ref) for kind in ("image", "audio", "video") for ref in getattr(self, kind)]


class Sample(BaseModel):
    """One supervised (SFT) sample."""

    model_config = ConfigDict(extra="forbid")

    id: str
    messages: list[Message]
    domain: str
    category: str
    source: str
    repetition_style: RepetitionStyle | None = None
    modalities: Modalities | None = None
    schema_version: int = SCHEMA_VERSION

    def is_multimodal(self) -> bool:
        """True when the sample carries at least one media file."""
        return bool(self.modalities and self.modalities.kinds())

    def to_json_line(self) -> str:
        """The sample as one compact JSON line (stable key order, no trailing newline)."""
        return json.dumps(self.model_dump(mode="json", exclude_none=True), ensure_ascii=False, separators=(",", ":"))


class PreferencePair(BaseModel):
    """One preference (DPO) record: a prompt with a better and a worse answer."""

    model_config = ConfigDict(extra="forbid")

    id: str
    prompt: str | list[Message]
    chosen: str | list[Message]
    rejected: str | list[Message]
    category: str
    training_mode: TrainingMode = "censored"
    domain: str = "preference"
    source: str
    schema_version: int = SCHEMA_VERSION

    def to_json_line(self) -> str:
        """The record as one compact JSON line."""
        return json.dumps(self.model_dump(mode="json", exclude_none=True), ensure_ascii=False, separators=(",", ":"))


Record = Sample | PreferencePair


def record_from_dict(data: dict) -> Record:
    """Parse a schema dict into a Sample or a PreferencePair (raises pydantic.ValidationError)."""
    if "chosen" in data or "rejected" in data:
        return PreferencePair.model_validate(data)
    return Sample.model_validate(data)
