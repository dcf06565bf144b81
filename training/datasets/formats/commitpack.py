"""CommitPackFT: a commit message applied to a file; the answer is the file after the commit."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from training.datasets.formats.common import NormalizeError, RecordContext, build_sample, chat_messages, text_of
from training.datasets.schema import Sample


def fence(text: str, language: str = "") -> str:
    """Wrap ``text`` in a Markdown code fence longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=2)
    marks = "`" * max(3, longest + 1)
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"{marks}{language}\n{body}{marks}"


def _fence_language(lang: str) -> str:
    return re.sub(r"[^a-z0-9+#-]", "", lang.strip().lower())


def convert_commitpack(record: Mapping[str, Any], ctx: RecordContext) -> Sample:
    """``old_contents``/``new_contents``/``message`` (+ ``lang``, ``old_file``/``new_file``)."""
    message = text_of(record, "message").strip() or text_of(record, "subject", required=False).strip()
    if not message:
        raise NormalizeError("commit message is empty")
    old = text_of(record, "old_contents", required=False)
    new = text_of(record, "new_contents")
    if not new.strip():
        raise NormalizeError("new_contents is empty (a deleted file has nothing to learn from)")
    if old == new:
        raise NormalizeError("old_contents and new_contents are identical")
    lang = text_of(record, "lang", required=False)
    old_file = text_of(record, "old_file", required=False) or text_of(record, "new_file", required=False)
    new_file = text_of(record, "new_file", required=False) or old_file
    language = _fence_language(lang)
    described = f"`{old_file}`" if old_file else "the file"
    if lang:
        described += f" ({lang})"
    if old.strip():
        prompt = (f"Apply this commit to {described} and give the complete new file.\n\n"
                  f"Commit message: {message}\n\n{fence(old, language)}")
    else:
        target = f"`{new_file}`" if new_file else "a new file"
        language_note = f" ({lang})" if lang else ""
        prompt = (f"Create {target}{language_note} for this commit and give its complete contents.\n\n"
                  f"Commit message: {message}")
    return build_sample(chat_messages([("user", prompt), ("assistant", fence(new, language))]), record, ctx)
