"""Model manager: the models Nexus knows, and how they get onto the disk.

Every model lives in ``<models_dir>/<org>--<name>/``. ``download`` lists the
repository on the Hugging Face hub (or any server that speaks its API), streams
each wanted file into a ``.part`` sibling that a later run resumes with an HTTP
``Range`` request, checks its size and hash, then renames it into place. A
manifest of the verified files (``.nexus-manifest.json``) lets ``resolve`` and
``verify`` work with no network at all.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from urllib.parse import urlparse

import filelock
import httpx2
from huggingface_hub import HfApi, hf_hub_url
from huggingface_hub import constants as hf_constants
from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled
from huggingface_hub.utils import build_hf_headers, get_session

from engine import __version__
from engine.atomic import write_text_atomic
from engine.errors import (
    DownloadCancelled,
    DownloadError,
    ModelNotFound,
    NexusError,
    OfflineError,
    VerificationError,
)

log = logging.getLogger(__name__)

ModelKind = Literal["thinker", "whisper", "piper"]
FileStatus = Literal["ok", "missing", "size_mismatch", "hash_mismatch"]

CHUNK_SIZE = 1 << 20
MANIFEST_NAME = ".nexus-manifest.json"
PART_SUFFIX = ".part"
MANIFEST_FORMAT = 1
# Files whose presence marks a folder as holding a usable checkpoint or voice.
MODEL_MARKERS = ("config.json", "model.bin", "*.safetensors", "*.onnx", "*.gguf")
_HTTP_TIMEOUT = httpx2.Timeout(60.0, connect=15.0)
_SPEED_WINDOW_S = 3.0
_HASH_BLOCK = 4 << 20


@dataclass(frozen=True)
class ModelSpec:
    """One downloadable model: which repository, which of its files, and what it is for."""

    key: str
    repo_id: str
    kind: ModelKind
    title: str
    description: str
    approx_bytes: int
    allow_patterns: tuple[str, ...]
    revision: str = "main"

    @property
    def folder_name(self) -> str:
        """The folder under the models dir that holds this repository."""
        return self.repo_id.replace("/", "--")

    @property
    def subfolder(self) -> str:
        """The repository folder that holds every allowed file ("" for the root)."""
        prefixes: list[list[str]] = []
        for pattern in self.allow_patterns:
            fixed: list[str] = []
            for part in PurePosixPath(pattern).parts[:-1]:
                if any(c in part for c in "*?["):
                    break
                fixed.append(part)
            prefixes.append(fixed)
        common = os.path.commonprefix(prefixes) if prefixes else []
        return "/".join(common)

    def wants(self, filename: str) -> bool:
        """Whether the repository file ``filename`` belongs to this model."""
        return any(fnmatch.fnmatchcase(filename, pattern) for pattern in self.allow_patterns)


_THINKER_PATTERNS = ("*.json", "*.safetensors", "*.txt", "*.model", "*.pt", "*.jinja", "*.tiktoken")
_WHISPER_PATTERNS = ("config.json", "model.bin", "tokenizer.json", "vocabulary.*")


def _whisper(size: str, approx_bytes: int, description: str) -> ModelSpec:
    return ModelSpec(
        key=f"whisper-{size}",
        repo_id=f"Systran/faster-whisper-{size}",
        kind="whisper",
        title=f"Whisper {size}",
        description=description,
        approx_bytes=approx_bytes,
        allow_patterns=_WHISPER_PATTERNS,
    )


def _piper(lang: str, name: str, quality: str, description: str) -> ModelSpec:
    voice = f"{lang}-{name}-{quality}"
    return ModelSpec(
        key=f"piper-{voice}",
        repo_id="rhasspy/piper-voices",
        kind="piper",
        title=f"Piper voice {voice}",
        description=description,
        approx_bytes=63_500_000,
        allow_patterns=(f"{lang.split('_')[0]}/{lang}/{name}/{quality}/*",),
    )


REGISTRY: tuple[ModelSpec, ...] = (
    ModelSpec(
        key="qwen2.5-omni-7b-gptq-int4",
        repo_id="Qwen/Qwen2.5-Omni-7B-GPTQ-Int4",
        kind="thinker",
        title="Qwen2.5-Omni 7B (4-bit GPTQ)",
        description="Recommended: the 7B model quantised to 4 bits; needs a GPU with about 12 GB of memory.",
        approx_bytes=10_000_000_000,
        allow_patterns=_THINKER_PATTERNS,
    ),
    ModelSpec(
        key="qwen2.5-omni-3b",
        repo_id="Qwen/Qwen2.5-Omni-3B",
        kind="thinker",
        title="Qwen2.5-Omni 3B (bf16)",
        description="Smaller and faster, less capable; fits GPUs with about 16 GB, or runs slowly on CPU.",
        approx_bytes=11_200_000_000,
        allow_patterns=_THINKER_PATTERNS,
    ),
    ModelSpec(
        key="qwen2.5-omni-7b",
        repo_id="Qwen/Qwen2.5-Omni-7B",
        kind="thinker",
        title="Qwen2.5-Omni 7B (bf16)",
        description="Full-precision 7B model; best quality, needs a GPU with about 32 GB of memory.",
        approx_bytes=22_400_000_000,
        allow_patterns=_THINKER_PATTERNS,
    ),
    _whisper("tiny.en", 75_600_000, "Fastest English speech recognition; least accurate."),
    _whisper("base.en", 145_300_000, "Fast English speech recognition."),
    _whisper("small.en", 483_600_000, "Accurate English speech recognition (default)."),
    _piper("en_US", "lessac", "medium", "American English, female; the default assistant voice."),
    _piper("en_US", "ryan", "medium", "American English, male; the second podcast host."),
    _piper("en_GB", "alan", "medium", "British English, male."),
)

DEFAULT_THINKER_KEY = "qwen2.5-omni-7b-gptq-int4"
DEFAULT_WHISPER_KEY = "whisper-small.en"
DEFAULT_PIPER_KEYS = ("piper-en_US-lessac-medium", "piper-en_US-ryan-medium")

_REPO_ID = re.compile(r"^[\w.-]+/[\w.-]+$")


def specs(kind: ModelKind | None = None) -> list[ModelSpec]:
    """The registry, optionally only one kind."""
    return [s for s in REGISTRY if kind is None or s.kind == kind]


def get_spec(key_or_repo: str) -> ModelSpec:
    """The spec for a registry key, a repository id or a Piper voice name.

    An ``org/name`` repository that is not in the registry gets an ad-hoc spec
    that fetches every file of the repository, so a custom model id in the
    settings still works. Raises ``ModelNotFound`` for anything else.
    """
    for spec in REGISTRY:
        if spec.key in (key_or_repo, f"piper-{key_or_repo}"):
            return spec
    for spec in REGISTRY:
        if spec.repo_id == key_or_repo:
            return spec
    if _REPO_ID.match(key_or_repo):
        lowered = key_or_repo.lower()
        kind: ModelKind = "whisper" if "whisper" in lowered else "piper" if "piper" in lowered else "thinker"
        return ModelSpec(
            key=key_or_repo,
            repo_id=key_or_repo,
            kind=kind,
            title=key_or_repo,
            description="A repository that is not in Nexus's list; every file is downloaded.",
            approx_bytes=0,
            allow_patterns=("*",),
        )
    raise ModelNotFound(
        f"'{key_or_repo}' is neither a known model nor a repository id like 'org/name'.",
        "Run `nexus-cli models list` to see the known models.",
    )


def resolve_downloaded(spec: ModelSpec, manager: ModelManager | None, alternative: str) -> Path:
    """The folder of a registry model that must already be on disk (no network).

    ``manager`` defaults to one over the models folder in the settings. A model
    that is not downloaded raises ``ModelNotFound`` whose hint names the
    download command and ``alternative`` (what else the user can point at).
    """
    if manager is None:
        from engine.config import load_settings

        manager = ModelManager(load_settings().folders.resolved_models_dir())
    try:
        return manager.resolve(spec.key)
    except ModelNotFound as exc:
        raise ModelNotFound(
            exc.message,
            f"Download it with `nexus-cli models download {spec.key}` (or the first-run dialog), or {alternative}.",
        ) from exc


def format_bytes(count: float) -> str:
    """``count`` bytes for people, in decimal units ("1.2 GB")."""
    value = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if abs(value) < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


@dataclass(frozen=True)
class DownloadProgress:
    """A snapshot of a running download, passed to the progress callback after each chunk."""

    key: str
    file: str
    file_index: int
    file_count: int
    bytes_done: int
    bytes_total: int
    speed: float

    @property
    def fraction(self) -> float:
        """Share of all bytes that are on disk, from 0.0 to 1.0."""
        return self.bytes_done / self.bytes_total if self.bytes_total else 1.0


@dataclass(frozen=True)
class ModelStatus:
    """Whether one registry model is installed, where, and how much of it is on disk."""

    spec: ModelSpec
    installed: bool
    path: Path
    bytes_on_disk: int


@dataclass(frozen=True)
class FileCheck:
    """The verdict on one file of a downloaded model."""

    path: str
    status: FileStatus
    expected_size: int
    actual_size: int | None


@dataclass(frozen=True)
class VerifyReport:
    """The verdict on every file of a downloaded model."""

    key: str
    path: Path
    files: tuple[FileCheck, ...]

    @property
    def ok(self) -> bool:
        """True when every file is present with the right size and hash."""
        return all(f.status == "ok" for f in self.files)

    @property
    def problems(self) -> list[FileCheck]:
        """The files that are missing or damaged."""
        return [f for f in self.files if f.status != "ok"]


ProgressCallback = Callable[[DownloadProgress], None]


@dataclass(frozen=True)
class _RemoteFile:
    path: str
    size: int
    sha256: str | None
    git_sha1: str | None


class _Hashes:
    """SHA-256 of the content and, when the hub only knows that, the git blob SHA-1."""

    def __init__(self, size: int, git: bool) -> None:
        self.sha256 = hashlib.sha256()
        self.sha1 = hashlib.sha1(b"blob %d\0" % size) if git else None

    def update(self, data: bytes) -> None:
        self.sha256.update(data)
        if self.sha1 is not None:
            self.sha1.update(data)


def _hash_file(path: Path, hashes: _Hashes, cancel: threading.Event | None = None) -> None:
    with path.open("rb") as handle:
        while block := handle.read(_HASH_BLOCK):
            hashes.update(block)
            if cancel is not None and cancel.is_set():
                raise DownloadCancelled("The download was cancelled.", "Run it again to resume.")


def _sha256_of(path: Path) -> str:
    hashes = _Hashes(0, git=False)
    _hash_file(path, hashes)
    return hashes.sha256.hexdigest()


def _offline_mode() -> bool:
    flags = (os.environ.get("HF_HUB_OFFLINE"), os.environ.get("TRANSFORMERS_OFFLINE"))
    return hf_constants.HF_HUB_OFFLINE or any(
        (v or "").strip().upper() in {"1", "ON", "YES", "TRUE"} for v in flags
    )


class _Transfer:
    """Counts bytes across all files of one download and reports them."""

    def __init__(self, key: str, total: int, count: int, callback: ProgressCallback | None) -> None:
        self.key = key
        self.total = total
        self.count = count
        self.done = 0
        self.callback = callback
        self.file = ""
        self.index = 0
        self._received = 0
        self._samples: deque[tuple[float, int]] = deque([(time.monotonic(), 0)])

    def start_file(self, name: str, index: int, already: int) -> None:
        self.file, self.index = name, index
        self.done += already
        self.report()

    def advance(self, count: int) -> None:
        self.done += count
        self._received += count
        now = time.monotonic()
        self._samples.append((now, self._received))
        while len(self._samples) > 2 and now - self._samples[0][0] > _SPEED_WINDOW_S:
            self._samples.popleft()
        self.report()

    def speed(self) -> float:
        (t0, b0), (t1, b1) = self._samples[0], self._samples[-1]
        return (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0

    def report(self) -> None:
        if self.callback is not None:
            self.callback(
                DownloadProgress(
                    key=self.key,
                    file=self.file,
                    file_index=self.index,
                    file_count=self.count,
                    bytes_done=self.done,
                    bytes_total=self.total,
                    speed=self.speed(),
                )
            )


def _offline_hint(spec: ModelSpec, models_dir: Path) -> str:
    return (
        f"Download it on a connected machine (`nexus-cli models download {spec.key}`), then point "
        "Settings → Model → Local folder at the downloaded folder, or copy that folder into "
        f"{models_dir}."
    )


class ModelManager:
    """Finds, downloads and verifies the models of the registry under ``models_dir``.

    ``endpoint`` overrides the hub address (``HF_ENDPOINT`` otherwise); ``token``
    is sent to the hub for gated repositories (the saved Hugging Face login or
    ``HF_TOKEN`` otherwise). All methods are safe to call from a worker thread.
    """

    def __init__(
        self,
        models_dir: Path,
        endpoint: str | None = None,
        token: str | None = None,
        *,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self.models_dir = Path(models_dir).expanduser()
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self.token = token
        self.chunk_size = chunk_size
        self._manifest_lock = threading.Lock()

    # ----- where things are -------------------------------------------------

    def root_for(self, spec: ModelSpec) -> Path:
        """The folder that holds ``spec``'s repository files."""
        return self.models_dir / spec.folder_name

    def path_for(self, spec: ModelSpec) -> Path:
        """The folder a loader should open for ``spec`` (a Piper voice's own folder)."""
        root = self.root_for(spec)
        return root / spec.subfolder if spec.subfolder else root

    def is_installed(self, spec: ModelSpec) -> bool:
        """Whether a completed download of ``spec`` is on disk with every file at its recorded size."""
        manifest = self._read_manifest(spec)
        entry = manifest.get("keys", {}).get(spec.key)
        if not entry:
            return False
        root = self.root_for(spec)
        for name in entry.get("files", []):
            meta = manifest.get("files", {}).get(name)
            target = root / name
            if meta is None or meta.get("damaged"):
                return False
            if not target.is_file() or target.stat().st_size != meta.get("size"):
                return False
        return True

    def resolve(self, key_or_repo: str, local_path: Path | None = None) -> Path:
        """The folder to load ``key_or_repo`` from, without touching the network.

        A given ``local_path`` must hold a model file (``config.json``,
        ``*.safetensors``, ``model.bin``, ``*.onnx``); otherwise the download
        in the models folder is used when it is complete. Raises
        ``ModelNotFound`` with the next step when neither works.
        """
        if local_path is not None:
            folder = Path(local_path).expanduser()
            if folder.is_dir() and any(any(folder.glob(marker)) for marker in MODEL_MARKERS):
                return folder
            raise ModelNotFound(
                f"The folder {folder} does not hold a model: no config.json, *.safetensors, "
                "model.bin or *.onnx file is in it.",
                "Choose the folder that directly contains the model's files in "
                "Settings → Model → Local folder.",
            )
        spec = get_spec(key_or_repo)
        if self.is_installed(spec):
            return self.path_for(spec)
        raise ModelNotFound(
            f"{spec.title} is not downloaded yet.",
            f"Download it with `nexus-cli models download {spec.key}` (or the first-run dialog), or set "
            "Settings → Model → Local folder to a folder that already holds it.",
        )

    # ----- verification -----------------------------------------------------

    def verify(self, key: str) -> VerifyReport:
        """Check every downloaded file of ``key`` against the recorded size and SHA-256 (offline)."""
        spec = get_spec(key)
        manifest = self._read_manifest(spec)
        entry = manifest.get("keys", {}).get(spec.key)
        if not entry:
            raise ModelNotFound(
                f"{spec.title} has not been downloaded into {self.models_dir}, "
                "so there is nothing to verify.",
                f"Download it with `nexus-cli models download {spec.key}`.",
            )
        root = self.root_for(spec)
        checks = []
        for name in entry.get("files", []):
            meta = manifest.get("files", {}).get(name, {})
            expected = int(meta.get("size", -1))
            target = root / name
            if not target.is_file():
                checks.append(FileCheck(name, "missing", expected, None))
                continue
            actual = target.stat().st_size
            if actual != expected:
                checks.append(FileCheck(name, "size_mismatch", expected, actual))
            elif meta.get("sha256") and _sha256_of(target) != meta["sha256"]:
                checks.append(FileCheck(name, "hash_mismatch", expected, actual))
            else:
                checks.append(FileCheck(name, "ok", expected, actual))
        damaged = [c.path for c in checks if c.status == "hash_mismatch"]
        if damaged:

            def mark(data: dict[str, Any]) -> None:
                # is_installed stops trusting these, and the next download re-checks them.
                for name in damaged:
                    data["files"][name]["damaged"] = True

            self._update_manifest(spec, mark)
        return VerifyReport(spec.key, self.path_for(spec), tuple(checks))

    # ----- downloading ------------------------------------------------------

    def download(
        self,
        key: str,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> Path:
        """Fetch ``key`` into the models folder, resuming partial files, and return ``path_for``.

        ``progress`` is called from this thread after every chunk; ``cancel``
        is checked between chunks and stops with ``DownloadCancelled``, keeping
        the partial file for the next run. Raises ``OfflineError`` when the hub
        cannot be reached, ``DownloadError`` for refused or failed transfers and
        ``VerificationError`` (deleting the damaged file) on a size or hash mismatch.
        """
        spec = get_spec(key)
        root = self.root_for(spec)
        if _offline_mode():
            raise OfflineError(
                f"Offline mode is on (HF_HUB_OFFLINE), so {spec.title} cannot be downloaded.",
                _offline_hint(spec, self.models_dir) + " Or unset HF_HUB_OFFLINE.",
            )
        root.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(str(self.models_dir / f".{spec.folder_name}.lock"))
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout as exc:
            raise DownloadError(
                f"Another download into {root} is already running.",
                "Wait for it to finish or stop it, then try again.",
            ) from exc
        try:
            with self._translate_errors(spec):
                commit, files = self._list_remote(spec)
                return self._download_files(spec, commit, files, progress, cancel)
        finally:
            lock.release()

    def _list_remote(self, spec: ModelSpec) -> tuple[str, list[_RemoteFile]]:
        api = HfApi(
            endpoint=self.endpoint, token=self.token, library_name="nexus", library_version=__version__
        )
        info = api.model_info(spec.repo_id, revision=spec.revision, files_metadata=True, timeout=60.0)
        files = [
            _RemoteFile(
                path=s.rfilename,
                size=int(s.lfs.size if s.lfs else s.size or 0),
                sha256=s.lfs.sha256 if s.lfs else None,
                git_sha1=None if s.lfs else s.blob_id,
            )
            for s in info.siblings or []
            if spec.wants(s.rfilename)
        ]
        if not files:
            raise DownloadError(
                f"{spec.repo_id} has no files that match {', '.join(spec.allow_patterns)}.",
                "Check the model name in Settings → Model; `nexus-cli models list` shows the known models.",
            )
        return info.sha or spec.revision, sorted(files, key=lambda f: f.path)

    def _download_files(
        self,
        spec: ModelSpec,
        commit: str,
        files: list[_RemoteFile],
        progress: ProgressCallback | None,
        cancel: threading.Event | None,
    ) -> Path:
        root = self.root_for(spec)
        known = self._read_manifest(spec).get("files", {})
        pending: list[_RemoteFile] = []
        have: set[str] = set()
        for remote in files:
            meta = known.get(remote.path)
            sha256 = self._already_have(root / remote.path, remote, meta, cancel)
            if sha256 is None:
                pending.append(remote)
                continue
            have.add(remote.path)
            if meta is None or meta.get("damaged"):
                self._record_file(spec, remote, sha256)
        self._check_space(spec, root, pending)
        transfer = _Transfer(spec.key, sum(f.size for f in files), len(files), progress)
        for index, remote in enumerate(files, start=1):
            if cancel is not None and cancel.is_set():
                raise self._cancelled(spec, transfer)
            if remote.path in have:
                transfer.start_file(remote.path, index, remote.size)
                continue
            sha256 = self._fetch(spec, commit, remote, index, transfer, cancel)
            self._record_file(spec, remote, sha256)
        self._record_complete(spec, commit, [f.path for f in files])
        log.info("downloaded %s (%s) into %s", spec.key, format_bytes(transfer.total), root)
        return self.path_for(spec)

    def _already_have(
        self,
        target: Path,
        remote: _RemoteFile,
        meta: dict[str, Any] | None,
        cancel: threading.Event | None,
    ) -> str | None:
        """The SHA-256 of ``target`` when it is already the wanted file, else ``None``."""
        if not target.is_file() or target.stat().st_size != remote.size:
            return None
        if meta is not None and not meta.get("damaged") and meta.get("size") == remote.size:
            same = (
                meta.get("sha256") == remote.sha256
                if remote.sha256 is not None
                else meta.get("git_sha1") == remote.git_sha1
            )
            return str(meta["sha256"]) if same and meta.get("sha256") else None
        hashes = _Hashes(remote.size, git=remote.git_sha1 is not None)
        _hash_file(target, hashes, cancel)
        return hashes.sha256.hexdigest() if self._hash_problem(remote, hashes) is None else None

    def _check_space(self, spec: ModelSpec, root: Path, pending: list[_RemoteFile]) -> None:
        needed = 0
        for remote in pending:
            part = (root / remote.path).with_name(PurePosixPath(remote.path).name + PART_SUFFIX)
            needed += remote.size - (part.stat().st_size if part.is_file() else 0)
        free = shutil.disk_usage(root).free
        if needed > free:
            raise DownloadError(
                f"{spec.title} needs {format_bytes(needed)} more, "
                f"but only {format_bytes(free)} is free on {root}.",
                "Free some space, or choose another models folder in Settings → Folders.",
            )

    def _fetch(
        self,
        spec: ModelSpec,
        commit: str,
        remote: _RemoteFile,
        index: int,
        transfer: _Transfer,
        cancel: threading.Event | None,
    ) -> str:
        """Download one file through its ``.part``; return its SHA-256 once it checks out."""
        final = self.root_for(spec) / remote.path
        part = final.with_name(final.name + PART_SUFFIX)
        part.parent.mkdir(parents=True, exist_ok=True)
        offset = part.stat().st_size if part.is_file() else 0
        if offset > remote.size:
            part.unlink()
            offset = 0
        hashes = _Hashes(remote.size, git=remote.git_sha1 is not None)
        if offset:
            _hash_file(part, hashes, cancel)
            log.info("resuming %s at %s", remote.path, format_bytes(offset))
        transfer.start_file(remote.path, index, offset)
        if offset < remote.size:
            self._stream(spec, commit, remote, part, offset, hashes, transfer, cancel)
        size = part.stat().st_size
        if size < remote.size:
            raise DownloadError(
                f"The server stopped sending {remote.path} after {format_bytes(size)} "
                f"of {format_bytes(remote.size)}.",
                "Run the download again; it resumes where it stopped.",
            )
        problem = self._hash_problem(remote, hashes, size)
        if problem is not None:
            part.unlink(missing_ok=True)
            raise VerificationError(
                f"{remote.path} of {spec.title} arrived damaged ({problem}); the bad copy was deleted.",
                f"Run the download again (`nexus-cli models download {spec.key}`); if it keeps failing, "
                "the server or a proxy is altering the file.",
            )
        with part.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(part, final)
        return hashes.sha256.hexdigest()

    def _stream(
        self,
        spec: ModelSpec,
        commit: str,
        remote: _RemoteFile,
        part: Path,
        offset: int,
        hashes: _Hashes,
        transfer: _Transfer,
        cancel: threading.Event | None,
    ) -> None:
        url = hf_hub_url(spec.repo_id, remote.path, revision=commit, endpoint=self.endpoint)
        headers = build_hf_headers(token=self.token, library_name="nexus", library_version=__version__)
        # Compressed transfer would break byte offsets and sizes.
        headers["Accept-Encoding"] = "identity"
        if offset:
            headers["Range"] = f"bytes={offset}-"
        with get_session().stream("GET", url, headers=headers, timeout=_HTTP_TIMEOUT) as response:
            if response.status_code >= 400:
                raise self._http_error(spec, response.status_code, remote.path)
            skip = 0
            if offset:
                if response.status_code == 206:
                    start = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
                    if start is None or int(start.group(1)) != offset:
                        raise DownloadError(
                            f"The server answered a resume request for {remote.path} "
                            "with the wrong byte range.",
                            "Delete the .part file next to it and run the download again.",
                        )
                else:
                    # The server ignored Range: read past the bytes already on disk.
                    skip = offset
            with part.open("ab") as handle:
                for chunk in response.iter_bytes(self.chunk_size):
                    if skip:
                        dropped = min(skip, len(chunk))
                        chunk, skip = chunk[dropped:], skip - dropped
                        if not chunk:
                            continue
                    handle.write(chunk)
                    hashes.update(chunk)
                    transfer.advance(len(chunk))
                    if cancel is not None and cancel.is_set():
                        raise self._cancelled(spec, transfer)

    @staticmethod
    def _hash_problem(remote: _RemoteFile, hashes: _Hashes, size: int | None = None) -> str | None:
        if size is not None and size != remote.size:
            return f"{size} bytes instead of {remote.size}"
        if remote.sha256 is not None and hashes.sha256.hexdigest() != remote.sha256:
            return "SHA-256 mismatch"
        if remote.sha256 is None and remote.git_sha1 is not None and hashes.sha1 is not None:
            if hashes.sha1.hexdigest() != remote.git_sha1:
                return "git SHA-1 mismatch"
        return None

    def _cancelled(self, spec: ModelSpec, transfer: _Transfer) -> DownloadCancelled:
        return DownloadCancelled(
            f"The download of {spec.title} was cancelled at {format_bytes(transfer.done)} "
            f"of {format_bytes(transfer.total)}.",
            "The partial download is kept; downloading again resumes where it stopped.",
        )

    # ----- errors -----------------------------------------------------------

    def _host(self) -> str:
        return urlparse(self.endpoint or hf_constants.ENDPOINT).netloc or "the model hub"

    def _http_error(self, spec: ModelSpec, status: int, name: str = "") -> DownloadError:
        what = f"{spec.repo_id}/{name}" if name else spec.repo_id
        if status in (401, 403):
            return DownloadError(
                f"{self._host()} refused access to {what} (HTTP {status}).",
                "The repository may be gated or private: accept its terms on the hub's website and log in "
                "with a token (`hf auth login` or the HF_TOKEN variable), or use a local folder.",
            )
        if status == 404:
            return DownloadError(
                f"{what} (revision {spec.revision}) was not found on {self._host()} (HTTP 404).",
                "Check the model name in Settings → Model; `nexus-cli models list` shows the known models.",
            )
        return DownloadError(
            f"{self._host()} answered HTTP {status} while downloading {what}.",
            "Try again later; the download resumes where it stopped.",
        )

    @contextmanager
    def _translate_errors(self, spec: ModelSpec) -> Iterator[None]:
        """Turn network and hub exceptions into ``NexusError``s with a next step."""
        try:
            yield
        except NexusError:
            raise
        except OfflineModeIsEnabled as exc:
            raise OfflineError(
                f"Offline mode is on (HF_HUB_OFFLINE), so {spec.title} cannot be downloaded.",
                _offline_hint(spec, self.models_dir) + " Or unset HF_HUB_OFFLINE.",
            ) from exc
        except (httpx2.ConnectError, httpx2.ConnectTimeout) as exc:
            raise OfflineError(
                f"The model hub ({self._host()}) cannot be reached, "
                f"so {spec.title} cannot be downloaded ({exc}).",
                _offline_hint(spec, self.models_dir),
            ) from exc
        except HfHubHTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            raise self._http_error(spec, status) from exc
        except httpx2.HTTPError as exc:
            raise DownloadError(
                f"The connection to {self._host()} broke while downloading {spec.title} ({exc}).",
                "Run the download again; it resumes where it stopped.",
            ) from exc
        except OSError as exc:
            raise DownloadError(
                f"Could not write {spec.title} into {self.root_for(spec)}: {exc.strerror or exc}.",
                "Check that the models folder is writable and has free space (Settings → Folders).",
            ) from exc

    # ----- manifest ---------------------------------------------------------

    def _manifest_path(self, spec: ModelSpec) -> Path:
        return self.root_for(spec) / MANIFEST_NAME

    def _read_manifest(self, spec: ModelSpec) -> dict[str, Any]:
        path = self._manifest_path(spec)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable manifest %s: %s", path, exc)
            return {}
        return data if isinstance(data, dict) else {}

    def _update_manifest(self, spec: ModelSpec, change: Callable[[dict[str, Any]], None]) -> None:
        with self._manifest_lock:
            data = self._read_manifest(spec)
            data["format"] = MANIFEST_FORMAT
            data["repo_id"] = spec.repo_id
            data.setdefault("files", {})
            data.setdefault("keys", {})
            change(data)
            write_text_atomic(self._manifest_path(spec), json.dumps(data, indent=1, sort_keys=True))

    def _record_file(self, spec: ModelSpec, remote: _RemoteFile, sha256: str) -> None:
        def add(data: dict[str, Any]) -> None:
            data["files"][remote.path] = {"size": remote.size, "sha256": sha256, "git_sha1": remote.git_sha1}

        self._update_manifest(spec, add)

    def _record_complete(self, spec: ModelSpec, commit: str, names: list[str]) -> None:
        def complete(data: dict[str, Any]) -> None:
            data["keys"][spec.key] = {
                "revision": spec.revision,
                "commit": commit,
                "files": names,
                "completed": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            }

        self._update_manifest(spec, complete)

    # Last in the class so that the annotations above still mean the builtin ``list``.
    def list(self) -> list[ModelStatus]:
        """The install status of every registry model."""
        statuses = []
        for spec in REGISTRY:
            path = self.path_for(spec)
            size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else 0
            statuses.append(ModelStatus(spec, self.is_installed(spec), path, size))
        return statuses
