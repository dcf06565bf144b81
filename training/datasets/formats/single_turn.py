"""Question → answer formats: Alpaca, prompt/completion, question/answer, problem/solution,
OpenMathInstruct and multiple-choice benchmarks (MMLU style)."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from training.datasets.formats.chat import openai_turns
from training.datasets.formats.common import (
    NormalizeError,
    RecordContext,
    build_sample,
    chat_messages,
    text_of,
    with_system,
)
from training.datasets.schema import Sample

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def alpaca_prompt(instruction: str, query: str) -> str:
    """The user turn of an Alpaca record; joined with a newline as LLaMA-Factory does."""
    return f"{instruction}\n{query}" if query.strip() else instruction


def _history_turns(history: Any) -> list[tuple[str, str]]:
    if history in (None, ""):
        return []
    if not isinstance(history, list):
        raise NormalizeError("field 'history' must be a list of [instruction, response] pairs")
    turns = []
    for index, pair in enumerate(history):
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
            raise NormalizeError(f"history[{index}] is not an [instruction, response] pair of strings")
        turns += [("user", pair[0]), ("assistant", pair[1])]
    return turns


def convert_alpaca(record: Mapping[str, Any], ctx: RecordContext) -> Sample:
    """Alpaca ``instruction``/``input``/``output`` (or ``response``) with optional ``system`` and ``history``."""
    answer_key = "response" if "response" in record and "output" not in record else "output"
    turns = _history_turns(record.get("history"))
    turns += [
        ("user", alpaca_prompt(text_of(record, "instruction"), text_of(record, "input", required=False))),
        ("assistant", text_of(record, answer_key)),
    ]
    messages = with_system(text_of(record, "system", required=False), chat_messages(turns))
    return build_sample(messages, record, ctx)


def _pair_sample(record: Mapping[str, Any], ctx: RecordContext, prompt_key: str, answer_key: str) -> Sample:
    prompt, answer = record.get(prompt_key), record.get(answer_key)
    if isinstance(prompt, list) or isinstance(answer, list):
        # TRL's conversational prompt-completion: both sides are message lists.
        turns = (openai_turns(prompt, prompt_key) if isinstance(prompt, list)
                 else [("user", text_of(record, prompt_key))])
        turns += (openai_turns(answer, answer_key) if isinstance(answer, list)
                  else [("assistant", text_of(record, answer_key))])
    else:
        turns = [("user", text_of(record, prompt_key)), ("assistant", text_of(record, answer_key))]
    messages = with_system(text_of(record, "system", required=False), chat_messages(turns))
    return build_sample(messages, record, ctx)


def convert_prompt_completion(record: Mapping[str, Any], ctx: RecordContext) -> Sample:
    """``prompt`` + ``completion`` (plain strings or TRL conversational message lists)."""
    return _pair_sample(record, ctx, "prompt", "completion")


def convert_prompt_solution(record: Mapping[str, Any], ctx: RecordContext) -> Sample:
    """``prompt`` + ``solution``."""
    return _pair_sample(record, ctx, "prompt", "solution")


def convert_question_answer(record: Mapping[str, Any], ctx: RecordContext) -> Sample:
    """``question`` + ``answer`` (GSM8K, glaive-code-assistant)."""
    return _pair_sample(record, ctx, "question", "answer")


def convert_problem_solution(record: Mapping[str, Any], ctx: RecordContext) -> Sample:
    """``problem`` + ``solution`` (Magicoder-OSS-Instruct, MATH)."""
    return _pair_sample(record, ctx, "problem", "solution")


def convert_openmath(record: Mapping[str, Any], ctx: RecordContext) -> Sample:
    """OpenMathInstruct ``question`` + ``generated_solution``; solutions marked incorrect are refused."""
    if record.get("is_correct") is False:
        raise NormalizeError("generated solution is marked incorrect (is_correct = false)")
    return _pair_sample(record, ctx, "question", "generated_solution")


def _choices(record: Mapping[str, Any]) -> list[str]:
    raw = record.get("choices", record.get("options"))
    if isinstance(raw, str):
        # MMMU stores its options as the repr of a Python list.
        try:
            raw = ast.literal_eval(raw)
        except (ValueError, SyntaxError) as exc:
            raise NormalizeError("field 'options' is text that is not a list of choices") from exc
    if isinstance(raw, Mapping) and isinstance(raw.get("text"), list):
        raw = raw["text"]
    if not isinstance(raw, (list, tuple)) or not raw or len(raw) > len(LETTERS):
        raise NormalizeError("field 'choices' must be a non-empty list of options")
    return [str(choice) for choice in raw]


def _answer_index(answer: Any, count: int) -> int:
    if isinstance(answer, bool):
        raise NormalizeError("field 'answer' is a boolean, expected an option index or letter")
    if isinstance(answer, int):
        index = answer
    elif isinstance(answer, str) and answer.strip().upper() in LETTERS[:count] and len(answer.strip()) == 1:
        index = LETTERS.index(answer.strip().upper())
    elif isinstance(answer, str) and answer.strip().isdigit():
        index = int(answer.strip())
    else:
        raise NormalizeError(f"field 'answer' {answer!r} is not an option index or letter")
    if not 0 <= index < count:
        raise NormalizeError(f"answer index {index} is outside the {count} options")
    return index


def convert_multiple_choice(record: Mapping[str, Any], ctx: RecordContext) -> Sample:
    """``question`` + ``choices``/``options`` + ``answer`` (index or letter): the answer is the keyed option."""
    choices = _choices(record)
    index = _answer_index(record.get("answer"), len(choices))
    options = "\n".join(f"{LETTERS[i]}. {choice}" for i, choice in enumerate(choices))
    turns = [
        ("user", f"{text_of(record, 'question')}\n\n{options}"),
        ("assistant", f"{LETTERS[index]}. {choices[index]}"),
    ]
    return build_sample(chat_messages(turns), record, ctx)
