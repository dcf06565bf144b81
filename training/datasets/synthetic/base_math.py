"""Math categories: every answer is computed from the numbers in the question."""

from __future__ import annotations

import math
import random

from training.datasets.synthetic.data import table
from training.datasets.synthetic.formatting import an, fixed, money, num, sig, worked
from training.datasets.synthetic.problem import Builder, Kind, Problem

# ----- basic_arithmetic ----------------------------------------------------------------

Expr = int | tuple[str, "Expr", "Expr"]
PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}
SHOWN = {"+": "+", "-": "-", "*": "×", "/": "÷"}


def render(expr: Expr, ascii_ops: bool = False) -> str:
    """The expression as text, with only the brackets that precedence needs."""
    if isinstance(expr, int):
        return str(expr)
    op, left, right = expr

    def side(child: Expr, is_right: bool) -> str:
        text = render(child, ascii_ops)
        if isinstance(child, tuple):
            looser = PRECEDENCE[child[0]] < PRECEDENCE[op]
            # a - (b - c) and a ÷ (b ÷ c) keep their brackets
            same_on_right = is_right and PRECEDENCE[child[0]] == PRECEDENCE[op] and op in "-/"
            if looser or same_on_right:
                return f"({text})"
        return text

    shown = op if ascii_ops else SHOWN[op]
    return f"{side(left, False)} {shown} {side(right, True)}"


def evaluate(expr: Expr, steps: list[str]) -> int:
    """The value of ``expr``, appending one line per operation in evaluation order."""
    if isinstance(expr, int):
        return expr
    op, left, right = expr
    a, b = evaluate(left, steps), evaluate(right, steps)
    if op == "+":
        value = a + b
    elif op == "-":
        value = a - b
    elif op == "*":
        value = a * b
    else:
        if b == 0 or a % b:
            raise ValueError(f"{a} ÷ {b} is not an exact division")
        value = a // b
    steps.append(f"{a} {SHOWN[op]} {b} = {value}")
    return value


def _exact_division(rng: random.Random, low: int, high: int) -> tuple[str, int, int]:
    divisor = rng.randint(2, 12)
    return "/", divisor * rng.randint(low, high), divisor


def _arithmetic_expression(rng: random.Random) -> Expr:
    shape = rng.randrange(6)
    r = rng.randint
    if shape == 0:
        return (rng.choice("+-"), r(100, 99_999), r(100, 99_999))
    if shape == 1:
        return ("*", r(12, 999), r(2, 99))
    if shape == 2:
        return _exact_division(rng, 2, 250)
    if shape == 3:
        return (rng.choice("+-"), r(2, 500), ("*", r(2, 25), r(2, 25)))
    if shape == 4:
        return ("-", ("*", (rng.choice("+-"), r(10, 90), r(2, 9)), r(2, 12)), r(1, 60))
    return ("+", ("*", r(2, 30), r(2, 30)), _exact_division(rng, 2, 40))


def basic_arithmetic(rng: random.Random) -> Problem:
    """Integer arithmetic with +, -, ×, ÷ (exact) and brackets, evaluated step by step."""
    expr = _arithmetic_expression(rng)
    steps: list[str] = []
    value = evaluate(expr, steps)
    shown = render(expr)
    query = rng.choice(["What is {e}?", "Calculate {e}.", "Compute {e}.", "Evaluate {e}."]).format(e=shown)
    if len(steps) > 1:
        steps.insert(0, "Brackets first, then × and ÷ before + and -:")
    return Problem(query, worked(steps, str(value)), {"expr": render(expr, ascii_ops=True)})


# ----- percentage_calc -----------------------------------------------------------------


def percentage_calc(rng: random.Random) -> Problem:
    """Percent of, what percent, percentage change, discounts and reverse percentages."""
    variant = rng.choice(["of", "what_percent", "change", "discount", "reverse"])
    if variant == "of":
        p, x = rng.choice([5, 10, 12.5, 15, 20, 25, 30, 40, 75, *range(1, 100)]), rng.randint(10, 5000)
        value = x * p / 100
        return Problem(
            f"What is {num(p)}% of {num(x)}?",
            worked([f"{num(p)}% of {num(x)} = {num(x)} × {num(p)} / 100 = {num(value)}"], num(value)),
            {"variant": variant, "p": p, "x": x},
        )
    if variant == "what_percent":
        whole = rng.randint(20, 2000)
        part = rng.randint(1, whole)
        value = part / whole * 100
        return Problem(
            f"{num(part)} is what percent of {num(whole)}?",
            worked([f"{num(part)} / {num(whole)} × 100 = {num(value)}%"], f"{num(value)}%"),
            {"variant": variant, "part": part, "whole": whole},
        )
    if variant == "change":
        old = rng.randint(20, 5000)
        new = max(1, round(old * rng.uniform(0.3, 2.2)))
        while new == old:
            new += 1
        value = (new - old) / old * 100
        word = "an increase" if value > 0 else "a decrease"
        query = rng.choice(
            [
                f"A price goes from {money(old)} to {money(new)}. What is the percentage change?",
                f"What is the percentage change from {num(old)} to {num(new)}?",
            ]
        )
        return Problem(
            query,
            worked(
                [
                    f"Change = {num(new)} - {num(old)} = {num(new - old)}",
                    f"Percentage change = {num(new - old)} / {num(old)} × 100 = {num(value)}% ({word})",
                ],
                f"{num(value)}%",
            ),
            {"variant": variant, "old": old, "new": new},
        )
    if variant == "discount":
        price, d = (
            rng.randint(5, 2000) + rng.choice([0, 0.5, 0.99]),
            rng.choice([5, 10, 15, 20, 25, 30, 35, 40, 50, 60, 70]),
        )
        saving = price * d / 100
        final = price - saving
        return Problem(
            f"An item costs {money(price)} and is discounted by {d}%. What is the sale price?",
            worked(
                [
                    f"Discount = {money(price)} × {d} / 100 = {money(saving)}",
                    f"Sale price = {money(price)} - {money(saving)} = {money(final)}",
                ],
                money(final),
            ),
            {"variant": variant, "price": price, "d": d},
        )
    original, p = rng.randint(10, 2000), rng.choice([5, 8, 10, 12, 15, 18, 20, 25, 30])
    after = round(original * (1 + p / 100), 2)
    value = after / (1 + p / 100)
    return Problem(
        f"After {an(str(p))}% increase a price is {money(after)}. What was the original price?",
        worked(
            [
                f"The new price is {100 + p}% of the original, so original = {money(after)} / "
                f"{num(1 + p / 100)}",
                f"= {money(value)}",
            ],
            money(value),
        ),
        {"variant": variant, "after": after, "p": p},
    )


# ----- unit_conversion -----------------------------------------------------------------

# Exact definitions relative to the base unit (metre, kilogram, litre).
UNITS: dict[str, dict[str, tuple[str, float]]] = {
    "length": {
        "km": ("kilometres", 1000.0),
        "m": ("metres", 1.0),
        "cm": ("centimetres", 0.01),
        "mm": ("millimetres", 0.001),
        "mi": ("miles", 1609.344),
        "yd": ("yards", 0.9144),
        "ft": ("feet", 0.3048),
        "in": ("inches", 0.0254),
    },
    "mass": {
        "kg": ("kilograms", 1.0),
        "g": ("grams", 0.001),
        "mg": ("milligrams", 1e-6),
        "t": ("tonnes", 1000.0),
        "lb": ("pounds", 0.45359237),
        "oz": ("ounces", 0.028349523125),
    },
    "volume": {
        "L": ("litres", 1.0),
        "mL": ("millilitres", 0.001),
        "gal": ("US gallons", 3.785411784),
        "fl oz": ("US fluid ounces", 0.0295735295625),
        "cup": ("US cups", 0.2365882365),
        "m³": ("cubic metres", 1000.0),
    },
}


def unit_conversion(rng: random.Random) -> Problem:
    """Length, mass and volume conversions through the exact unit definitions."""
    quantity = rng.choice(sorted(UNITS))
    while True:
        source, target = rng.sample(sorted(UNITS[quantity]), 2)
        ratio = UNITS[quantity][source][1] / UNITS[quantity][target][1]
        # mg to tonnes and the like make unreadable answers; real questions stay within a few orders
        if 1e-4 <= ratio <= 1e6:
            break
    value = round(rng.uniform(0.5, 500), rng.choice([0, 1, 2]))
    result = value * ratio
    name = UNITS[quantity]
    query = rng.choice(
        [
            f"Convert {num(value)} {source} to {target}.",
            f"How many {name[target][0]} are in {num(value)} {name[source][0]}?",
            f"{num(value)} {source} is how many {target}?",
        ]
    )
    return Problem(
        query,
        worked(
            [
                f"1 {source} = {sig(ratio, 6)} {target}",
                f"{num(value)} {source} × {sig(ratio, 6)} = {sig(result)} {target}",
            ],
            f"{sig(result)} {target}",
        ),
        {"quantity": quantity, "value": value, "from": source, "to": target},
    )


# ----- geometry ------------------------------------------------------------------------


def geometry(rng: random.Random) -> Problem:
    """Areas, perimeters, volumes and the Pythagorean theorem for common shapes."""
    unit = rng.choice(["cm", "m", "mm", "in", "ft"])

    def r() -> int:
        return rng.randint(2, 60)

    variant = rng.choice(
        [
            "rect_area",
            "rect_perimeter",
            "circle_area",
            "circumference",
            "triangle_area",
            "hypotenuse",
            "cylinder_volume",
            "sphere_volume",
            "box_surface",
            "trapezoid_area",
        ]
    )
    p: dict[str, object] = {"variant": variant, "unit": unit}
    if variant == "rect_area":
        a, b = r(), r()
        value, query = a * b, f"What is the area of a rectangle {a} {unit} long and {b} {unit} wide?"
        steps, final = [f"Area = length × width = {a} × {b} = {num(value)} {unit}²"], f"{num(value)} {unit}²"
        p |= {"a": a, "b": b}
    elif variant == "rect_perimeter":
        a, b = r(), r()
        value, query = 2 * (a + b), f"Find the perimeter of a rectangle measuring {a} {unit} by {b} {unit}."
        steps, final = (
            [f"Perimeter = 2 × (length + width) = 2 × ({a} + {b}) = {value} {unit}"],
            f"{value} {unit}",
        )
        p |= {"a": a, "b": b}
    elif variant == "circle_area":
        radius = r()
        value = math.pi * radius**2
        query = f"What is the area of a circle with radius {radius} {unit}?"
        steps, final = (
            [f"Area = π × r² = π × {radius}² = {sig(value, 5)} {unit}²"],
            f"{sig(value, 5)} {unit}²",
        )
        p |= {"r": radius}
    elif variant == "circumference":
        diameter = r()
        value = math.pi * diameter
        query = f"What is the circumference of a circle with a diameter of {diameter} {unit}?"
        steps, final = (
            [f"Circumference = π × d = π × {diameter} = {sig(value, 5)} {unit}"],
            f"{sig(value, 5)} {unit}",
        )
        p |= {"d": diameter}
    elif variant == "triangle_area":
        base, height = r(), r()
        value = base * height / 2
        query = f"A triangle has a base of {base} {unit} and a height of {height} {unit}. What is its area?"
        steps, final = (
            [f"Area = ½ × base × height = ½ × {base} × {height} = {num(value)} {unit}²"],
            f"{num(value)} {unit}²",
        )
        p |= {"base": base, "height": height}
    elif variant == "hypotenuse":
        a, b = (
            rng.choice([(3, 4), (5, 12), (8, 15), (7, 24), (6, 8), (9, 12), (20, 21)])
            if rng.random() < 0.4
            else (r(), r())
        )
        value = math.hypot(a, b)
        query = f"A right triangle has legs of {a} {unit} and {b} {unit}. How long is the hypotenuse?"
        steps = [f"c = √(a² + b²) = √({a}² + {b}²) = √{a * a + b * b} = {sig(value, 5)} {unit}"]
        final = f"{sig(value, 5)} {unit}"
        p |= {"a": a, "b": b}
    elif variant == "cylinder_volume":
        radius, height = r(), r()
        value = math.pi * radius**2 * height
        query = f"What is the volume of a cylinder with radius {radius} {unit} and height {height} {unit}?"
        steps = [f"V = π × r² × h = π × {radius}² × {height} = {sig(value, 5)} {unit}³"]
        final = f"{sig(value, 5)} {unit}³"
        p |= {"r": radius, "h": height}
    elif variant == "sphere_volume":
        radius = r()
        value = 4 / 3 * math.pi * radius**3
        query = f"Find the volume of a sphere of radius {radius} {unit}."
        steps, final = (
            [f"V = 4/3 × π × r³ = 4/3 × π × {radius}³ = {sig(value, 5)} {unit}³"],
            f"{sig(value, 5)} {unit}³",
        )
        p |= {"r": radius}
    elif variant == "box_surface":
        a, b, c = r(), r(), r()
        value = 2 * (a * b + b * c + a * c)
        query = f"What is the surface area of a box measuring {a} {unit} × {b} {unit} × {c} {unit}?"
        steps = [f"S = 2(ab + bc + ac) = 2 × ({a * b} + {b * c} + {a * c}) = {num(value)} {unit}²"]
        final = f"{num(value)} {unit}²"
        p |= {"a": a, "b": b, "c": c}
    else:
        a, b, height = r(), r(), r()
        value = (a + b) / 2 * height
        query = (
            f"A trapezoid has parallel sides of {a} {unit} and {b} {unit} and a height of {height} "
            f"{unit}. What is its area?"
        )
        steps = [f"Area = (a + b) / 2 × h = ({a} + {b}) / 2 × {height} = {num(value)} {unit}²"]
        final = f"{num(value)} {unit}²"
        p |= {"a": a, "b": b, "h": height}
    return Problem(query, worked(steps, final), p)


# ----- statistics ----------------------------------------------------------------------


def statistics(rng: random.Random) -> Problem:
    """Mean, median, mode, range, population variance and standard deviation of a small list."""
    variant = rng.choice(["mean", "median", "mode", "range", "variance", "std"])
    size = rng.randint(5, 9)
    if variant == "mode":
        values = rng.sample(range(1, 100), size - 2)
        values += [values[0]] * 2
        rng.shuffle(values)
    else:
        values = [rng.randint(1, 99) for _ in range(size)]
    listed = ", ".join(map(str, values))
    ordered = sorted(values)
    total, n = sum(values), len(values)
    mean = total / n
    if variant == "mean":
        steps, final = [f"Sum = {total}, count = {n}", f"Mean = {total} / {n} = {num(mean)}"], num(mean)
    elif variant == "median":
        mid = n // 2
        median = ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2
        how = (
            f"the middle value is {ordered[mid]}"
            if n % 2
            else f"the two middle values are {ordered[mid - 1]} and {ordered[mid]}, so the median is their "
            "average"
        )
        steps, final = (
            [f"Sorted: {', '.join(map(str, ordered))}", f"With {n} values {how}: {num(median)}"],
            num(median),
        )
    elif variant == "mode":
        mode = max(set(values), key=values.count)
        steps = [
            f"Sorted: {', '.join(map(str, ordered))}",
            f"{mode} appears {values.count(mode)} times, more than any other value",
        ]
        final = str(mode)
    elif variant == "range":
        steps, final = (
            [f"Range = max - min = {ordered[-1]} - {ordered[0]} = {ordered[-1] - ordered[0]}"],
            str(ordered[-1] - ordered[0]),
        )
    else:
        variance = sum((v - mean) ** 2 for v in values) / n
        steps = [
            f"Mean = {total} / {n} = {num(mean, 4)}",
            f"Population variance = Σ(x - mean)² / n = {num(variance * n, 4)} / {n} = {num(variance, 4)}",
        ]
        if variant == "std":
            steps.append(f"Standard deviation = √{num(variance, 4)} = {num(math.sqrt(variance), 4)}")
        final = num(variance, 4) if variant == "variance" else num(math.sqrt(variance), 4)
    label = {
        "mean": "mean",
        "median": "median",
        "mode": "mode",
        "range": "range",
        "variance": "population variance",
        "std": "population standard deviation",
    }[variant]
    query = rng.choice([f"What is the {label} of {listed}?", f"Find the {label} of the data set: {listed}."])
    return Problem(query, worked(steps, final), {"variant": variant, "values": values})


# ----- algebra -------------------------------------------------------------------------


def term(coef: int, var: str, first: bool = False) -> str:
    """A signed term such as ``3x``, ``- x`` or ``+ 12`` (``var`` empty for a constant)."""
    magnitude = abs(coef)
    body = (str(magnitude) if magnitude != 1 or not var else "") + var
    if first:
        return ("-" if coef < 0 else "") + body
    return f"{'-' if coef < 0 else '+'} {body}"


def linear(a: int, b: int, var: str = "x") -> str:
    """``a·x + b`` as text, skipping a zero constant."""
    return term(a, var, first=True) + (f" {term(b, '')}" if b else "")


def algebra(rng: random.Random) -> Problem:
    """Linear equations in one unknown and 2×2 linear systems with integer solutions."""
    variant = rng.choice(["one_step", "bracket", "both_sides", "system"])

    def nonzero(lo: int, hi: int) -> int:
        return rng.choice([v for v in range(lo, hi + 1) if v != 0])

    x = nonzero(-15, 15)
    if variant == "one_step":
        a, b = rng.choice([v for v in range(-12, 13) if v not in (0, 1)]), rng.randint(-50, 50)
        c = a * x + b
        eq = f"{linear(a, b)} = {c}"
        steps = [f"{term(a, 'x', True)} = {c} - ({b}) = {c - b}", f"x = {c - b} / {a} = {x}"]
    elif variant == "bracket":
        a, b = rng.choice([v for v in range(-9, 10) if v not in (0, 1)]), nonzero(-20, 20)
        c = a * (x + b)
        eq = f"{a}(x {term(b, '')}) = {c}"
        steps = [f"x {term(b, '')} = {c} / {a} = {c // a}", f"x = {c // a} - ({b}) = {x}"]
    elif variant == "both_sides":
        a, c = rng.sample([v for v in range(-12, 13) if v != 0], 2)
        b = rng.randint(-40, 40)
        d = a * x + b - c * x
        eq = f"{linear(a, b)} = {linear(c, d)}"
        k, rhs = a - c, d - b
        steps = [f"Move the x terms left and the constants right: {term(k, 'x', True)} = {rhs}"]
        if k != 1:
            steps.append(f"x = {rhs} / {k} = {x}")
    else:
        y = nonzero(-12, 12)
        while True:
            a1, b1, a2, b2 = (nonzero(-9, 9) for _ in range(4))
            det = a1 * b2 - a2 * b1
            if det:
                break
        c1, c2 = a1 * x + b1 * y, a2 * x + b2 * y
        query = rng.choice(["Solve the system: {e1} and {e2}.", "Find x and y if {e1} and {e2}."]).format(
            e1=f"{linear(a1, 0)} {term(b1, 'y')} = {c1}", e2=f"{linear(a2, 0)} {term(b2, 'y')} = {c2}"
        )
        steps = [
            f"Determinant = ({a1})({b2}) - ({a2})({b1}) = {det}",
            f"x = (({c1})({b2}) - ({c2})({b1})) / {det} = {(c1 * b2 - c2 * b1)} / {det} = {x}",
            f"y = (({a1})({c2}) - ({a2})({c1})) / {det} = {(a1 * c2 - a2 * c1)} / {det} = {y}",
        ]
        return Problem(
            query,
            worked(steps, f"x = {x}, y = {y}"),
            {"variant": variant, "a1": a1, "b1": b1, "c1": c1, "a2": a2, "b2": b2, "c2": c2},
        )
    query = rng.choice(["Solve for x: {e}", "Find x if {e}.", "What value of x satisfies {e}?"]).format(e=eq)
    return Problem(query, worked(steps, f"x = {x}"), {"variant": variant, "equation": eq})


# ----- compound_interest ---------------------------------------------------------------

COMPOUNDING = {1: "annually", 2: "semi-annually", 4: "quarterly", 12: "monthly", 365: "daily"}


def compound_interest(rng: random.Random) -> Problem:
    """Future value and interest earned with periodic compounding, A = P(1 + r/n)^(nt)."""
    principal = rng.randrange(500, 100_001, 500)
    rate = rng.choice([x / 4 for x in range(4, 49)])
    n = rng.choice(sorted(COMPOUNDING))
    years = rng.randint(1, 30)
    amount = principal * (1 + rate / 100 / n) ** (n * years)
    interest = amount - principal
    variant = rng.choice(["amount", "interest"])
    ask = "What will the balance be" if variant == "amount" else "How much interest will be earned"
    query = (
        f"{ask} after {years} year{'s' if years > 1 else ''} if {money(principal)} is invested at "
        f"{num(rate)}% a year, compounded {COMPOUNDING[n]}?"
    )
    steps = [
        f"A = P(1 + r/n)^(nt) = {money(principal)} × (1 + {num(rate / 100, 5)}/{n})^({n} × {years})",
        f"A = {money(amount)}",
    ]
    if variant == "interest":
        steps.append(f"Interest = A - P = {money(amount)} - {money(principal)} = {money(interest)}")
    final = money(amount if variant == "amount" else interest)
    return Problem(
        query,
        worked(steps, final),
        {"variant": variant, "principal": principal, "rate": rate, "n": n, "years": years},
    )


# ----- distance_calc -------------------------------------------------------------------

EARTH_RADIUS_KM = 6371.0


def distance_calc(rng: random.Random) -> Problem:
    """Euclidean (2-D, 3-D), Manhattan, great-circle and travel distances."""
    variant = rng.choice(["2d", "3d", "manhattan", "great_circle", "travel"])

    def c() -> int:
        return rng.randint(-20, 20)

    if variant in ("2d", "manhattan"):
        p1, p2 = (c(), c()), (c(), c())
        dx, dy = p2[0] - p1[0], p2[1] - p1[1]
        if variant == "2d":
            value = math.hypot(dx, dy)
            query = f"What is the distance between the points {p1} and {p2}?"
            steps = [
                f"d = √((x2 - x1)² + (y2 - y1)²) = √({dx}² + {dy}²) = √{dx * dx + dy * dy} = {num(value, 4)}"
            ]
            final = num(value, 4)
        else:
            value = abs(dx) + abs(dy)
            query = f"What is the Manhattan (taxicab) distance between {p1} and {p2}?"
            steps, final = [f"d = |x2 - x1| + |y2 - y1| = |{dx}| + |{dy}| = {value}"], str(value)
        return Problem(query, worked(steps, final), {"variant": variant, "p1": p1, "p2": p2})
    if variant == "3d":
        p1, p2 = (c(), c(), c()), (c(), c(), c())
        d = [b - a for a, b in zip(p1, p2, strict=True)]
        value = math.sqrt(sum(v * v for v in d))
        query = f"Find the distance between {p1} and {p2} in 3-D space."
        steps = [
            f"d = √(Δx² + Δy² + Δz²) = √({d[0]}² + {d[1]}² + {d[2]}²) = √{sum(v * v for v in d)} = "
            f"{num(value, 4)}"
        ]
        return Problem(query, worked(steps, num(value, 4)), {"variant": variant, "p1": p1, "p2": p2})
    if variant == "great_circle":
        a, b = rng.sample(table("cities"), 2)
        lat1, lon1, lat2, lon2 = a["lat"], a["lon"], b["lat"], b["lon"]
        phi1, phi2 = math.radians(lat1), math.radians(lat2)
        h = (
            math.sin((phi2 - phi1) / 2) ** 2
            + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
        )
        value = 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))
        query = (
            f"Using the haversine formula and an Earth radius of 6371 km, how far is {a['city']} "
            f"({lat1}, {lon1}) from {b['city']} ({lat2}, {lon2})?"
        )
        steps = [
            "a = sin²(Δφ/2) + cos φ1 · cos φ2 · sin²(Δλ/2)",
            f"a = {num(h, 6)}",
            f"d = 2R · asin(√a) = 2 × 6371 × asin({num(math.sqrt(h), 6)}) = {num(value, 0)} km",
        ]
        return Problem(
            query,
            worked(steps, f"{num(value, 0)} km"),
            {"variant": variant, "lat1": lat1, "lon1": lon1, "lat2": lat2, "lon2": lon2},
        )
    speed, hours, minutes = (
        rng.randint(4, 130),
        rng.randint(0, 9),
        rng.choice([0, 10, 15, 20, 30, 40, 45, 50]),
    )
    hours = hours or 1
    value = speed * (hours + minutes / 60)
    duration = f"{hours} h {minutes} min" if minutes else f"{hours} h"
    query = f"A vehicle travels at a constant {speed} km/h for {duration}. How far does it go?"
    steps = [
        f"Time = {num(hours + minutes / 60, 4)} h",
        f"Distance = speed × time = {speed} × {num(hours + minutes / 60, 4)} = {num(value)} km",
    ]
    return Problem(
        query,
        worked(steps, f"{num(value)} km"),
        {"variant": variant, "speed": speed, "hours": hours, "minutes": minutes},
    )


# ----- time_calc -----------------------------------------------------------------------


def hm(total_minutes: int) -> str:
    """Minutes as ``H h M min`` (``M min`` under an hour, ``H h`` on the hour)."""
    hours, minutes = divmod(total_minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def time_calc(rng: random.Random) -> Problem:
    """Clock arithmetic, duration sums and differences, and unit breakdowns of time."""
    variant = rng.choice(["clock_add", "split_seconds", "sum_durations", "clock_diff", "hours_to_minutes"])
    if variant == "clock_add":
        start = rng.randrange(0, 24 * 60, 5)
        add = rng.randint(10, 14 * 60)
        end = start + add
        clock = f"{start // 60:02d}:{start % 60:02d}"
        final = f"{end % 1440 // 60:02d}:{end % 60:02d}" + (" the next day" if end >= 1440 else "")
        query = (
            f"A job starts at {clock} and runs for {hm(add)}. At what time (24-hour clock) does it finish?"
        )
        steps = [
            f"{clock} + {hm(add)} = {start // 60 * 60 + start % 60} min + {add} min = {end} min after "
            "midnight",
            f"{end} min = {end // 60} h {end % 60} min"
            + (" (past 24:00, so the next day)" if end >= 1440 else ""),
        ]
        return Problem(query, worked(steps, final), {"variant": variant, "start": clock, "add_minutes": add})
    if variant == "split_seconds":
        seconds = rng.randint(100, 200_000)
        h, rest = divmod(seconds, 3600)
        m, s = divmod(rest, 60)
        query = f"How many hours, minutes and seconds are {num(seconds)} seconds?"
        steps = [
            f"{num(seconds)} ÷ 3600 = {h} h remainder {rest} s",
            f"{rest} ÷ 60 = {m} min remainder {s} s",
        ]
        return Problem(query, worked(steps, f"{h} h {m} min {s} s"), {"variant": variant, "seconds": seconds})
    if variant == "sum_durations":
        parts = [rng.randint(5, 300) for _ in range(rng.randint(2, 4))]
        total = sum(parts)
        query = f"Add these durations: {' + '.join(hm(p) for p in parts)}. What is the total?"
        steps = [f"In minutes: {' + '.join(map(str, parts))} = {total} min", f"{total} min = {hm(total)}"]
        return Problem(query, worked(steps, hm(total)), {"variant": variant, "parts": parts})
    if variant == "clock_diff":
        start = rng.randrange(0, 20 * 60, 5)
        end = rng.randrange(start + 5, 24 * 60, 5)
        a, b = f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}"
        query = f"How long is it from {a} to {b} on the same day?"
        steps = [
            f"{b} is {end} min after midnight, {a} is {start} min",
            f"{end} - {start} = {end - start} min = {hm(end - start)}",
        ]
        return Problem(query, worked(steps, hm(end - start)), {"variant": variant, "start": a, "end": b})
    hours = rng.randint(1, 200) / 4
    query = f"How many minutes are there in {num(hours)} hours?"
    return Problem(
        query,
        worked([f"{num(hours)} × 60 = {num(hours * 60)} min"], f"{num(hours * 60)} minutes"),
        {"variant": variant, "hours": hours},
    )


# ----- currency_convert ----------------------------------------------------------------

# Rough units per US dollar; only used to make stated rates plausible, never as a fact.
PLAUSIBLE_PER_USD = {
    "USD": 1.0,
    "EUR": 0.92,
    "GBP": 0.79,
    "JPY": 150.0,
    "INR": 83.0,
    "CAD": 1.36,
    "AUD": 1.52,
    "CHF": 0.88,
    "CNY": 7.2,
    "MXN": 17.0,
    "BRL": 5.0,
    "ZAR": 18.5,
    "SEK": 10.5,
    "KRW": 1330.0,
    "SGD": 1.34,
    "NZD": 1.64,
}


def currency_convert(rng: random.Random) -> Problem:
    """Conversions at an exchange rate stated in the question, optionally with a fee."""
    source, target = rng.sample(sorted(PLAUSIBLE_PER_USD), 2)
    rate_text = sig(PLAUSIBLE_PER_USD[target] / PLAUSIBLE_PER_USD[source] * rng.uniform(0.95, 1.05), 4)
    rate = float(rate_text.replace(",", ""))
    amount = rng.choice([rng.randint(5, 5000), round(rng.uniform(1, 2000), 2)])
    variant = rng.choice(["direct", "inverse", "fee"])
    stated = f"1 {source} = {rate_text} {target}"
    if variant == "direct":
        value = amount * rate
        query = f"If {stated}, how much is {fixed(amount)} {source} in {target}?"
        steps = [f"{fixed(amount)} × {rate_text} = {fixed(value)} {target}"]
        final = f"{fixed(value)} {target}"
    elif variant == "inverse":
        value = amount / rate
        query = f"The exchange rate is {stated}. How many {source} do you get for {fixed(amount)} {target}?"
        steps = [f"Divide by the rate: {fixed(amount)} / {rate_text} = {fixed(value)} {source}"]
        final = f"{fixed(value)} {source}"
    else:
        fee = rng.choice([0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 5])
        gross = amount * rate
        value = gross * (1 - fee / 100)
        query = (
            f"You exchange {fixed(amount)} {source} for {target} at {stated}; the bureau keeps "
            f"{an(num(fee))}% fee "
            f"from the converted amount. How much {target} do you receive?"
        )
        steps = [
            f"Converted: {fixed(amount)} × {rate_text} = {fixed(gross)} {target}",
            f"After the fee: {fixed(gross)} × (1 - {num(fee / 100, 4)}) = {fixed(value)} {target}",
        ]
        final = f"{fixed(value)} {target}"
        return Problem(
            query,
            worked(steps, final),
            {"variant": variant, "amount": amount, "rate": rate, "fee": fee, "from": source, "to": target},
        )
    return Problem(
        query,
        worked(steps, final),
        {"variant": variant, "amount": amount, "rate": rate, "from": source, "to": target},
    )


BUILDERS: dict[str, tuple[Kind, Builder]] = {
    "basic_arithmetic": ("calculable", basic_arithmetic),
    "percentage_calc": ("calculable", percentage_calc),
    "unit_conversion": ("calculable", unit_conversion),
    "geometry": ("calculable", geometry),
    "statistics": ("calculable", statistics),
    "algebra": ("calculable", algebra),
    "compound_interest": ("calculable", compound_interest),
    "distance_calc": ("calculable", distance_calc),
    "time_calc": ("calculable", time_calc),
    "currency_convert": ("calculable", currency_convert),
}
