"""Column mappings: rename a source dataset's columns onto the keys a format reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from training.datasets.formats.common import NormalizeError

ColumnMap = Mapping[str, "str | list[str]"]


def lookup_path(record: Mapping[str, Any], path: str) -> Any:
    """The value at a column name, or a dotted path into nested objects (``json.metadata.title``)."""
    if path in record:
        return record[path]
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def apply_columns(record: Mapping[str, Any], columns: ColumnMap | None = None,
                  instruction: str | None = None) -> dict[str, Any]:
    """A copy of ``record`` with ``columns`` (format key → source column, dotted path, or a list of
    columns gathered into one list) filled in, and a fixed ``instruction`` for datasets that have
    only an answer column (e.g. a screenshot and its HTML)."""
    out = dict(record)
    for key, source in (columns or {}).items():
        if isinstance(source, str):
            value = lookup_path(record, source)
            if value is None:
                raise NormalizeError(f"mapped column {source!r} (for {key!r}) is missing; keys seen {sorted(record)}")
        elif isinstance(source, list):
            value = [item for item in (lookup_path(record, name) for name in source) if item is not None]
        else:
            raise NormalizeError(f"column mapping for {key!r} must be a column name or a list of names")
        out[key] = value
    if instruction is not None:
        out["instruction"] = instruction
    return out
