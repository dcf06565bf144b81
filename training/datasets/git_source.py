"""Code samples from git repositories: a shallow clone into a cache, file filters, size bounds.

Two kinds of sample, both with the repository's real text as the answer (nothing is
generated or paraphrased):

* ``completion`` — the user turn shows the file's path and its first lines (about a third,
  cut at a line break); the assistant turn is the exact rest of the file, so prompt head +
  answer = the file. A file of a single line falls back to ``file``.
* ``file`` — continued-pretraining-like: the user turn names the repository and path, the
  assistant turn is the exact file content.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from training.datasets.formats.commitpack import fence
from training.datasets.normalize import NormalizeError, slug
from training.datasets.schema import Message, Sample

CLONE_TIMEOUT_S = 600.0
MIN_CHARS = 50
MAX_CHARS = 100_000
HEAD_FRACTION = 0.33
DEFAULT_EXCLUDE_DIRS = frozenset({
    ".git", "node_modules", "vendor", "third_party", "dist", "build", "out", "target", "__pycache__",
    ".venv", "venv", ".tox", ".next", "coverage",
})
DEFAULT_EXCLUDE = ("*.min.js", "*.min.css", "*.map", "package-lock.json", "yarn.lock", "pnpm-lock.yaml",
                   "*.lock", "*.svg", "*.snap")
LANGUAGES = {
    ".py": "python", ".js": "javascript", ".jsx": "jsx", ".ts": "typescript", ".tsx": "tsx", ".go": "go",
    ".java": "java", ".kt": "kotlin", ".dart": "dart", ".rs": "rust", ".rb": "ruby", ".php": "php",
    ".cs": "csharp", ".c": "c", ".h": "c", ".cpp": "cpp", ".swift": "swift", ".css": "css", ".scss": "scss",
    ".html": "html", ".md": "markdown", ".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml",
    ".sh": "bash", ".sql": "sql", ".tf": "hcl", ".proto": "protobuf", ".vue": "vue", ".svelte": "svelte",
}


class GitSourceError(Exception):
    """A repository that could not be cloned or read; the message says why."""


@dataclass(frozen=True)
class RepoFile:
    """One text file of a repository."""

    path: str
    text: str


def clone_shallow(url: str, cache_dir: Path, *, revision: str | None = None, timeout_s: float = CLONE_TIMEOUT_S,
                  refresh: bool = False) -> Path:
    """Clone ``url`` with ``git clone --depth 1`` into ``cache_dir`` (reused unless ``refresh``)."""
    if shutil.which("git") is None:
        raise GitSourceError("git is not installed; install git to use repository sources")
    cache_dir = Path(cache_dir)
    target = cache_dir / slug(f"{url}@{revision}" if revision else url)
    if (target / ".git").exists() and not refresh:
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=cache_dir))
    command = ["git", "clone", "--depth", "1", "--single-branch", "--quiet"]
    if revision:
        command += ["--branch", revision]
    command += ["--", url, str(staging / "repo")]
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "echo"}
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, env=env, check=False)
    except subprocess.TimeoutExpired:
        shutil.rmtree(staging, ignore_errors=True)
        raise GitSourceError(f"cloning {url} took longer than {timeout_s:.0f} s; the machine may be offline") from None
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise GitSourceError(f"cloning {url} failed: {detail[-1] if detail else f'git exit {result.returncode}'}")
    if target.exists():
        shutil.rmtree(target)
    os.replace(staging / "repo", target)
    shutil.rmtree(staging, ignore_errors=True)
    return target


def _matches(relative: str, patterns: Iterable[str]) -> bool:
    name = relative.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(name, p) for p in patterns)


def candidate_paths(repo_dir: Path, include: Iterable[str] = (), exclude: Iterable[str] = ()) -> list[str]:
    """Repository-relative paths that pass the filters, sorted (so a resume sees the same order).

    ``include`` globs (``*.py``, ``src/**/*.ts``) match the path or the file name; an empty include
    takes every file. Build output, vendored and lock files are always left out.
    """
    include, exclude = tuple(include), (*DEFAULT_EXCLUDE, *exclude)
    found: list[str] = []
    for folder, dirs, files in os.walk(repo_dir):
        dirs[:] = sorted(d for d in dirs if d not in DEFAULT_EXCLUDE_DIRS)
        for name in files:
            relative = (Path(folder) / name).relative_to(repo_dir).as_posix()
            if (Path(folder) / name).is_symlink():
                continue
            if include and not _matches(relative, include):
                continue
            if _matches(relative, exclude):
                continue
            found.append(relative)
    return sorted(found)


def read_repo_file(repo_dir: Path, relative: str, min_chars: int = MIN_CHARS, max_chars: int = MAX_CHARS) -> RepoFile:
    """Read one file as text; NormalizeError when it is binary, not UTF-8 or outside the size bounds."""
    path = Path(repo_dir) / relative
    # A UTF-8 character is at most 4 bytes: a larger file cannot be within max_chars.
    if path.stat().st_size > max_chars * 4:
        raise NormalizeError(f"{relative}: larger than {max_chars} characters")
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        raise NormalizeError(f"{relative}: binary file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NormalizeError(f"{relative}: not UTF-8 text") from None
    if not min_chars <= len(text) <= max_chars:
        raise NormalizeError(f"{relative}: {len(text)} characters, outside {min_chars}–{max_chars}")
    return RepoFile(relative, text)


def iter_repo_files(repo_dir: Path, include: Iterable[str] = (), exclude: Iterable[str] = (),
                    min_chars: int = MIN_CHARS, max_chars: int = MAX_CHARS) -> Iterator[RepoFile | NormalizeError]:
    """Each candidate file, read, or the reason it was left out (in path order)."""
    for relative in candidate_paths(repo_dir, include, exclude):
        try:
            yield read_repo_file(repo_dir, relative, min_chars, max_chars)
        except NormalizeError as exc:
            yield exc


def _split_point(text: str) -> int | None:
    """A line break about a third into the text, or None for a single-line file."""
    cut = text.find("\n", int(len(text) * HEAD_FRACTION))
    if cut == -1 or cut + 1 >= len(text.rstrip("\n")):
        cut = text.find("\n")
        if cut == -1 or cut + 1 >= len(text.rstrip("\n")):
            return None
    return cut + 1


def file_sample(file: RepoFile, *, repo: str, kind: str, domain: str, category: str, source: str,
                id: str) -> Sample:
    """A Sample whose answer is the repository's own text (see the module docstring for the kinds)."""
    language = LANGUAGES.get(Path(file.path).suffix.lower(), "")
    split = _split_point(file.text) if kind == "completion" else None
    if split is None:
        prompt = f"Write the file `{file.path}` of the {repo} repository."
        answer = file.text
    else:
        prompt = (f"Continue the file `{file.path}` of the {repo} repository from where it stops. "
                  f"Reply with the rest of the file only.\n\n{fence(file.text[:split], language)}")
        answer = file.text[split:]
    return Sample(id=id, messages=[Message(role="user", content=prompt), Message(role="assistant", content=answer)],
                  domain=domain, category=category, source=source)
