"""Preference formats → PreferencePair: TRL ``prompt``/``chosen``/``rejected`` (plain or
conversational), Anthropic HH transcripts, Nectar rankings, UltraFeedback ratings and
PKU-SafeRLHF safety labels. The better/worse choice always comes from the dataset's own
labels; nothing is invented."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from training.datasets.formats.chat import openai_turns
from training.datasets.formats.common import (
    NEXUS_PAIR_STYLE,
    NormalizeError,
    RecordContext,
    build_pair,
    chat_messages,
    text_of,
)
from training.datasets.schema import Message, PreferencePair

_HH_SPLIT = re.compile(r"(?:^|\n\n)(Human|Assistant):[ ]?")


def parse_hh_transcript(text: str, field: str) -> list[Message]:
    """Messages from an Anthropic ``\\n\\nHuman: ...\\n\\nAssistant: ...`` transcript (a trailing empty
    ``Assistant:`` cue is dropped)."""
    parts = _HH_SPLIT.split(text)
    if len(parts) < 3 or parts[0].strip():
        raise NormalizeError(f"field {field!r} is not a Human:/Assistant: transcript")
    turns = []
    for speaker, body in zip(parts[1::2], parts[2::2]):
        turns.append(("user" if speaker == "Human" else "assistant", body.strip()))
    if turns and turns[-1][0] == "assistant" and not turns[-1][1]:
        turns.pop()
    return chat_messages(turns)


def _as_messages(value: Any, field: str, default_role: str) -> list[Message]:
    if isinstance(value, str):
        return chat_messages([(default_role, value)])
    if isinstance(value, Mapping):
        value = [value]
    return chat_messages(openai_turns(value, field))


def _common_prefix(first: list[Message], second: list[Message]) -> int:
    count = 0
    for a, b in zip(first, second):
        if a != b:
            break
        count += 1
    return count


def _split_prompt(prompt: list[Message], chosen: list[Message],
                  rejected: list[Message]) -> tuple[list[Message], list[Message], list[Message]]:
    """Strip the prompt turns that chosen/rejected repeat, and move any turns they share into the prompt."""
    for side in (chosen, rejected):
        if prompt and side[:len(prompt)] == prompt:
            del side[:len(prompt)]
    shared = _common_prefix(chosen, rejected)
    if shared == len(chosen) or shared == len(rejected):
        shared = max(0, shared - 1)
    prompt = prompt + chosen[:shared]
    return prompt, chosen[shared:], rejected[shared:]


def _finish(prompt: list[Message], chosen: list[Message], rejected: list[Message],
            record: Mapping[str, Any], ctx: RecordContext, plain: bool) -> PreferencePair:
    if not prompt or prompt[-1].role != "user":
        raise NormalizeError("the prompt must end with a user turn")
    for name, side in (("chosen", chosen), ("rejected", rejected)):
        if not side or side[0].role != "assistant":
            raise NormalizeError(f"{name} must be an assistant answer after the prompt")
    single = len(prompt) == 1 and len(chosen) == 1 and len(rejected) == 1
    if plain and single:
        return build_pair(prompt[0].content, chosen[0].content, rejected[0].content, record, ctx)
    return build_pair(prompt, chosen, rejected, record, ctx)


def convert_preference(record: Mapping[str, Any], ctx: RecordContext) -> PreferencePair:
    """TRL/LLaMA-Factory preference rows: strings, or message lists where chosen/rejected may repeat
    the prompt turns (the shared prefix is stripped)."""
    raw_chosen, raw_rejected = record.get("chosen"), record.get("rejected")
    # LLaMA-Factory ranking rows keep the prompt turns in conversations/messages.
    raw_prompt = next((record[key] for key in ("prompt", "conversations", "messages") if key in record), None)
    if isinstance(raw_prompt, str) and isinstance(raw_chosen, str) and isinstance(raw_rejected, str):
        return _finish(chat_messages([("user", raw_prompt)]), chat_messages([("assistant", raw_chosen)]),
                       chat_messages([("assistant", raw_rejected)]), record, ctx, True)
    if raw_chosen is None or raw_rejected is None:
        raise NormalizeError("both 'chosen' and 'rejected' are required")
    prompt = [] if raw_prompt in (None, "", []) else _as_messages(raw_prompt, "prompt", "user")
    chosen = _as_messages(raw_chosen, "chosen", "assistant")
    rejected = _as_messages(raw_rejected, "rejected", "assistant")
    prompt, chosen, rejected = _split_prompt(prompt, chosen, rejected)
    return _finish(prompt, chosen, rejected, record, ctx, record.get(NEXUS_PAIR_STYLE) == "plain")


def convert_hh_rlhf(record: Mapping[str, Any], ctx: RecordContext) -> PreferencePair:
    """Anthropic/hh-rlhf: ``chosen``/``rejected`` are whole transcripts sharing the dialogue so far."""
    chosen = parse_hh_transcript(text_of(record, "chosen"), "chosen")
    rejected = parse_hh_transcript(text_of(record, "rejected"), "rejected")
    prompt, chosen, rejected = _split_prompt([], chosen, rejected)
    return _finish(prompt, chosen, rejected, record, ctx, True)


def convert_nectar(record: Mapping[str, Any], ctx: RecordContext) -> PreferencePair:
    """berkeley-nest/Nectar: a transcript prompt and ranked ``answers``; best rank vs worst rank."""
    prompt = parse_hh_transcript(text_of(record, "prompt"), "prompt")
    answers = record.get("answers")
    if not isinstance(answers, list):
        raise NormalizeError("field 'answers' must be a list of ranked answers")
    ranked = [a for a in answers if isinstance(a, Mapping) and isinstance(a.get("answer"), str)
              and isinstance(a.get("rank"), (int, float))]
    if len(ranked) < 2:
        raise NormalizeError("fewer than two ranked answers")
    ranked.sort(key=lambda answer: answer["rank"])
    if ranked[0]["rank"] == ranked[-1]["rank"]:
        raise NormalizeError("all answers share one rank")
    chosen = chat_messages([("assistant", ranked[0]["answer"])])
    rejected = chat_messages([("assistant", ranked[-1]["answer"])])
    return _finish(prompt, chosen, rejected, record, ctx, True)


def convert_ultrafeedback(record: Mapping[str, Any], ctx: RecordContext) -> PreferencePair:
    """openbmb/UltraFeedback: ``instruction`` and rated ``completions``; highest vs lowest overall score."""
    completions = record.get("completions")
    if not isinstance(completions, list):
        raise NormalizeError("field 'completions' must be a list")
    scored = [c for c in completions if isinstance(c, Mapping) and isinstance(c.get("response"), str)
              and isinstance(c.get("overall_score"), (int, float))]
    if len(scored) < 2:
        raise NormalizeError("fewer than two scored completions")
    scored.sort(key=lambda completion: completion["overall_score"], reverse=True)
    if scored[0]["overall_score"] == scored[-1]["overall_score"]:
        raise NormalizeError("all completions share one score")
    return _finish(chat_messages([("user", text_of(record, "instruction"))]),
                   chat_messages([("assistant", scored[0]["response"])]),
                   chat_messages([("assistant", scored[-1]["response"])]), record, ctx, True)


def convert_pku_saferlhf(record: Mapping[str, Any], ctx: RecordContext) -> PreferencePair:
    """PKU-SafeRLHF: two responses; the safer one wins in censored mode, the better one otherwise."""
    key = "safer_response_id" if ctx.training_mode == "censored" else "better_response_id"
    winner = record.get(key)
    if winner not in (0, 1):
        raise NormalizeError(f"field {key!r} must be 0 or 1")
    if ctx.training_mode == "censored" and record.get(f"is_response_{winner}_safe") is False:
        raise NormalizeError("both responses are unsafe; no safe answer to prefer")
    return _finish(chat_messages([("user", text_of(record, "prompt"))]),
                   chat_messages([("assistant", text_of(record, f"response_{winner}"))]),
                   chat_messages([("assistant", text_of(record, f"response_{1 - winner}"))]), record, ctx, True)
