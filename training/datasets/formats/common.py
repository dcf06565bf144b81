"""What every format converter shares: the error type, the per-record context and
the builders that turn messages (plus media and Nexus tag columns) into schema records.

Nexus tag columns (``nexus_id``, ``nexus_domain``, ...) are written by our own
exporters so that a schema → LLaMA-Factory/ShareGPT → schema round trip gives
back the same ids, tags and media types; when a record carries them they win
over the caller's defaults.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from training.datasets.schema import MediaRef, Message, Modalities, PreferencePair, Sample, TrainingMode

if TYPE_CHECKING:
    from training.datasets.formats.media import MediaPlacer

MEDIA_KINDS = ("image", "audio", "video")
# LLaMA-Factory's list columns and text placeholders, by media kind.
MEDIA_COLUMNS = {"image": "images", "audio": "audios", "video": "videos"}
PLACEHOLDERS = {"image": "<image>", "audio": "<audio>", "video": "<video>"}
# Imported media whose kind the source does not say are tagged "other", never a guess such as a photo
# tagged "screenshot" or a sound effect tagged "speech"; an import can name the types (``media_types``).
DEFAULT_MEDIA_TYPES = {"image": "other", "audio": "other", "video": "other"}

NEXUS_ID = "nexus_id"
NEXUS_DOMAIN = "nexus_domain"
NEXUS_CATEGORY = "nexus_category"
NEXUS_SOURCE = "nexus_source"
NEXUS_REPETITION = "nexus_repetition_style"
NEXUS_TRAINING_MODE = "nexus_training_mode"
NEXUS_PAIR_STYLE = "nexus_pair_style"
NEXUS_INSERTED = "nexus_inserted_placeholders"
NEXUS_VIDEO_FPS = "nexus_video_fps"
NEXUS_TYPES = {kind: f"nexus_{kind}_types" for kind in MEDIA_KINDS}
NEXUS_COLUMNS = (NEXUS_ID, NEXUS_DOMAIN, NEXUS_CATEGORY, NEXUS_SOURCE, NEXUS_REPETITION, NEXUS_TRAINING_MODE,
                 NEXUS_PAIR_STYLE, NEXUS_INSERTED, NEXUS_VIDEO_FPS, *NEXUS_TYPES.values())

# Source role names → schema roles. Tool calls are the model's output; tool
# results (observations) come back to it as input, like a user turn.
ROLE_ALIASES = {
    "system": "system", "developer": "system",
    "user": "user", "human": "user", "observation": "user", "tool": "user", "function": "user",
    "ipython": "user",
    "assistant": "assistant", "gpt": "assistant", "model": "assistant", "bot": "assistant",
    "chatgpt": "assistant", "function_call": "assistant",
}


class NormalizeError(ValueError):
    """A record (or file) that cannot be converted to the schema; the message says why."""


@dataclass(frozen=True)
class RecordContext:
    """Defaults and services for converting one record."""

    domain: str
    category: str
    source: str
    id: str
    media: MediaPlacer | None = None
    media_types: Mapping[str, str] = field(default_factory=dict)
    video_fps: float | None = None
    training_mode: TrainingMode = "censored"


def text_of(record: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    """The text in ``record[key]``; numbers are written out, anything else is an error."""
    value = record.get(key)
    if value is None:
        if required:
            raise NormalizeError(f"field {key!r} is missing or null")
        return ""
    if isinstance(value, bool):
        raise NormalizeError(f"field {key!r} is a boolean, expected text")
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    raise NormalizeError(f"field {key!r} is a {type(value).__name__}, expected text")


def schema_role(raw: object, where: str) -> str:
    """Map a source role name to system/user/assistant; unsupported roles are reported."""
    role = ROLE_ALIASES.get(str(raw).strip().lower()) if isinstance(raw, str) else None
    if role is None:
        known = ", ".join(sorted(ROLE_ALIASES))
        raise NormalizeError(f"unsupported role {raw!r} in {where}; supported roles: {known}")
    return role


def chat_messages(turns: Sequence[tuple[str, str]]) -> list[Message]:
    """Build schema messages from (role, text) pairs, dropping blank system prompts."""
    messages: list[Message] = []
    for index, (role, text) in enumerate(turns):
        if role == "system" and not text.strip():
            continue
        if not text.strip():
            raise NormalizeError(f"message {index} ({role}) is empty")
        messages.append(Message(role=role, content=text))  # type: ignore[arg-type]
    return messages


def with_system(system: str, messages: list[Message]) -> list[Message]:
    """Prepend a system message unless it is blank or the conversation already has one."""
    if not system.strip() or (messages and messages[0].role == "system"):
        return messages
    return [Message(role="system", content=system), *messages]


def tag(record: Mapping[str, Any], key: str, default: str) -> str:
    """A Nexus tag column when the record carries a non-empty string there, else ``default``."""
    value = record.get(key)
    return value if isinstance(value, str) and value else default


def build_sample(messages: list[Message], record: Mapping[str, Any], ctx: RecordContext) -> Sample:
    """A Sample from converted messages plus the record's media lists and Nexus tags."""
    messages = _strip_inserted_placeholders(messages, record.get(NEXUS_INSERTED))
    roles = {message.role for message in messages}
    if "user" not in roles:
        raise NormalizeError("the conversation has no user turn")
    if "assistant" not in roles:
        raise NormalizeError("the conversation has no assistant turn (nothing to learn from)")
    modalities = _modalities(record, ctx, messages)
    repetition = record.get(NEXUS_REPETITION)
    try:
        return Sample(
            id=tag(record, NEXUS_ID, ctx.id),
            messages=messages,
            domain=tag(record, NEXUS_DOMAIN, ctx.domain),
            category=tag(record, NEXUS_CATEGORY, ctx.category),
            source=tag(record, NEXUS_SOURCE, ctx.source),
            repetition_style=repetition if isinstance(repetition, str) and repetition else None,
            modalities=modalities,
        )
    except ValidationError as exc:
        raise NormalizeError(_validation_message(exc)) from exc


def build_pair(prompt: str | list[Message], chosen: str | list[Message], rejected: str | list[Message],
               record: Mapping[str, Any], ctx: RecordContext) -> PreferencePair:
    """A PreferencePair; media are refused because the pair schema has no place for them."""
    for kind in MEDIA_KINDS:
        if _media_values(record, kind):
            raise NormalizeError(f"preference pairs cannot carry media ({MEDIA_COLUMNS[kind]} given)")
    if chosen == rejected:
        raise NormalizeError("chosen and rejected answers are identical")
    mode = record.get(NEXUS_TRAINING_MODE)
    try:
        return PreferencePair(
            id=tag(record, NEXUS_ID, ctx.id),
            prompt=prompt,
            chosen=chosen,
            rejected=rejected,
            category=tag(record, NEXUS_CATEGORY, ctx.category),
            training_mode=mode if mode in ("censored", "uncensored") else ctx.training_mode,
            domain=tag(record, NEXUS_DOMAIN, ctx.domain),
            source=tag(record, NEXUS_SOURCE, ctx.source),
        )
    except ValidationError as exc:
        raise NormalizeError(_validation_message(exc)) from exc


def _validation_message(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    return f"schema check failed at {where or 'record'}: {first.get('msg', exc)}"


def _media_values(record: Mapping[str, Any], kind: str) -> list[Any]:
    value = record.get(MEDIA_COLUMNS[kind])
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [item for item in value if item is not None]
    return [value]


def _strip_inserted_placeholders(messages: list[Message], inserted: object) -> list[Message]:
    """Undo the placeholder prefix an exporter added to the first user message."""
    if not isinstance(inserted, str) or not inserted:
        return messages
    result = list(messages)
    for index, message in enumerate(result):
        if message.role == "user":
            if message.content.startswith(inserted):
                result[index] = Message(role="user", content=message.content[len(inserted):])
            break
    return result


def _modalities(record: Mapping[str, Any], ctx: RecordContext, messages: list[Message]) -> Modalities | None:
    refs: dict[str, list[MediaRef]] = {}
    text = "".join(message.content for message in messages)
    for kind in MEDIA_KINDS:
        values = _media_values(record, kind)
        marks = text.count(PLACEHOLDERS[kind])
        if values and marks and marks != len(values):
            raise NormalizeError(
                f"{marks} {PLACEHOLDERS[kind]} placeholder(s) in the text but {len(values)} "
                f"{MEDIA_COLUMNS[kind]} listed"
            )
        if not values:
            continue
        types = record.get(NEXUS_TYPES[kind])
        fps = record.get(NEXUS_VIDEO_FPS) if kind == "video" else None
        default_type = ctx.media_types.get(kind) or DEFAULT_MEDIA_TYPES[kind]
        kind_refs = []
        for index, value in enumerate(values):
            path = ctx.media.place(kind, value) if ctx.media is not None else _relative_path(kind, value)
            given = types[index] if isinstance(types, list) and index < len(types) else None
            media_type = given if isinstance(given, str) and given else default_type
            item_fps = fps[index] if isinstance(fps, list) and index < len(fps) else None
            if kind == "video" and item_fps is None:
                item_fps = ctx.video_fps
            try:
                kind_refs.append(MediaRef(path=path, type=media_type, fps=item_fps))
            except ValidationError as exc:
                raise NormalizeError(_validation_message(exc)) from exc
        refs[kind] = kind_refs
    return Modalities(**refs) if refs else None


def _relative_path(kind: str, value: Any) -> str:
    """Without a media placer, a media entry must already be a path relative to the dataset root."""
    if isinstance(value, Mapping) and isinstance(value.get("path"), str) and not value.get("bytes"):
        value = value["path"]
    if not isinstance(value, str):
        raise NormalizeError(f"{kind} entry is embedded data ({type(value).__name__}); import it with a media folder")
    return value.replace("\\", "/")
