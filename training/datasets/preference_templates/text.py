"""Shared pieces of the preference templates: slot filling, code fences, numbers, name pools."""

from __future__ import annotations

import random
import re
import textwrap
from collections.abc import Callable

# A template's output: (prompt, chosen, rejected).
PairText = tuple[str, str, str]
Template = Callable[[random.Random], PairText]

_SLOT = re.compile(r"<<(\w+)>>")


def fill(template: str, **values: object) -> str:
    """Dedent a template and replace its ``<<name>>`` slots (braces stay literal for code)."""
    text = textwrap.dedent(template).strip("\n")
    return _SLOT.sub(lambda match: str(values[match.group(1)]), text)


def code_block(lang: str, code: str) -> str:
    """``code`` in a Markdown code fence tagged ``lang``."""
    return f"```{lang}\n{code}\n```"


def num(value: float) -> str:
    """A number with thousands separators and at most two decimals, trailing zeros dropped."""
    text = f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def camel(snake: str) -> str:
    """``snake_case`` as ``camelCase``."""
    head, *rest = snake.split("_")
    return head + "".join(part.capitalize() for part in rest)


def pascal(snake: str) -> str:
    """``snake_case`` as ``PascalCase``."""
    return "".join(part.capitalize() for part in snake.split("_"))


def is_prime(n: int) -> bool:
    """Whether ``n`` is prime (trial division; template numbers are small)."""
    if n < 2:
        return False
    return all(n % d for d in range(2, int(n**0.5) + 1))


def is_leap(year: int) -> bool:
    """Whether ``year`` is a Gregorian leap year."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


LANGS = (("Python", "python"), ("JavaScript", "javascript"))
PEOPLE = ("Ana", "Ben", "Chen", "Dara", "Emeka", "Farah", "Goran", "Hana", "Ivo", "Jae")
