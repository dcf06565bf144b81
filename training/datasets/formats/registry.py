"""Which source format a record is in, and the converter for each format."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from training.datasets.formats.chat import convert_openai, convert_sharegpt
from training.datasets.formats.commitpack import convert_commitpack
from training.datasets.formats.common import NEXUS_COLUMNS, NormalizeError, RecordContext
from training.datasets.formats.preference import (
    convert_hh_rlhf,
    convert_nectar,
    convert_pku_saferlhf,
    convert_preference,
    convert_ultrafeedback,
)
from training.datasets.formats.rated import convert_beavertails, convert_helpsteer
from training.datasets.formats.single_turn import (
    convert_alpaca,
    convert_multiple_choice,
    convert_openmath,
    convert_problem_solution,
    convert_prompt_completion,
    convert_prompt_solution,
    convert_question_answer,
)
from training.datasets.schema import Record

Converter = Callable[[Mapping[str, Any], RecordContext], Record]


@dataclass(frozen=True)
class Format:
    """One source format: its name, the keys that identify it and its converter."""

    name: str
    keys: str
    matches: Callable[[Mapping[str, Any]], bool]
    convert: Converter


def _has(*keys: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda record: all(key in record for key in keys)


def _is_hh(record: Mapping[str, Any]) -> bool:
    chosen = record.get("chosen")
    return "prompt" not in record and isinstance(chosen, str) and chosen.lstrip("\n").startswith("Human:")


def _is_preference(record: Mapping[str, Any]) -> bool:
    return "chosen" in record and "rejected" in record and not _is_hh(record)


def _is_alpaca(record: Mapping[str, Any]) -> bool:
    return "instruction" in record and ("output" in record or "response" in record)


def _is_multiple_choice(record: Mapping[str, Any]) -> bool:
    return "question" in record and "answer" in record and ("choices" in record or "options" in record)


# Order matters: the more specific shapes are tried first (a PKU-SafeRLHF row also
# has a "prompt", an UltraFeedback-binarized row also has "messages").
FORMATS: tuple[Format, ...] = (
    Format("hh_rlhf", "chosen/rejected Human:/Assistant: transcripts", _is_hh, convert_hh_rlhf),
    Format("preference", "prompt/chosen/rejected", _is_preference, convert_preference),
    Format("nectar", "prompt/answers (ranked)", _has("prompt", "answers"), convert_nectar),
    Format("ultrafeedback", "instruction/completions (scored)", _has("instruction", "completions"),
           convert_ultrafeedback),
    Format("pku_saferlhf", "prompt/response_0/response_1", _has("prompt", "response_0", "response_1"),
           convert_pku_saferlhf),
    Format("beavertails", "prompt/response/is_safe", _has("prompt", "response", "is_safe"), convert_beavertails),
    Format("helpsteer", "prompt/response/helpfulness", _has("prompt", "response", "helpfulness"), convert_helpsteer),
    Format("commitpackft", "old_contents/new_contents/message", _has("old_contents", "new_contents", "message"),
           convert_commitpack),
    Format("openai", "messages", _has("messages"), convert_openai),
    Format("sharegpt", "conversations (from/value)", _has("conversations"), convert_sharegpt),
    Format("alpaca", "instruction/input/output", _is_alpaca, convert_alpaca),
    Format("openmath", "question/generated_solution", _has("question", "generated_solution"), convert_openmath),
    Format("multiple_choice", "question/choices/answer", _is_multiple_choice, convert_multiple_choice),
    Format("prompt_completion", "prompt/completion", _has("prompt", "completion"), convert_prompt_completion),
    Format("prompt_solution", "prompt/solution", _has("prompt", "solution"), convert_prompt_solution),
    Format("question_answer", "question/answer", _has("question", "answer"), convert_question_answer),
    Format("problem_solution", "problem/solution", _has("problem", "solution"), convert_problem_solution),
)
FORMATS_BY_NAME: dict[str, Format] = {fmt.name: fmt for fmt in FORMATS}


def known_formats() -> str:
    """The formats the normalizer reads, as ``name (keys)`` for messages."""
    return "; ".join(f"{fmt.name} ({fmt.keys})" for fmt in FORMATS)


def detect(record: Mapping[str, Any]) -> Format:
    """The first format whose keys the record has; NormalizeError listing the keys otherwise."""
    if not isinstance(record, Mapping):
        raise NormalizeError(f"a record must be a JSON object, got {type(record).__name__}")
    for fmt in FORMATS:
        if fmt.matches(record):
            return fmt
    seen = sorted(key for key in record if key not in NEXUS_COLUMNS)
    raise NormalizeError(f"unknown record format: keys seen {seen}; known formats: {known_formats()}")


def lookup(name: str) -> Format:
    """The format called ``name``; NormalizeError listing the known names otherwise."""
    try:
        return FORMATS_BY_NAME[name]
    except KeyError:
        raise NormalizeError(f"unknown format name {name!r}; known formats: {', '.join(FORMATS_BY_NAME)}") from None
