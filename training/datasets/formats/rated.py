"""Single rated responses kept as SFT samples when their labels say they are good:
nvidia/HelpSteer (helpfulness/correctness scores) and PKU-Alignment/BeaverTails (is_safe)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from training.datasets.formats.common import NormalizeError, RecordContext, build_sample, chat_messages, text_of
from training.datasets.schema import Sample

# HelpSteer scores run 0–4; 3 and up is the upper half the dataset card calls good.
HELPSTEER_MIN_SCORE = 3


def convert_helpsteer(record: Mapping[str, Any], ctx: RecordContext) -> Sample:
    """HelpSteer ``prompt``/``response`` rows with helpfulness and correctness of at least 3 of 4."""
    for label in ("helpfulness", "correctness"):
        score = record.get(label)
        if isinstance(score, (int, float)) and score < HELPSTEER_MIN_SCORE:
            raise NormalizeError(f"{label} {score} is below {HELPSTEER_MIN_SCORE}; response not kept")
    turns = [("user", text_of(record, "prompt")), ("assistant", text_of(record, "response"))]
    return build_sample(chat_messages(turns), record, ctx)


def convert_beavertails(record: Mapping[str, Any], ctx: RecordContext) -> Sample:
    """BeaverTails ``prompt``/``response`` rows; only responses labelled safe are kept."""
    if record.get("is_safe") is not True:
        raise NormalizeError("response is labelled unsafe; not kept")
    turns = [("user", text_of(record, "prompt")), ("assistant", text_of(record, "response"))]
    return build_sample(chat_messages(turns), record, ctx)
