"""Multi-turn chat formats: OpenAI ``messages`` and ShareGPT ``conversations``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from training.datasets.formats.common import (
    NormalizeError,
    RecordContext,
    build_sample,
    chat_messages,
    schema_role,
    text_of,
    with_system,
)
from training.datasets.schema import Message, Sample


def message_text(content: Any, where: str) -> str:
    """The text of an OpenAI message content: a string, or a list of text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, Mapping) and part.get("type") == "text" and isinstance(part.get("text"), str):
                texts.append(part["text"])
            else:
                kind = part.get("type") if isinstance(part, Mapping) else type(part).__name__
                raise NormalizeError(
                    f"{where} has a content part of type {kind!r}; only text parts are read "
                    "(give media as images/audios/videos lists with placeholders)"
                )
        return "".join(texts)
    raise NormalizeError(f"{where} content is a {type(content).__name__}, expected text")


def openai_turns(messages: Any, field: str = "messages") -> list[tuple[str, str]]:
    """(role, text) pairs from a list of OpenAI-style ``{"role", "content"}`` dicts (ShareGPT-style
    ``{"from", "value"}`` turns are read too, as LLaMA-Factory ranking rows mix them with preferences)."""
    if not isinstance(messages, list) or not messages:
        raise NormalizeError(f"field {field!r} must be a non-empty list of messages")
    turns = []
    for index, message in enumerate(messages):
        where = f"{field}[{index}]"
        if not isinstance(message, Mapping):
            raise NormalizeError(f"{where} is a {type(message).__name__}, expected an object with role and content")
        role = schema_role(message.get("role", message.get("from")), where)
        content = message.get("content", message.get("value"))
        if content is None and message.get("tool_calls"):
            text = json.dumps(message["tool_calls"], ensure_ascii=False)
        else:
            text = message_text(content if content is not None else "", where)
        turns.append((role, text))
    return turns


def convert_openai(record: Mapping[str, Any], ctx: RecordContext) -> Sample:
    """OpenAI ``messages``: a list of role/content dicts (system, user, assistant, tool)."""
    messages = chat_messages(openai_turns(record.get("messages")))
    return build_sample(with_system(text_of(record, "system", required=False), messages), record, ctx)


def convert_sharegpt(record: Mapping[str, Any], ctx: RecordContext) -> Sample:
    """ShareGPT ``conversations`` of ``{"from", "value"}`` turns, with an optional ``system`` field."""
    conversations = record.get("conversations")
    if not isinstance(conversations, list) or not conversations:
        raise NormalizeError("field 'conversations' must be a non-empty list of turns")
    turns = []
    for index, turn in enumerate(conversations):
        where = f"conversations[{index}]"
        if not isinstance(turn, Mapping):
            raise NormalizeError(f"{where} is a {type(turn).__name__}, expected an object with from and value")
        turns.append((schema_role(turn.get("from"), where), text_of(turn, "value")))
    messages: list[Message] = chat_messages(turns)
    return build_sample(with_system(text_of(record, "system", required=False), messages), record, ctx)
