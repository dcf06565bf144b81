"""Hub recipes: YAML files naming the datasets (Hub ids or git repositories) of a mix, each with
its config, split, format hint or column mapping, share or limit, and domain/category tags.

Built-in recipes live in ``training/datasets/recipes``; users add their own YAML files to a
recipes folder of their data dir (a recipe there with the same name replaces the built-in one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from training.datasets.normalize import slug

BUILTIN_RECIPES_DIR = Path(__file__).with_name("recipes")
RECIPE_SUFFIXES = (".yaml", ".yml")
SAMPLE_KINDS = ("completion", "file")
_ENTRY_KEYS = {
    "name", "hub_id", "git", "config", "split", "data_files", "revision", "format", "columns", "instruction",
    "share", "limit", "domain", "category", "media_types", "video_fps", "training_mode", "include", "exclude",
    "sample_kind", "min_chars", "max_chars", "note",
}
_RECIPE_KEYS = {"name", "description", "total", "training_mode", "entries"}


class RecipeError(ValueError):
    """A recipe file that cannot be used; the message names the file, the entry and the problem."""


@dataclass(frozen=True)
class RecipeEntry:
    """One source of a recipe: a Hub dataset (``hub_id``) or a git repository (``git``)."""

    name: str
    domain: str
    category: str
    hub_id: str | None = None
    git: str | None = None
    config: str | None = None
    split: str = "train"
    data_files: Any = None
    revision: str | None = None
    format: str | None = None
    columns: dict[str, Any] = field(default_factory=dict)
    instruction: str | None = None
    share: float | None = None
    limit: int | None = None
    media_types: dict[str, str] = field(default_factory=dict)
    video_fps: float | None = None
    training_mode: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    sample_kind: str = "completion"
    min_chars: int = 50
    max_chars: int = 100_000
    note: str = ""

    def target(self, total: int) -> int:
        """How many records to take: the limit, else the share of ``total`` (at least one)."""
        if self.limit is not None:
            return self.limit
        return max(1, round((self.share or 0.0) * total))

    @property
    def key(self) -> str:
        """A stable identifier for resume state and record ids."""
        return slug(self.name)


@dataclass(frozen=True)
class Recipe:
    """A named mix of sources with a default total size."""

    name: str
    entries: tuple[RecipeEntry, ...]
    description: str = ""
    total: int = 1000
    training_mode: str = "censored"
    path: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        """What goes into the dataset card's ``recipe`` field."""
        return {"name": self.name, "description": self.description, "total": self.total,
                "training_mode": self.training_mode, "path": str(self.path) if self.path else None,
                "entries": [{k: v for k, v in entry.__dict__.items() if v not in (None, (), {}, "")}
                            for entry in self.entries]}


def _fail(where: str, message: str) -> RecipeError:
    return RecipeError(f"{where}: {message}")


def _entry(data: Any, where: str, recipe_mode: str) -> RecipeEntry:
    if not isinstance(data, Mapping):
        raise _fail(where, "an entry must be a mapping")
    unknown = set(data) - _ENTRY_KEYS
    if unknown:
        raise _fail(where, f"unknown keys {sorted(unknown)}; allowed: {sorted(_ENTRY_KEYS)}")
    hub_id, git = data.get("hub_id"), data.get("git")
    if bool(hub_id) == bool(git):
        raise _fail(where, "give exactly one of hub_id or git")
    for key in ("domain", "category"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise _fail(where, f"{key} is required")
    share, limit = data.get("share"), data.get("limit")
    if share is None and limit is None:
        raise _fail(where, "give a share (of the total) or a limit")
    if share is not None and (not isinstance(share, (int, float)) or not 0 < share <= 1):
        raise _fail(where, f"share must be in (0, 1], got {share!r}")
    if limit is not None and (not isinstance(limit, int) or limit <= 0):
        raise _fail(where, f"limit must be a positive integer, got {limit!r}")
    sample_kind = data.get("sample_kind", "completion")
    if sample_kind not in SAMPLE_KINDS:
        raise _fail(where, f"sample_kind must be one of {SAMPLE_KINDS}")
    columns = data.get("columns") or {}
    if not isinstance(columns, Mapping):
        raise _fail(where, "columns must map format keys to source columns")
    name = data.get("name") or "/".join(str(p) for p in (hub_id or git, data.get("config")) if p)
    return RecipeEntry(
        name=str(name), domain=data["domain"], category=data["category"], hub_id=hub_id, git=git,
        config=data.get("config"), split=str(data.get("split", "train")), data_files=data.get("data_files"),
        revision=data.get("revision"), format=data.get("format"), columns=dict(columns),
        instruction=data.get("instruction"), share=float(share) if share is not None else None, limit=limit,
        media_types=dict(data.get("media_types") or {}), video_fps=data.get("video_fps"),
        training_mode=data.get("training_mode") or recipe_mode,
        include=tuple(data.get("include") or ()), exclude=tuple(data.get("exclude") or ()),
        sample_kind=sample_kind, min_chars=int(data.get("min_chars", 50)),
        max_chars=int(data.get("max_chars", 100_000)), note=str(data.get("note", "")),
    )


def parse_recipe(data: Any, where: str = "recipe", path: Path | None = None) -> Recipe:
    """Build a Recipe from parsed YAML data; RecipeError explains what is wrong."""
    if not isinstance(data, Mapping):
        raise _fail(where, "a recipe must be a mapping with name and entries")
    unknown = set(data) - _RECIPE_KEYS
    if unknown:
        raise _fail(where, f"unknown keys {sorted(unknown)}; allowed: {sorted(_RECIPE_KEYS)}")
    if not isinstance(data.get("name"), str) or not data["name"]:
        raise _fail(where, "name is required")
    mode = data.get("training_mode", "censored")
    if mode not in ("censored", "uncensored"):
        raise _fail(where, "training_mode must be censored or uncensored")
    raw_entries = data.get("entries")
    if not isinstance(raw_entries, list) or not raw_entries:
        raise _fail(where, "entries must be a non-empty list")
    entries = tuple(_entry(item, f"{where} entry {index + 1}", mode) for index, item in enumerate(raw_entries))
    keys = [entry.key for entry in entries]
    if len(set(keys)) != len(keys):
        raise _fail(where, "entry names must be unique (add a name: to entries that share a dataset)")
    shares = sum(entry.share or 0 for entry in entries if entry.limit is None)
    if shares > 1.0001:
        raise _fail(where, f"shares add up to {shares:.3f}, more than 1")
    total = data.get("total", 1000)
    if not isinstance(total, int) or total <= 0:
        raise _fail(where, "total must be a positive integer")
    return Recipe(name=data["name"], entries=entries, description=str(data.get("description", "")),
                  total=total, training_mode=mode, path=path)


def load_recipe_file(path: Path) -> Recipe:
    """Read one recipe YAML file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RecipeError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    except yaml.YAMLError as exc:
        raise RecipeError(f"{path}: not valid YAML ({exc})") from exc
    return parse_recipe(data, str(path.name), path)


def _recipe_files(folder: Path | None) -> list[Path]:
    if folder is None or not Path(folder).is_dir():
        return []
    return sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in RECIPE_SUFFIXES and p.is_file())


def list_recipes(user_dir: Path | None = None) -> tuple[list[Recipe], list[RecipeError]]:
    """Built-in and user recipes by name (user files win), plus the errors of files that did not parse."""
    recipes: dict[str, Recipe] = {}
    errors: list[RecipeError] = []
    for path in _recipe_files(BUILTIN_RECIPES_DIR) + _recipe_files(user_dir):
        try:
            recipe = load_recipe_file(path)
        except RecipeError as exc:
            errors.append(exc)
            continue
        recipes[recipe.name] = recipe
    return list(recipes.values()), errors


def find_recipe(name: str, user_dir: Path | None = None) -> Recipe:
    """The recipe called ``name`` (a user recipe first); RecipeError listing the known names otherwise."""
    recipes, _ = list_recipes(user_dir)
    for recipe in recipes:
        if recipe.name == name:
            return recipe
    raise RecipeError(f"no recipe named {name!r}; known: {', '.join(sorted(r.name for r in recipes)) or 'none'}")
