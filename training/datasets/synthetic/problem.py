"""The shapes shared by every synthetic builder: a problem, a builder, a category."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["calculable", "knowledge", "template"]
Group = Literal["base", "fullstack", "recommended"]


@dataclass(frozen=True)
class Problem:
    """One question with its worked answer, before the query is repeated.

    ``params`` holds the inputs exactly as the question states them (numbers,
    units, dates, the variant picked), so a checker can recompute the answer
    without calling the builder.
    """

    query: str
    answer: str
    params: Mapping[str, Any] = field(default_factory=dict)


Builder = Callable[[random.Random], Problem]


@dataclass(frozen=True)
class CategoryInfo:
    """A category as the registry lists it."""

    name: str
    domain: str
    group: Group
    section: str
    kind: Kind


@dataclass(frozen=True)
class Category:
    """A registered category: its description and the builder that makes its problems."""

    info: CategoryInfo
    build: Builder
