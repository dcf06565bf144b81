"""LLaMA-Factory datasets: read a folder's ``dataset_info.json`` and map its rows
(alpaca or sharegpt/openai formatting, SFT or ranking, with column and tag
renames) onto the canonical keys the converters read."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.datasets.formats.common import MEDIA_COLUMNS, NEXUS_COLUMNS, NormalizeError
from training.datasets.formats.readers import is_data_file
from training.datasets.formats.single_turn import alpaca_prompt

DATASET_INFO = "dataset_info.json"
HUB_KEYS = ("hf_hub_url", "ms_hub_url", "om_hub_url", "script_url", "cloud_file_name")

_ALPACA_COLUMNS = {"prompt": "instruction", "query": "input", "response": "output"}
_SHAREGPT_TAGS = {
    "role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt",
    "observation_tag": "observation", "function_tag": "function_call", "system_tag": "system",
}
_OPENAI_TAGS = {
    "role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant",
    "observation_tag": "tool", "function_tag": "function", "system_tag": "system",
}
# The canonical role each LLaMA-Factory tag stands for.
_TAG_ROLES = {"user_tag": "user", "assistant_tag": "assistant", "system_tag": "system",
              "observation_tag": "observation", "function_tag": "function_call"}


@dataclass(frozen=True)
class LlamaFactoryEntry:
    """One dataset described in ``dataset_info.json``."""

    name: str
    file_name: str | None
    formatting: str
    ranking: bool
    columns: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    hub_reference: str | None = None

    def column(self, key: str) -> str | None:
        """The source column for a LLaMA-Factory column key (with the format's defaults)."""
        if key in self.columns:
            return self.columns[key]
        if self.formatting == "alpaca" and key in _ALPACA_COLUMNS:
            return _ALPACA_COLUMNS[key]
        if key == "messages" and self.formatting != "alpaca":
            return "messages" if self.formatting == "openai" else "conversations"
        return key if self.ranking and key in ("chosen", "rejected") else None

    def tag(self, key: str) -> str:
        """A sharegpt tag value (with the format's defaults)."""
        defaults = _OPENAI_TAGS if self.formatting == "openai" else _SHAREGPT_TAGS
        return self.tags.get(key, defaults[key])


def parse_entry(name: str, data: Mapping[str, Any]) -> LlamaFactoryEntry:
    """Parse one ``dataset_info.json`` entry."""
    if not isinstance(data, Mapping):
        raise NormalizeError(f"dataset_info entry {name!r} is not an object")
    formatting = str(data.get("formatting", "alpaca"))
    if formatting not in ("alpaca", "sharegpt", "openai"):
        raise NormalizeError(
            f"dataset_info entry {name!r}: formatting {formatting!r} is not alpaca, sharegpt or openai")
    hub = next((f"{key}={data[key]}" for key in HUB_KEYS if data.get(key)), None)
    columns = data.get("columns") or {}
    tags = data.get("tags") or {}
    if not isinstance(columns, Mapping) or not isinstance(tags, Mapping):
        raise NormalizeError(f"dataset_info entry {name!r}: columns and tags must be objects")
    return LlamaFactoryEntry(
        name=name,
        file_name=data.get("file_name") if isinstance(data.get("file_name"), str) else None,
        formatting=formatting,
        ranking=bool(data.get("ranking", False)),
        columns={str(k): str(v) for k, v in columns.items() if v},
        tags={str(k): str(v) for k, v in tags.items() if v},
        hub_reference=hub,
    )


def read_dataset_info(folder: Path) -> list[LlamaFactoryEntry]:
    """The entries of ``<folder>/dataset_info.json`` in file order."""
    path = Path(folder) / DATASET_INFO
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NormalizeError(f"{folder} has no {DATASET_INFO}") from None
    except json.JSONDecodeError as exc:
        raise NormalizeError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, Mapping):
        raise NormalizeError(f"{path} must hold an object of dataset entries")
    return [parse_entry(str(name), entry) for name, entry in data.items()]


def entry_files(folder: Path, entry: LlamaFactoryEntry) -> list[Path]:
    """The local data files of an entry (``file_name`` may name a file or a folder of files)."""
    if entry.hub_reference or not entry.file_name:
        raise NormalizeError(f"dataset_info entry {entry.name!r} is not a local file "
                             f"({entry.hub_reference or 'no file_name'}); load it with a hub recipe")
    path = Path(folder) / entry.file_name
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and is_data_file(p))
        if not files:
            raise NormalizeError(f"dataset_info entry {entry.name!r}: folder {entry.file_name} has no data files")
        return files
    if not path.is_file():
        raise NormalizeError(f"dataset_info entry {entry.name!r}: file {entry.file_name} not found in {folder}")
    return [path]


def _get(row: Mapping[str, Any], column: str | None) -> Any:
    if column is None:
        return None
    return row.get(column)


def _map_message(message: Any, entry: LlamaFactoryEntry, roles: Mapping[str, str], where: str) -> dict[str, Any]:
    if not isinstance(message, Mapping):
        raise NormalizeError(f"{where} is a {type(message).__name__}, expected a message object")
    raw_role = message.get(entry.tag("role_tag"))
    return {"role": roles.get(raw_role, raw_role), "content": message.get(entry.tag("content_tag"))}


def _passthrough(row: Mapping[str, Any], entry: LlamaFactoryEntry) -> dict[str, Any]:
    out = {key: row[key] for key in NEXUS_COLUMNS if key in row}
    for media_key in MEDIA_COLUMNS.values():
        value = _get(row, entry.columns.get(media_key))
        if value is not None:
            out[media_key] = value
    return out


def remap_row(row: Mapping[str, Any], entry: LlamaFactoryEntry) -> tuple[str, dict[str, Any]]:
    """(format name, canonical record) for one row of a LLaMA-Factory dataset."""
    out = _passthrough(row, entry)
    system = _get(row, entry.column("system"))
    if entry.formatting == "alpaca":
        instruction = _get(row, entry.column("prompt")) or ""
        query = _get(row, entry.column("query")) or ""
        if entry.ranking:
            if not isinstance(instruction, str) or not isinstance(query, str):
                raise NormalizeError("instruction and input must be text")
            out.update(prompt=alpaca_prompt(instruction, query), chosen=_get(row, entry.column("chosen")),
                       rejected=_get(row, entry.column("rejected")))
            return "preference", out
        out.update(instruction=instruction, input=query, output=_get(row, entry.column("response")),
                   system=system, history=_get(row, entry.column("history")))
        return "alpaca", out
    column = entry.column("messages")
    messages = _get(row, column)
    if not isinstance(messages, list):
        raise NormalizeError(f"column {column!r} must be a list of messages")
    roles = {entry.tag(tag): role for tag, role in _TAG_ROLES.items()}
    mapped = [_map_message(m, entry, roles, f"{column}[{i}]") for i, m in enumerate(messages)]
    if entry.ranking:
        out.update(prompt=mapped,
                   chosen=_map_message(_get(row, entry.column("chosen")), entry, roles, "chosen"),
                   rejected=_map_message(_get(row, entry.column("rejected")), entry, roles, "rejected"))
        return "preference", out
    out.update(messages=mapped, system=system)
    return "openai", out
