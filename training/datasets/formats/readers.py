"""Read rows from local data files: JSON (an array, or JSON Lines saved as .json), JSONL,
Parquet and CSV/TSV. A broken row is yielded as a :class:`BadRow` so the import goes on."""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.datasets.formats.common import NormalizeError

JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
JSON_SUFFIXES = frozenset({".json"})
PARQUET_SUFFIXES = frozenset({".parquet"})
CSV_SUFFIXES = frozenset({".csv", ".tsv"})
DATA_SUFFIXES = JSONL_SUFFIXES | JSON_SUFFIXES | PARQUET_SUFFIXES | CSV_SUFFIXES


@dataclass(frozen=True)
class BadRow:
    """A row that could not even be parsed; ``message`` says why."""

    message: str


@dataclass(frozen=True)
class Row:
    """One row of a data file: its 1-based number, its content and the bytes read so far."""

    number: int
    value: dict[str, Any] | BadRow
    bytes_done: int


def is_data_file(path: Path) -> bool:
    """Whether ``path`` has a suffix the readers handle."""
    return path.suffix.lower() in DATA_SUFFIXES


def iter_rows(path: Path) -> Iterator[Row]:
    """Yield the rows of one data file; NormalizeError when the file type is not supported."""
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        yield from _jsonl_rows(path)
    elif suffix in JSON_SUFFIXES:
        yield from _json_rows(path)
    elif suffix in PARQUET_SUFFIXES:
        yield from _parquet_rows(path)
    elif suffix in CSV_SUFFIXES:
        yield from _csv_rows(path, "\t" if suffix == ".tsv" else ",")
    else:
        raise NormalizeError(f"{path.name}: unsupported file type {suffix or '(none)'}; "
                             f"supported: {', '.join(sorted(DATA_SUFFIXES))}")


def _object_or_bad(value: Any) -> dict[str, Any] | BadRow:
    if isinstance(value, dict):
        return value
    return BadRow(f"row is a JSON {type(value).__name__}, expected an object")


def _jsonl_rows(path: Path) -> Iterator[Row]:
    done = 0
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            done += len(raw)
            if not raw.strip():
                continue
            try:
                value = _object_or_bad(json.loads(raw))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                value = BadRow(f"not JSON ({exc})")
            yield Row(number, value, done)


def _json_rows(path: Path) -> Iterator[Row]:
    size = path.stat().st_size
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            # Many "JSON" dataset files are really JSON Lines.
            yield from _jsonl_rows(path)
            return
        raise NormalizeError(f"{path.name} is not valid JSON: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise NormalizeError(f"{path.name} is not UTF-8 text: {exc}") from exc
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise NormalizeError(f"{path.name} holds a JSON {type(data).__name__}, expected a list of records")
    for number, value in enumerate(data, start=1):
        yield Row(number, _object_or_bad(value), size if number == len(data) else size * number // len(data))


def _parquet_rows(path: Path) -> Iterator[Row]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid/OSError variants for broken files
        raise NormalizeError(f"{path.name} is not a readable Parquet file: {exc}") from exc
    size = path.stat().st_size
    total = parquet.metadata.num_rows or 1
    number = 0
    for batch in parquet.iter_batches(batch_size=256):
        for value in batch.to_pylist():
            number += 1
            yield Row(number, _object_or_bad(value), size * number // total)


def _csv_cell(text: str) -> Any:
    """Cells holding JSON lists/objects (messages, image lists) are parsed; others stay text."""
    stripped = text.strip()
    if stripped[:1] in ("[", "{"):
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            return text
    return text


def _text_encoding(path: Path) -> str:
    """UTF-8 (with or without a BOM) when the whole file decodes as such, else Windows-1252, else Latin-1.

    Spreadsheets often save CSV as Windows-1252; Latin-1 decodes any byte.
    """
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def _csv_rows(path: Path, delimiter: str) -> Iterator[Row]:
    done = 0
    encoding = _text_encoding(path)
    byte_encoding = "utf-8" if encoding == "utf-8-sig" else encoding

    def lines(handle: Any) -> Iterator[str]:
        """The file's lines, counting their bytes for progress."""
        nonlocal done
        for line in handle:
            done += len(line.encode(byte_encoding, errors="replace"))
            yield line

    with open(path, encoding=encoding, newline="") as handle:
        reader = csv.DictReader(lines(handle), delimiter=delimiter)
        for number, row in enumerate(reader, start=1):
            if None in row:
                yield Row(number, BadRow("row has more cells than the header"), done)
                continue
            value = {key: _csv_cell(cell) if cell is not None else None for key, cell in row.items()}
            yield Row(number, value, done)
