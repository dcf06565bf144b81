"""Fullstack categories from data: each category is a family of prompt and answer templates.

A category in ``data/fullstack/<section>.yaml`` has phrasings of the request
(``prompts``), an ``intro`` paragraph, stack ``variants`` (each a stack name,
a code language and a snippet), ``points`` that hold for every stack, and the
keys of the ``constraints`` (from ``constraints.yaml``) it may be asked under.
A problem picks an entity × stack × constraint × phrasing and fills the
``{{name}}`` placeholders from the entity's variables (see ``fullstack_fields``);
``{{{name}}}`` yields the value inside single braces, as f-strings and route
patterns need.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from training.datasets.synthetic.data import template_file, template_files
from training.datasets.synthetic.fullstack_fields import entity_names, entity_vars
from training.datasets.synthetic.problem import Builder, Problem

PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
CONSTRAINTS_FILE = "constraints"


class TemplateError(ValueError):
    """A template file that is malformed or uses a placeholder no entity provides."""


def fill(template: str, values: Mapping[str, str]) -> str:
    """``template`` with every ``{{name}}`` replaced; multi-line values keep the placeholder's indentation."""

    def substitute(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise TemplateError(f"unknown placeholder {{{{{key}}}}} in template {template[:60]!r}...")
        value = values[key]
        if "\n" in value:
            line_start = template.rfind("\n", 0, match.start()) + 1
            prefix = template[line_start : match.start()]
            if not prefix.strip():
                value = value.replace("\n", "\n" + prefix)
        return value

    return PLACEHOLDER.sub(substitute, template)


@dataclass(frozen=True)
class Variant:
    """One stack's take on a category: the stack's name, the snippet's language and the snippet."""

    stack: str
    lang: str
    code: str
    note: str = ""


@dataclass(frozen=True)
class Constraint:
    """An extra requirement a request may carry, and how the answer addresses it."""

    key: str
    text: str
    note: str


@dataclass(frozen=True)
class TemplateFamily:
    """Everything needed to write one category's problems."""

    name: str
    section: str
    prompts: tuple[str, ...]
    intro: str
    variants: tuple[Variant, ...]
    points: tuple[str, ...]
    constraints: tuple[Constraint, ...]

    def problem(self, rng: random.Random) -> Problem:
        """A request for a random entity, stack, constraint and phrasing, with its answer."""
        entity = rng.choice(entity_names())
        variant = rng.choice(self.variants)
        constraint = rng.choice(self.constraints)
        names = entity_vars(entity)
        constraint_text = fill(constraint.text, names)
        values = {**names, "stack": variant.stack, "constraint": constraint_text}
        query = fill(rng.choice(self.prompts), values)
        code = fill(variant.code, values).rstrip()
        # Markdown documents carry their own ``` blocks; a tilde fence keeps them literal.
        fence = "~~~" if "```" in code else "```"
        parts = [fill(self.intro, values).strip(), f"{fence}{variant.lang}\n{code}\n{fence}"]
        if variant.note:
            parts.append(fill(variant.note, values).strip())
        parts.append("Key points:\n" + "\n".join(f"- {fill(point, values).strip()}" for point in self.points))
        parts.append(f"Constraint ({constraint_text}): {fill(constraint.note, values).strip()}")
        return Problem(
            query,
            "\n\n".join(parts),
            {"entity": entity, "stack": variant.stack, "constraint": constraint.key},
        )


def _required(spec: Mapping, key: str, where: str) -> object:
    if key not in spec or spec[key] in (None, "", []):
        raise TemplateError(f"{where}: missing '{key}'")
    return spec[key]


@cache
def constraints() -> dict[str, Constraint]:
    """Every named constraint in ``constraints.yaml``."""
    raw = template_file(CONSTRAINTS_FILE)
    return {
        key: Constraint(
            key,
            str(_required(spec, "text", f"constraint {key}")),
            str(_required(spec, "note", f"constraint {key}")),
        )
        for key, spec in raw.items()
    }


def _family(name: str, section: str, spec: Mapping) -> TemplateFamily:
    where = f"{section}.yaml:{name}"
    known = constraints()
    keys = list(_required(spec, "constraints", where))  # type: ignore[arg-type]
    missing = [key for key in keys if key not in known]
    if missing:
        raise TemplateError(f"{where}: unknown constraints {missing}")
    variants = tuple(
        Variant(
            stack=str(_required(v, "stack", where)),
            lang=str(_required(v, "lang", where)),
            code=str(_required(v, "code", where)),
            note=str(v.get("note", "")),
        )
        for v in _required(spec, "variants", where)
    )  # type: ignore[union-attr]
    return TemplateFamily(
        name=name,
        section=section,
        prompts=tuple(_required(spec, "prompts", where)),  # type: ignore[arg-type]
        intro=str(_required(spec, "intro", where)),
        variants=variants,
        points=tuple(_required(spec, "points", where)),  # type: ignore[arg-type]
        constraints=tuple(known[key] for key in keys),
    )


@cache
def families() -> dict[str, TemplateFamily]:
    """Every fullstack template family, keyed by category name, in file and then definition order."""
    found: dict[str, TemplateFamily] = {}
    for section in template_files():
        if section == CONSTRAINTS_FILE:
            continue
        for name, spec in template_file(section).items():
            if name in found:
                raise TemplateError(
                    f"{section}.yaml: category {name} is also defined in {found[name].section}.yaml"
                )
            found[name] = _family(name, section, spec)
    return found


def builders() -> dict[str, tuple[str, Builder]]:
    """(section, builder) for every fullstack category."""
    return {name: (family.section, family.problem) for name, family in families().items()}
