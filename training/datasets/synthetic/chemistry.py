"""Chemical formulas: parsing, atom counts and molar masses from the element table."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

from training.datasets.synthetic.data import table

TOKEN = re.compile(r"([A-Z][a-z]?|\(|\))(\d*)")


def atom_counts(formula: str) -> Counter[str]:
    """Atoms per element in ``formula``, brackets included (``Ca(OH)2`` → Ca 1, O 2, H 2)."""
    stack: list[Counter[str]] = [Counter()]
    position = 0
    for match in TOKEN.finditer(formula):
        if match.start() != position:
            raise ValueError(f"cannot read formula {formula!r} at {formula[position:]!r}")
        position = match.end()
        symbol, digits = match.groups()
        count = int(digits) if digits else 1
        if symbol == "(":
            if digits:
                raise ValueError(f"a count cannot follow '(' in {formula!r}")
            stack.append(Counter())
        elif symbol == ")":
            if len(stack) == 1:
                raise ValueError(f"unbalanced ')' in {formula!r}")
            group = stack.pop()
            for element, n in group.items():
                stack[-1][element] += n * count
        else:
            stack[-1][symbol] += count
    if position != len(formula) or len(stack) != 1:
        raise ValueError(f"cannot read formula {formula!r}")
    return stack[0]


@cache
def elements_by_symbol() -> dict[str, dict]:
    """The element rows keyed by symbol."""
    return {row["symbol"]: row for row in table("elements")}


def molar_mass(formula: str) -> float:
    """Molar mass in g/mol from standard atomic weights."""
    masses = elements_by_symbol()
    return sum(masses[element]["mass"] * n for element, n in atom_counts(formula).items())


def mass_terms(formula: str) -> list[tuple[str, int, float]]:
    """(symbol, count, atomic mass) for each element, in order of first appearance."""
    masses = elements_by_symbol()
    return [(element, n, masses[element]["mass"]) for element, n in atom_counts(formula).items()]


def side_text(side: dict[str, int]) -> str:
    """One side of an equation, e.g. ``CH4 + 2O2``."""
    return " + ".join(f"{n if n > 1 else ''}{formula}" for formula, n in side.items())


def side_atoms(side: dict[str, int]) -> Counter[str]:
    """Total atoms of each element on one side of an equation."""
    total: Counter[str] = Counter()
    for formula, n in side.items():
        for element, count in atom_counts(formula).items():
            total[element] += count * n
    return total
