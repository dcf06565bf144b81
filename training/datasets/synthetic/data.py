"""The curated fact tables and template files shipped in ``data/``, loaded once."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"


@cache
def table(name: str) -> Any:
    """The parsed ``data/<name>.json`` (rows are shared: callers must not mutate them)."""
    with open(DATA_DIR / f"{name}.json", encoding="utf-8") as handle:
        return json.load(handle)


@cache
def template_file(name: str) -> Any:
    """The parsed ``data/fullstack/<name>.yaml``."""
    # The C safe loader when libyaml is present: same results, several times faster.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(DATA_DIR / "fullstack" / f"{name}.yaml", encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)


def template_files() -> list[str]:
    """The names of every fullstack template file, sorted."""
    return sorted(path.stem for path in (DATA_DIR / "fullstack").glob("*.yaml"))
