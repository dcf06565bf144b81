"""Number and answer formatting shared by the calculable and knowledge builders."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence


def num(value: float, places: int = 2) -> str:
    """``value`` rounded to ``places`` decimals, with thousands separators and no trailing zeros."""
    text = f"{value:,.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fixed(value: float, places: int = 2) -> str:
    """``value`` with exactly ``places`` decimals and thousands separators (money, averages)."""
    text = f"{value:,.{places}f}"
    return text[1:] if text.startswith("-") and float(text.replace(",", "")) == 0 else text


def sig(value: float, figures: int = 4) -> str:
    """``value`` to ``figures`` significant figures in plain (not scientific) notation."""
    if value == 0:
        return "0"
    places = max(0, figures - 1 - math.floor(math.log10(abs(value))))
    return num(round(value, places), places)


def money(value: float, symbol: str = "$") -> str:
    """A money amount such as ``$1,234.50`` (negative amounts as ``-$12.00``)."""
    sign = "-" if value < 0 and round(value, 2) != 0 else ""
    return f"{sign}{symbol}{abs(value):,.2f}"


def sci(value: float, digits: int = 3) -> str:
    """``value`` in scientific notation with ``digits`` significant figures, e.g. ``4.56 × 10^7``."""
    if value == 0:
        return "0"
    exponent = math.floor(math.log10(abs(value)))
    mantissa = value / 10**exponent
    if round(abs(mantissa), digits - 1) >= 10:
        exponent += 1
        mantissa /= 10
    return f"{num(mantissa, digits - 1)} × 10^{exponent}"


def plural(count: float, word: str, many: str | None = None) -> str:
    """``count`` followed by ``word`` in singular or plural form."""
    return f"{num(count)} {word if count == 1 else (many or word + 's')}"


# Numbers read aloud with a vowel sound first: 8, 8xx, 11, 18, 11,000, 18.5 ...
VOWEL_NUMBER = re.compile(r"^(8|1[18](?![0-9]))")


def article(word: str) -> str:
    """``a`` or ``an`` for ``word``: by its first letter, or by how a leading number is spoken."""
    if word[:1].isdigit():
        return "an" if VOWEL_NUMBER.match(word) else "a"
    return "an" if word[:1].lower() in "aeiou" else "a"


def an(word: str, capital: bool = False) -> str:
    """``word`` with its indefinite article, e.g. ``an 8`` or ``A 60``."""
    found = article(word)
    return f"{found.capitalize() if capital else found} {word}"


def worked(steps: Sequence[str], final: str) -> str:
    """An answer: the key working, one step a line, then ``Answer: final``."""
    return "\n".join([*steps, f"Answer: {final}"])
