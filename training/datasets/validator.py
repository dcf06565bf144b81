"""Dataset validation: check every row, keep the good ones, report the rest by reason.

Checks, in order: the line is JSON (an object), it fits the schema, every
message has content, roles follow the chat order, the text is within length
bounds, media paths stay inside the dataset, files exist and decode, media type
tags come from the schema's lists, and ``<image>``/``<audio>``/``<video>``
placeholders match the media when a sample uses them. Rows that pass all of
that are then checked for exact duplicates (hash of the normalised messages and
media paths) and near duplicates (MinHash over word shingles, with LSH buckets
so the cost per row stays bounded). The validator never stops on a bad row.

The clean output is a dataset folder written with ``DatasetWriter``; media
files keep their relative paths and are hard-linked from the source (copied
when a link is impossible, e.g. across file systems), so a clean copy costs no
extra disk space. The report goes to ``validation_report.json`` beside it.
A cancelled run returns its partial report with ``cancelled`` set and leaves
no card and no report file, so the output never looks finished.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from engine.atomic import write_text_atomic
from training.datasets.progress import CancelCheck, Progress, ProgressCallback
from training.datasets.schema import (
    AUDIO_TYPES,
    IMAGE_TYPES,
    VIDEO_TYPES,
    Message,
    PreferencePair,
    Record,
    Sample,
    record_from_dict,
)
from training.datasets.store import CARD_NAME, DatasetError, DatasetWriter, read_card, shard_kind, shard_paths

REPORT_NAME = "validation_report.json"
PROGRESS_EVERY = 200

# Reasons a row is dropped, as they appear in the report.
BAD_JSON = "bad_json"
SCHEMA = "schema"
MEDIA_PATH_UNSAFE = "media_path_unsafe"
EMPTY_CONTENT = "empty_content"
ROLE_ORDER = "role_order"
TOO_SHORT = "too_short"
TOO_LONG = "too_long"
IDENTICAL_PAIR = "identical_pair"
MEDIA_TYPE = "media_type_unknown"
MEDIA_MISSING = "media_missing"
MEDIA_UNDECODABLE = "media_undecodable"
PLACEHOLDER_MISMATCH = "placeholder_mismatch"
DUPLICATE = "duplicate"
NEAR_DUPLICATE = "near_duplicate"

MEDIA_TYPES: dict[str, tuple[str, ...]] = {"image": IMAGE_TYPES, "audio": AUDIO_TYPES, "video": VIDEO_TYPES}
_PLACEHOLDER = re.compile(r"<(image|audio|video)>")
_WORD = re.compile(r"\w+")


@dataclass
class ValidationConfig:
    """What the validator accepts; lengths count the characters of all message contents."""

    min_chars: int = 2
    max_chars: int = 200_000
    max_tokens: int | None = 32_768
    chars_per_token: float = 4.0
    check_media: bool = True
    drop_duplicates: bool = True
    near_duplicate_threshold: float | None = 0.9
    shingle_words: int = 3
    minhash_permutations: int = 64
    minhash_bands: int = 16
    max_examples: int = 20


@dataclass
class ValidationReport:
    """Totals, counts per reason (rows, each counted once per reason) and example refs."""

    source: str
    output: str | None = None
    total: int = 0
    kept: int = 0
    rejected: int = 0
    counts_by_reason: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    kept_by_kind: dict[str, int] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    cancelled: bool = False

    def to_json(self) -> str:
        """The report as pretty JSON."""
        return json.dumps(asdict(self), indent=2, ensure_ascii=False, sort_keys=True) + "\n"

    def figures(self) -> dict[str, Any]:
        """The figures without the examples (what the clean dataset's card keeps in its recipe)."""
        return {"total": self.total, "kept": self.kept, "rejected": self.rejected,
                "counts_by_reason": dict(self.counts_by_reason)}

    def summary(self) -> str:
        """One line for a status bar or log."""
        state = "cancelled" if self.cancelled else "done"
        worst = ", ".join(f"{reason} {count}" for reason, count in
                          sorted(self.counts_by_reason.items(), key=lambda item: -item[1])[:3])
        return (f"validation {state}: {self.kept} of {self.total} rows kept, {self.rejected} dropped"
                + (f" ({worst})" if worst else ""))


@dataclass(frozen=True)
class Issue:
    """One problem of one row."""

    reason: str
    detail: str


# ----- media decoding -------------------------------------------------------
# The decoders import their libraries when first used: PyAV and OpenCV take a
# while to load, and text-only datasets never need them.


def _decode_image(path: Path) -> str | None:
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.verify()
        # verify() leaves the image unusable, so reopen to decode the pixels.
        with Image.open(path) as image:
            image.load()
            if image.width == 0 or image.height == 0:
                return "image has no pixels"
    except Exception as exc:  # Pillow raises many types for broken files
        return f"image does not decode: {exc}"
    return None


def _decode_with_av(path: Path, kind: str) -> str | None:
    import av

    try:
        with av.open(str(path)) as container:
            streams = container.streams.video if kind == "video" else container.streams.audio
            if not streams:
                return f"no {kind} stream"
            for _ in container.decode(streams[0]):
                return None
            return f"no decodable {kind} frame"
    except Exception as exc:  # PyAV raises FFmpeg errors of many types
        return f"{kind} does not decode: {exc}"


def _decode_audio(path: Path) -> str | None:
    import soundfile

    try:
        with soundfile.SoundFile(str(path)) as sound:
            if len(sound.read(frames=4096)) == 0:
                return "audio has no frames"
        return None
    except Exception:
        # libsndfile lacks some containers (m4a/aac, opus in mp4); FFmpeg reads those.
        return _decode_with_av(path, "audio")


def _decode_video(path: Path) -> str | None:
    problem = _decode_with_av(path, "video")
    if problem is None:
        return None
    import cv2

    capture = cv2.VideoCapture(str(path))
    try:
        ok, _ = capture.read()
    finally:
        capture.release()
    return None if ok else problem


_DECODERS: dict[str, Callable[[Path], str | None]] = {
    "image": _decode_image, "audio": _decode_audio, "video": _decode_video,
}


def decode_problem(kind: str, path: Path) -> str | None:
    """Why a media file of ``kind`` does not decode, or None when it does."""
    return _DECODERS[kind](path)


# ----- duplicates -----------------------------------------------------------


def _squash(text: str) -> str:
    return " ".join(text.split())


def _as_messages(value: str | list[Message]) -> list[Message]:
    return [Message(role="user", content=value)] if isinstance(value, str) else value


def _plain(value: str | list[Message]) -> str:
    return value if isinstance(value, str) else "\n".join(m.content for m in value)


def _media_key(record: Record) -> str:
    if isinstance(record, PreferencePair):
        return "pair"
    refs = record.modalities.all() if record.modalities else []
    return "sample|" + "|".join(f"{kind}:{ref.path}" for kind, ref in refs)


def exact_key(record: Record) -> bytes:
    """A digest of the normalised content (whitespace collapsed) and media paths."""
    if isinstance(record, PreferencePair):
        parts: list[Any] = [[[m.role, _squash(m.content)] for m in _as_messages(value)]
                            for value in (record.prompt, record.chosen, record.rejected)]
    else:
        parts = [[m.role, _squash(m.content)] for m in record.messages]
    payload = json.dumps([_media_key(record), parts], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).digest()[:16]


def near_text(record: Record) -> str:
    """The text compared for near duplicates (system prompts left out: they repeat by design)."""
    if isinstance(record, PreferencePair):
        values = [record.prompt, record.chosen, record.rejected]
        return "\n".join(m.content for value in values for m in _as_messages(value))
    return "\n".join(m.content for m in record.messages if m.role != "system")


class MinHashIndex:
    """Near-duplicate lookup: MinHash signatures over word shingles, LSH bands, estimated Jaccard.

    Each bucket remembers at most a few rows, so templated data with thousands of
    similar rows costs a bounded number of comparisons per row.
    """

    _PRIME = (1 << 31) - 1
    _BUCKET_CAP = 4

    def __init__(self, threshold: float, permutations: int = 64, bands: int = 16,
                 shingle_words: int = 3) -> None:
        if permutations % bands:
            raise ValueError("minhash_permutations must be a multiple of minhash_bands")
        self.threshold = threshold
        self.shingle_words = shingle_words
        self.bands = bands
        self.rows = permutations // bands
        # Fixed coefficients: the same text always gets the same signature, run after run.
        coefficients = np.random.default_rng(20_240_601).integers(1, self._PRIME, size=(2, permutations))
        self._a = coefficients[0].astype(np.uint64)[:, None]
        self._b = coefficients[1].astype(np.uint64)[:, None]
        self._signatures: list[np.ndarray] = []
        self._labels: list[str] = []
        self._buckets: list[dict[bytes, list[int]]] = [{} for _ in range(bands)]

    def signature(self, text: str) -> np.ndarray:
        """The MinHash signature of ``text`` (lower-cased words, punctuation ignored)."""
        words = _WORD.findall(text.lower())
        k = self.shingle_words
        shingles = {" ".join(words[i:i + k]) for i in range(max(1, len(words) - k + 1))}
        hashes = np.fromiter((zlib.crc32(s.encode("utf-8")) for s in shingles), dtype=np.uint64,
                             count=len(shingles)) % np.uint64(self._PRIME)
        return ((self._a * hashes[None, :] + self._b) % np.uint64(self._PRIME)).min(axis=1).astype(np.uint32)

    def _band_keys(self, signature: np.ndarray, scope: str) -> Iterator[tuple[int, bytes]]:
        for band in range(self.bands):
            chunk = signature[band * self.rows:(band + 1) * self.rows].tobytes()
            yield band, hashlib.blake2b(scope.encode("utf-8") + chunk, digest_size=8).digest()

    def match(self, signature: np.ndarray, scope: str) -> tuple[str, float] | None:
        """The label and estimated similarity of the closest indexed row within ``scope`` at or above
        the threshold, or None."""
        best: tuple[str, float] | None = None
        seen: set[int] = set()
        for band, key in self._band_keys(signature, scope):
            for index in self._buckets[band].get(key, ()):
                if index in seen:
                    continue
                seen.add(index)
                similarity = float(np.mean(self._signatures[index] == signature))
                if similarity >= self.threshold and (best is None or similarity > best[1]):
                    best = (self._labels[index], similarity)
        return best

    def add(self, signature: np.ndarray, scope: str, label: str) -> None:
        """Index a row's signature so later rows can match it."""
        index = len(self._signatures)
        self._signatures.append(signature)
        self._labels.append(label)
        for band, key in self._band_keys(signature, scope):
            bucket = self._buckets[band].setdefault(key, [])
            if len(bucket) < self._BUCKET_CAP:
                bucket.append(index)


# ----- row checks -----------------------------------------------------------


def _schema_issues(exc: ValidationError) -> list[Issue]:
    unsafe, other = [], []
    for error in exc.errors():
        loc = ".".join(str(part) for part in error["loc"])
        text = f"{loc}: {error['msg']}"
        # The schema's path check raises a value error; a missing path is a plain schema error.
        on_path = error["loc"][:1] == ("modalities",) and error["loc"][-1:] == ("path",)
        if on_path and error["type"] == "value_error":
            unsafe.append(text)
        else:
            other.append(text)
    issues = []
    if unsafe:
        issues.append(Issue(MEDIA_PATH_UNSAFE, "; ".join(unsafe[:3])))
    if other:
        more = f" (+{len(other) - 3} more)" if len(other) > 3 else ""
        issues.append(Issue(SCHEMA, "; ".join(other[:3]) + more))
    return issues


def _role_problem(roles: list[str], *, system_allowed: bool, first: str, last: str) -> str | None:
    if not roles:
        return "no messages"
    rest = roles[1:] if system_allowed and roles[0] == "system" else roles
    if "system" in rest:
        return "a system message may only come first"
    if not rest:
        return "no user or assistant message"
    if rest[0] != first:
        return f"starts with {rest[0]}, expected {first}"
    for previous, current in zip(rest, rest[1:]):
        if previous == current:
            return f"two {current} messages in a row"
    if rest[-1] != last:
        return f"ends with {rest[-1]}, expected {last}"
    return None


def _content_issues(record: Record) -> list[Issue]:
    issues: list[Issue] = []
    if isinstance(record, Sample):
        groups = [("messages", record.messages)]
        problem = _role_problem([m.role for m in record.messages], system_allowed=True, first="user",
                                last="assistant")
        if problem:
            issues.append(Issue(ROLE_ORDER, problem))
    else:
        groups = [(name, _as_messages(getattr(record, name))) for name in ("prompt", "chosen", "rejected")]
        problems = []
        if isinstance(record.prompt, list):
            found = _role_problem([m.role for m in record.prompt], system_allowed=True, first="user",
                                  last="user")
            problems += [f"prompt {found}"] if found else []
        for name in ("chosen", "rejected"):
            value = getattr(record, name)
            if isinstance(value, list):
                found = _role_problem([m.role for m in value], system_allowed=False, first="assistant",
                                      last="assistant")
                problems += [f"{name} {found}"] if found else []
        if problems:
            issues.append(Issue(ROLE_ORDER, "; ".join(problems)))
        if _squash(_plain(record.chosen)) == _squash(_plain(record.rejected)):
            issues.append(Issue(IDENTICAL_PAIR, "chosen and rejected are the same"))
    empty = [f"{name}[{i}] ({m.role})" for name, messages in groups for i, m in enumerate(messages)
             if not m.content.strip()]
    if empty:
        issues.append(Issue(EMPTY_CONTENT, "empty: " + ", ".join(empty[:5])))
    return issues


def _length_issues(record: Record, config: ValidationConfig) -> list[Issue]:
    if isinstance(record, Sample):
        chars = sum(len(m.content) for m in record.messages)
    else:
        chars = sum(len(_plain(v)) for v in (record.prompt, record.chosen, record.rejected))
    if chars < config.min_chars:
        return [Issue(TOO_SHORT, f"{chars} characters, minimum {config.min_chars}")]
    if chars > config.max_chars:
        return [Issue(TOO_LONG, f"{chars} characters, maximum {config.max_chars}")]
    tokens = chars / config.chars_per_token
    if config.max_tokens is not None and tokens > config.max_tokens:
        return [Issue(TOO_LONG, f"about {int(tokens)} tokens, maximum {config.max_tokens}")]
    return []


def _placeholder_issues(sample: Sample) -> list[Issue]:
    counts = Counter(_PLACEHOLDER.findall("\n".join(m.content for m in sample.messages)))
    if not counts:
        return []
    media = {kind: len(getattr(sample.modalities, kind)) if sample.modalities else 0 for kind in MEDIA_TYPES}
    wrong = [f"{counts[kind]} <{kind}> for {media[kind]} {kind} file(s)" for kind in MEDIA_TYPES
             if counts[kind] != media[kind]]
    return [Issue(PLACEHOLDER_MISMATCH, "; ".join(wrong))] if wrong else []


class RowChecker:
    """Checks single rows against one media root; remembers duplicates and decoded media across rows."""

    def __init__(self, media_root: Path, config: ValidationConfig | None = None) -> None:
        self.root = Path(media_root).resolve()
        self.config = config or ValidationConfig()
        self._decoded: dict[Path, str | None] = {}
        self._exact: dict[bytes, str] = {}
        threshold = self.config.near_duplicate_threshold
        self._near = None if threshold is None else MinHashIndex(
            threshold, self.config.minhash_permutations, self.config.minhash_bands, self.config.shingle_words)

    def check(self, item: dict | str, label: str) -> tuple[Record | None, list[Issue]]:
        """Parse and check one row (a dict or a JSON line); the record is returned only when it is good."""
        if isinstance(item, str):
            try:
                item = json.loads(item)
            except json.JSONDecodeError as exc:
                return None, [Issue(BAD_JSON, f"not JSON: {exc.msg} at column {exc.colno}")]
        if not isinstance(item, dict):
            return None, [Issue(BAD_JSON, f"a JSON {type(item).__name__}, not an object")]
        try:
            record = record_from_dict(item)
        except ValidationError as exc:
            return None, _schema_issues(exc)
        issues = _content_issues(record) + _length_issues(record, self.config)
        if isinstance(record, Sample):
            issues += self._media_issues(record) + _placeholder_issues(record)
        if issues:
            return None, issues
        if self.config.drop_duplicates:
            issues = self._duplicate_issues(record, label)
        return (None if issues else record), issues

    def _media_issues(self, sample: Sample) -> list[Issue]:
        issues: list[Issue] = []
        for kind, ref in sample.modalities.all() if sample.modalities else []:
            if ref.type not in MEDIA_TYPES[kind]:
                allowed = ", ".join(MEDIA_TYPES[kind])
                issues.append(Issue(MEDIA_TYPE, f"{kind} type {ref.type!r} is not one of {allowed}"))
            path = (self.root / ref.path).resolve()
            if not path.is_relative_to(self.root):
                issues.append(Issue(MEDIA_PATH_UNSAFE, f"{ref.path} resolves outside the dataset"))
            elif not path.is_file():
                issues.append(Issue(MEDIA_MISSING, f"{ref.path} does not exist"))
            elif self.config.check_media:
                if path not in self._decoded:
                    self._decoded[path] = decode_problem(kind, path)
                if self._decoded[path]:
                    issues.append(Issue(MEDIA_UNDECODABLE, f"{ref.path}: {self._decoded[path]}"))
        return issues

    def _duplicate_issues(self, record: Record, label: str) -> list[Issue]:
        label = f"{record.id} ({label})"
        key = exact_key(record)
        if key in self._exact:
            return [Issue(DUPLICATE, f"same as {self._exact[key]}")]
        if self._near is not None:
            # Only rows with the same media compare: one question asked about two images is two samples.
            scope, signature = _media_key(record), self._near.signature(near_text(record))
            found = self._near.match(signature, scope)
            if found:
                return [Issue(NEAR_DUPLICATE, f"{found[1]:.0%} similar to {found[0]}")]
            self._near.add(signature, scope, label)
        self._exact[key] = label
        return []


# ----- driving a whole dataset ----------------------------------------------


def _link_or_copy(source: Path, target: Path) -> None:
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


@dataclass(frozen=True)
class _Unreadable:
    """A line that is not even text; ``text`` is its best-effort decoding, kept to find the row's id."""

    issue: Issue
    text: str


# A row to check: its label, the row itself (or why it could not be read) and the bytes read so far.
_Row = tuple[str, dict | str | _Unreadable, int | None]


def _folder_rows(root: Path) -> Iterator[_Row]:
    done = 0
    for path in shard_paths(root):
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                done += len(raw)
                label = f"{path.name}:{number}"
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    issue = Issue(BAD_JSON, f"not UTF-8 at byte {exc.start}")
                    yield label, _Unreadable(issue, raw.decode("utf-8", "replace")), done
                    continue
                if text.strip():
                    yield label, text, done


def _run(rows: Iterable[_Row], media_root: Path, dst: Path | None, config: ValidationConfig,
         report: ValidationReport, *, name: str | None, recipe: dict[str, Any], overwrite: bool,
         bytes_total: int | None, progress: ProgressCallback | None,
         cancel: CancelCheck | None) -> ValidationReport:
    checker = RowChecker(media_root, config)
    counts: Counter[str] = Counter()
    kept_by_kind: Counter[str] = Counter()
    writer = DatasetWriter(dst, name, recipe=recipe, overwrite=overwrite) if dst is not None else None
    bytes_done: int | None = 0 if bytes_total is not None else None

    def report_progress() -> None:
        if progress is not None:
            progress(Progress(label="validate", rows=report.total, written=report.kept, bytes_done=bytes_done,
                              bytes_total=bytes_total))

    try:
        for label, item, bytes_done in rows:
            if cancel is not None and cancel():
                report.cancelled = True
                break
            report.total += 1
            if isinstance(item, _Unreadable):
                record, issues = None, [item.issue]
            else:
                record, issues = checker.check(item, label)
            if record is None:
                report.rejected += 1
                row_id = _id_of(item)
                for reason, group in _by_reason(issues).items():
                    counts[reason] += 1
                    examples = report.examples.setdefault(reason, [])
                    if len(examples) < config.max_examples:
                        examples.append({"ref": label, "id": row_id, "detail": group})
            else:
                report.kept += 1
                kept_by_kind[shard_kind(record)] += 1
                if writer is not None:
                    _copy_media(record, checker.root, writer.root)
                    writer.write(record)
            if report.total % PROGRESS_EVERY == 0:
                report_progress()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    report.counts_by_reason = dict(sorted(counts.items()))
    report.kept_by_kind = dict(sorted(kept_by_kind.items()))
    if writer is not None and report.cancelled:
        writer.abort()
    elif writer is not None:
        writer.card.recipe["validation"] = report.figures()
        writer.close()
    report_progress()
    if dst is not None and not report.cancelled:
        write_text_atomic(Path(dst) / REPORT_NAME, report.to_json())
    return report


def _by_reason(issues: list[Issue]) -> dict[str, str]:
    grouped: dict[str, list[str]] = {}
    for issue in issues:
        grouped.setdefault(issue.reason, []).append(issue.detail)
    return {reason: "; ".join(details) for reason, details in grouped.items()}


def _id_of(item: dict | str | _Unreadable) -> str:
    if isinstance(item, dict):
        return str(item.get("id", ""))
    if isinstance(item, _Unreadable):
        item = item.text
    if isinstance(item, str):
        # A broken line often still shows its id; it helps find the row.
        match = re.search(r'"id"\s*:\s*"([^"]*)"', item)
        return match.group(1) if match else ""
    return ""


def _copy_media(record: Record, source_root: Path, target_root: Path) -> None:
    if isinstance(record, Sample) and record.modalities:
        for _, ref in record.modalities.all():
            _link_or_copy(source_root / ref.path, target_root / ref.path)


def validate_folder(src: Path, dst: Path | None = None, config: ValidationConfig | None = None, *,
                    name: str | None = None, overwrite: bool = False,
                    progress: ProgressCallback | None = None,
                    cancel: CancelCheck | None = None) -> ValidationReport:
    """Validate every shard line of the dataset folder ``src``.

    With ``dst``, the good rows are written there as a new dataset (media
    hard-linked or copied, same relative paths) together with
    ``validation_report.json``. ``progress`` gets a ``Progress`` every few
    hundred rows (bytes read of the shards' total); when ``cancel()`` turns true
    the run stops and returns its partial report with ``cancelled`` set.
    Raises ``DatasetError`` when ``src`` holds no shards or ``dst`` is unusable.
    """
    src = Path(src)
    if not shard_paths(src):
        raise DatasetError(f"{src} holds no dataset shards (text-*.jsonl, multimodal-*.jsonl, pairs-*.jsonl)")
    if dst is not None and Path(dst).resolve() == src.resolve():
        raise DatasetError("The clean dataset must go to another folder than the one being validated.")
    config = config or ValidationConfig()
    source_card = read_card(src) if (src / CARD_NAME).is_file() else None
    recipe = {"validated_from": str(src), "validator": asdict(config),
              "source_recipe": source_card.recipe if source_card else {}}
    name = name or (f"{source_card.name}-clean" if source_card else None)
    report = ValidationReport(source=str(src), output=str(dst) if dst is not None else None,
                              config=asdict(config))
    bytes_total = sum(path.stat().st_size for path in shard_paths(src))
    return _run(_folder_rows(src), src, Path(dst) if dst is not None else None, config, report, name=name,
                recipe=recipe, overwrite=overwrite, bytes_total=bytes_total, progress=progress, cancel=cancel)


def validate_records(rows: Iterable[dict | str], media_root: Path, dst: Path | None = None,
                     config: ValidationConfig | None = None, *, name: str | None = None,
                     overwrite: bool = False,
                     progress: ProgressCallback | None = None,
                     cancel: CancelCheck | None = None) -> ValidationReport:
    """Validate raw rows (dicts or JSON lines) whose media paths are relative to ``media_root``.

    Rows are referred to as ``row <n>`` (from 1) in the report; otherwise as ``validate_folder``.
    """
    config = config or ValidationConfig()
    labelled = ((f"row {number}", item, None) for number, item in enumerate(rows, start=1))
    report = ValidationReport(source=str(media_root), output=str(dst) if dst is not None else None,
                              config=asdict(config))
    recipe = {"validated_from": str(media_root), "validator": asdict(config)}
    return _run(labelled, Path(media_root), Path(dst) if dst is not None else None, config, report, name=name,
                recipe=recipe, overwrite=overwrite, bytes_total=None, progress=progress, cancel=cancel)
