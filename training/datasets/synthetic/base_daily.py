"""Business and daily-life categories: health, money, cooking, sport and calendar sums, all computed."""

from __future__ import annotations

import datetime as dt
import math
import random

from training.datasets.synthetic.data import table
from training.datasets.synthetic.formatting import an, money, num, plural, worked
from training.datasets.synthetic.problem import Builder, Kind, Problem

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FIRST_DAY = dt.date(1950, 1, 1)
LAST_DAY = dt.date(2040, 12, 31)


def bmi_class(bmi: float) -> str:
    """The WHO adult category of a BMI as shown to one decimal."""
    shown = round(bmi, 1)
    if shown < 18.5:
        return "underweight"
    if shown < 25:
        return "normal weight"
    return "overweight" if shown < 30 else "obese"


def bmi_calc(rng: random.Random) -> Problem:
    """Body-mass index from metric or imperial measurements, with the WHO adult category."""
    # Draw a plausible adult BMI first so weight and height go together.
    target = rng.uniform(16, 42)
    if rng.random() < 0.5:
        m = round(rng.uniform(1.45, 2.05), 2)
        kg = round(target * m**2, 1)
        bmi = kg / m**2
        return Problem(
            f"What is the BMI of an adult who weighs {num(kg)} kg and is {m:.2f} m tall?",
            worked(
                [
                    f"BMI = kg / m² = {num(kg)} / {m:.2f}² = {num(kg)} / {num(m * m, 4)} = {bmi:.1f}",
                    "WHO adult ranges: under 18.5 underweight, 18.5–24.9 normal, 25–29.9 overweight, 30+ "
                    "obese",
                ],
                f"{bmi:.1f} ({bmi_class(bmi)})",
            ),
            {"variant": "metric", "kg": kg, "m": m},
        )
    inches = rng.randint(58, 80)
    lb = round(target * inches**2 / 703)
    bmi = 703 * lb / inches**2
    return Problem(
        f"Using BMI = 703 × lb / in², what is the BMI of an adult who weighs {lb} lb and is {inches} inches "
        "tall?",
        worked(
            [
                f"BMI = 703 × {lb} / {inches}² = {703 * lb} / {inches * inches} = {bmi:.1f}",
                "WHO adult ranges: under 18.5 underweight, 18.5–24.9 normal, 25–29.9 overweight, 30+ obese",
            ],
            f"{bmi:.1f} ({bmi_class(bmi)})",
        ),
        {"variant": "imperial", "lb": lb, "inches": inches},
    )


def calorie_burn(rng: random.Random) -> Problem:
    """Energy burned from MET values (kcal = MET × kg × hours), time needed for a target, and comparisons."""
    rows = table("activities")
    row = rng.choice(rows)
    kg = rng.randint(45, 120)
    variant = rng.choice(["burned", "time_needed", "compare"])
    rule = "Use kcal = MET × body mass (kg) × hours."
    if variant == "burned":
        minutes = rng.choice([10, 15, 20, 25, 30, 40, 45, 60, 75, 90, 120])
        kcal = row["met"] * kg * minutes / 60
        return Problem(
            f"About how many kcal does {an(str(kg))} kg person burn doing {row['activity']} (MET "
            f"{num(row['met'])}) for {minutes} minutes? {rule}",
            worked(
                [f"{num(row['met'])} × {kg} × {minutes}/60 h = {num(kcal, 1)} kcal"],
                f"about {num(kcal, 1)} kcal",
            ),
            {"variant": variant, "met": row["met"], "kg": kg, "minutes": minutes},
        )
    if variant == "time_needed":
        target = rng.choice([100, 150, 200, 250, 300, 400, 500, 600])
        minutes = target / (row["met"] * kg) * 60
        return Problem(
            f"How many minutes of {row['activity']} (MET {num(row['met'])}) does {an(str(kg))} kg person "
            f"need to burn {target} kcal? {rule}",
            worked(
                [
                    f"Per hour: {num(row['met'])} × {kg} = {num(row['met'] * kg, 1)} kcal",
                    f"{target} / {num(row['met'] * kg, 1)} × 60 = {num(minutes, 1)} min",
                ],
                f"about {num(minutes, 1)} minutes",
            ),
            {"variant": variant, "met": row["met"], "kg": kg, "target": target},
        )
    other = rng.choice([r for r in rows if r["met"] != row["met"]])
    minutes = rng.choice([20, 30, 45, 60])
    more, less = (row, other) if row["met"] > other["met"] else (other, row)
    a, b = more["met"] * kg * minutes / 60, less["met"] * kg * minutes / 60
    return Problem(
        f"For {an(str(kg))} kg person, how many more kcal do {minutes} minutes of {more['activity']} (MET "
        f"{num(more['met'])}) "
        f"burn than {minutes} minutes of {less['activity']} (MET {num(less['met'])})? {rule}",
        worked(
            [
                f"{more['activity']}: {num(more['met'])} × {kg} × {minutes}/60 = {num(a, 1)} kcal",
                f"{less['activity']}: {num(less['met'])} × {kg} × {minutes}/60 = {num(b, 1)} kcal",
                f"Difference: {num(a - b, 1)} kcal",
            ],
            f"{num(a - b, 1)} kcal more",
        ),
        {"variant": variant, "met1": more["met"], "met2": less["met"], "kg": kg, "minutes": minutes},
    )


def tip_calc(rng: random.Random) -> Problem:
    """Tip, total and each person's share of a bill."""
    bill = round(rng.uniform(8, 600), 2)
    pct = rng.choice([10, 12, 15, 18, 20, 22, 25])
    people = rng.choice([1, 1, 2, 3, 4, 5, 6, 8])
    tip = bill * pct / 100
    total = bill + tip
    steps = [
        f"Tip = {money(bill)} × {pct}% = {money(tip)}",
        f"Total = {money(bill)} + {money(tip)} = {money(total)}",
    ]
    if people == 1:
        return Problem(
            f"The bill is {money(bill)}. How much is {an(str(pct))}% tip, and what is the total?",
            worked(steps, f"tip {money(tip)}, total {money(total)}"),
            {"bill": bill, "pct": pct, "people": people},
        )
    steps.append(f"Each of {people}: {money(total)} / {people} = {money(total / people)}")
    return Problem(
        f"{people} friends share a {money(bill)} bill and add {an(str(pct))}% tip. What is the tip, the "
        "total and each person's share?",
        worked(steps, f"tip {money(tip)}, total {money(total)}, {money(total / people)} each"),
        {"bill": bill, "pct": pct, "people": people},
    )


def tax_calc(rng: random.Random) -> Problem:
    """Sales tax added, VAT extracted from a gross price, and progressive income tax from stated brackets."""
    variant = rng.choice(["add", "extract", "brackets"])
    if variant == "add":
        price, rate = (
            round(rng.uniform(1, 3000), 2),
            rng.choice([4, 5, 6, 6.25, 7, 7.5, 8, 8.875, 10, 13, 15, 20]),
        )
        tax = price * rate / 100
        return Problem(
            f"What do you pay for an item priced {money(price)} with {num(rate, 3)}% sales tax?",
            worked(
                [
                    f"Tax = {money(price)} × {num(rate, 3)}% = {money(tax)}",
                    f"Total = {money(price + tax)}",
                ],
                money(price + tax),
            ),
            {"variant": variant, "price": price, "rate": rate},
        )
    if variant == "extract":
        gross, rate = round(rng.uniform(5, 5000), 2), rng.choice([5, 7, 10, 12, 15, 19, 20, 21, 23, 25])
        net = gross / (1 + rate / 100)
        return Problem(
            f"A price of {money(gross)} includes {rate}% VAT. What is the price before VAT, and how much is "
            "the VAT?",
            worked(
                [
                    f"Net = {money(gross)} / {num(1 + rate / 100)} = {money(net)}",
                    f"VAT = {money(gross)} - {money(net)} = {money(gross - net)}",
                ],
                f"net {money(net)}, VAT {money(gross - net)}",
            ),
            {"variant": variant, "gross": gross, "rate": rate},
        )
    low = rng.choice([10_000, 12_000, 15_000])
    high = low + rng.choice([20_000, 30_000, 40_000])
    r1, r2 = rng.choice([10, 15, 20]), rng.choice([30, 35, 40])
    income = rng.randrange(5_000, 150_001, 500)
    band1 = max(0, min(income, high) - low)
    band2 = max(0, income - high)
    tax = band1 * r1 / 100 + band2 * r2 / 100
    return Problem(
        f"Income tax is 0% on the first {money(low)}, {r1}% on income from {money(low)} to {money(high)}, "
        f"and {r2}% above "
        f"{money(high)}. How much tax is due on {money(income)}, and what is the effective rate?",
        worked(
            [
                f"{money(band1)} taxed at {r1}% = {money(band1 * r1 / 100)}",
                f"{money(band2)} taxed at {r2}% = {money(band2 * r2 / 100)}",
                f"Total tax = {money(tax)}; effective rate = {money(tax)} / {money(income)} = "
                f"{num(tax / income * 100, 2)}%",
            ],
            f"{money(tax)} ({num(tax / income * 100, 2)}% effective)",
        ),
        {"variant": variant, "low": low, "high": high, "r1": r1, "r2": r2, "income": income},
    )


EXPENSES = (
    "rent",
    "groceries",
    "transport",
    "utilities",
    "insurance",
    "phone and internet",
    "entertainment",
    "loan repayment",
)


def budget_calc(rng: random.Random) -> Problem:
    """Money left and savings rate, the 50/30/20 split, and months to reach a savings goal."""
    variant = rng.choice(["left_over", "fifty_thirty_twenty", "goal"])
    income = rng.randrange(1500, 12001, 50)
    if variant == "left_over":
        items = rng.sample(EXPENSES, rng.randint(3, 6))
        amounts = [rng.randrange(20, income // (len(items) + 1), 5) for _ in items]
        spent = sum(amounts)
        left = income - spent
        listing = ", ".join(f"{name} {money(amount)}" for name, amount in zip(items, amounts, strict=True))
        return Problem(
            f"Monthly take-home pay is {money(income)}. Expenses: {listing}. How much is left, as an amount "
            "and as a share of pay?",
            worked(
                [
                    f"Expenses = {' + '.join(num(a) for a in amounts)} = {money(spent)}",
                    f"Left = {money(income)} - {money(spent)} = {money(left)}",
                    f"Share = {money(left)} / {money(income)} = {num(left / income * 100, 2)}%",
                ],
                f"{money(left)} ({num(left / income * 100, 2)}%)",
            ),
            {"variant": variant, "income": income, "amounts": amounts},
        )
    if variant == "fifty_thirty_twenty":
        return Problem(
            f"Split a monthly income of {money(income)} with the 50/30/20 rule (needs/wants/savings).",
            worked(
                [
                    f"Needs 50%: {money(income * 0.5)}",
                    f"Wants 30%: {money(income * 0.3)}",
                    f"Savings 20%: {money(income * 0.2)}",
                ],
                f"{money(income * 0.5)} needs, {money(income * 0.3)} wants, {money(income * 0.2)} savings",
            ),
            {"variant": variant, "income": income},
        )
    goal, monthly, start = (
        rng.randrange(1000, 50001, 500),
        rng.randrange(50, 2001, 25),
        rng.randrange(0, 5001, 100),
    )
    start = min(start, goal - monthly)
    months = math.ceil((goal - start) / monthly)
    return Problem(
        f"You have {money(start)} saved and put aside {money(monthly)} a month. How many months until you "
        f"reach {money(goal)}?",
        worked(
            [
                f"Still needed: {money(goal)} - {money(start)} = {money(goal - start)}",
                f"{money(goal - start)} / {money(monthly)} = {num((goal - start) / monthly, 2)}, rounded up "
                "to whole months",
            ],
            f"{months} months",
        ),
        {"variant": variant, "goal": goal, "monthly": monthly, "start": start},
    )


RECIPES: dict[str, list[tuple[str, float, str]]] = {
    "pancakes": [
        ("flour", 200, "g"),
        ("milk", 300, "ml"),
        ("eggs", 2, ""),
        ("sugar", 25, "g"),
        ("butter", 30, "g"),
    ],
    "tomato soup": [
        ("tomatoes", 800, "g"),
        ("onion", 1, ""),
        ("vegetable stock", 500, "ml"),
        ("olive oil", 2, "tbsp"),
        ("salt", 1, "tsp"),
    ],
    "banana bread": [
        ("flour", 250, "g"),
        ("ripe bananas", 3, ""),
        ("sugar", 150, "g"),
        ("butter", 100, "g"),
        ("baking soda", 1, "tsp"),
    ],
    "vinaigrette": [
        ("olive oil", 90, "ml"),
        ("vinegar", 30, "ml"),
        ("mustard", 1, "tsp"),
        ("honey", 0.5, "tsp"),
    ],
    "risotto": [
        ("arborio rice", 320, "g"),
        ("stock", 1.2, "l"),
        ("parmesan", 60, "g"),
        ("butter", 40, "g"),
        ("white wine", 120, "ml"),
    ],
    "chocolate cookies": [
        ("flour", 280, "g"),
        ("butter", 170, "g"),
        ("brown sugar", 200, "g"),
        ("eggs", 2, ""),
        ("chocolate chips", 180, "g"),
    ],
}


def recipe_scale(rng: random.Random) -> Problem:
    """Ingredient amounts scaled from one number of servings to another."""
    name = rng.choice(sorted(RECIPES))
    servings = rng.choice([2, 4, 6, 8])
    target = rng.choice([s for s in (1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20) if s != servings])
    factor = target / servings
    items = RECIPES[name]
    shown = ", ".join(f"{num(q)}{' ' + u if u else ''} {ing}" for ing, q, u in items)
    scaled = ", ".join(f"{num(q * factor, 2)}{' ' + u if u else ''} {ing}" for ing, q, u in items)
    return Problem(
        f"A {name} recipe for {servings} servings uses {shown}. Scale it to {plural(target, 'serving')}.",
        worked(
            [
                f"Factor = {target} / {servings} = {num(factor, 4)}",
                "Multiply every amount by the factor",
            ],
            scaled,
        ),
        {"recipe": name, "servings": servings, "target": target, "amounts": [q for _, q, _ in items]},
    )


def temp_conversion(rng: random.Random) -> Problem:
    """Celsius, Fahrenheit and kelvin conversions."""
    variant = rng.choice(["c_to_f", "f_to_c", "c_to_k", "k_to_c", "f_to_k"])
    if variant == "c_to_f":
        c = rng.randint(-60, 250)
        return Problem(
            f"Convert {c} °C to Fahrenheit.",
            worked(
                [f"°F = °C × 9/5 + 32 = {c} × 1.8 + 32 = {num(c * 1.8 + 32, 2)} °F"],
                f"{num(c * 1.8 + 32, 2)} °F",
            ),
            {"variant": variant, "t": c},
        )
    if variant == "f_to_c":
        f = rng.randint(-60, 480)
        return Problem(
            f"What is {f} °F in Celsius?",
            worked(
                [f"°C = (°F - 32) × 5/9 = ({f} - 32) × 5/9 = {num((f - 32) * 5 / 9, 2)} °C"],
                f"{num((f - 32) * 5 / 9, 2)} °C",
            ),
            {"variant": variant, "t": f},
        )
    if variant == "c_to_k":
        c = round(rng.uniform(-273, 1500), 1)
        return Problem(
            f"Convert {num(c)} °C to kelvin.",
            worked(
                [f"K = °C + 273.15 = {num(c)} + 273.15 = {num(c + 273.15, 2)} K"], f"{num(c + 273.15, 2)} K"
            ),
            {"variant": variant, "t": c},
        )
    if variant == "k_to_c":
        k = round(rng.uniform(0, 1800), 1)
        return Problem(
            f"What is {num(k)} K in degrees Celsius?",
            worked(
                [f"°C = K - 273.15 = {num(k)} - 273.15 = {num(k - 273.15, 2)} °C"], f"{num(k - 273.15, 2)} °C"
            ),
            {"variant": variant, "t": k},
        )
    f = rng.randint(-400, 900)
    k = (f - 32) * 5 / 9 + 273.15
    return Problem(
        f"Convert {f} °F to kelvin.",
        worked(
            [f"K = (°F - 32) × 5/9 + 273.15 = ({f} - 32) × 5/9 + 273.15 = {num(k, 2)} K"], f"{num(k, 2)} K"
        ),
        {"variant": variant, "t": f},
    )


def sports_stats(rng: random.Random) -> Problem:
    """Points per game, shooting and winning percentages, batting average, goals per 90 and running pace."""
    variant = rng.choice(["ppg", "fg_pct", "batting", "win_pct", "per90", "pace"])
    if variant == "ppg":
        games = rng.randint(5, 82)
        points = rng.randint(games * 2, games * 35)
        return Problem(
            f"A basketball player scored {points} points in {games} games. What is the average per game?",
            worked(
                [f"{points} / {games} = {num(points / games, 2)}"],
                f"{num(points / games, 2)} points per game",
            ),
            {"variant": variant, "points": points, "games": games},
        )
    if variant == "fg_pct":
        attempts = rng.randint(20, 1500)
        made = rng.randint(attempts // 4, attempts * 3 // 5)
        return Problem(
            f"A player made {made} of {attempts} field-goal attempts. What is the field-goal percentage?",
            worked(
                [f"{made} / {attempts} × 100 = {num(made / attempts * 100, 1)}%"],
                f"{num(made / attempts * 100, 1)}%",
            ),
            {"variant": variant, "made": made, "attempts": attempts},
        )
    if variant == "batting":
        at_bats = rng.randint(50, 650)
        hits = rng.randint(at_bats // 6, at_bats * 2 // 5)
        avg = hits / at_bats
        return Problem(
            f"A batter has {hits} hits in {at_bats} at-bats. What is the batting average?",
            worked(
                [
                    f"{hits} / {at_bats} = {avg:.4f}",
                    "Batting averages are quoted to three decimals, usually without the leading zero: "
                    f"{f'{avg:.3f}'.lstrip('0')}",
                ],
                f"{avg:.3f}",
            ),
            {"variant": variant, "hits": hits, "at_bats": at_bats},
        )
    if variant == "win_pct":
        wins, losses = rng.randint(0, 82), rng.randint(0, 82)
        wins = wins or 1
        pct = wins / (wins + losses)
        return Problem(
            f"A team won {wins} games and lost {losses}. What is its winning percentage?",
            worked(
                [f"{wins} / ({wins} + {losses}) = {num(pct, 4)} = {num(pct * 100, 1)}%"],
                f"{num(pct * 100, 1)}%",
            ),
            {"variant": variant, "wins": wins, "losses": losses},
        )
    if variant == "per90":
        minutes, goals = rng.randint(300, 3400), rng.randint(0, 35)
        return Problem(
            f"A striker scored {goals} goals in {minutes} minutes played. How many goals is that per 90 "
            "minutes?",
            worked(
                [f"{goals} / {minutes} × 90 = {num(goals / minutes * 90, 2)}"],
                f"{num(goals / minutes * 90, 2)} goals per 90",
            ),
            {"variant": variant, "goals": goals, "minutes": minutes},
        )
    km = rng.choice([5, 10, 15, 21.0975, 42.195])
    seconds = round(km * rng.uniform(210, 420))
    pace = seconds / km
    finish = f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    pace_text = (
        f"{int(pace // 60)}:{round(pace % 60):02d}" if round(pace % 60) < 60 else f"{int(pace // 60) + 1}:00"
    )
    return Problem(
        f"A runner finishes {num(km, 4)} km in {finish}. What is the average pace per kilometre?",
        worked(
            [
                f"{finish} = {seconds} s",
                f"{seconds} / {num(km, 4)} = {num(pace, 1)} s per km = {pace_text} min/km",
            ],
            f"{pace_text} per km",
        ),
        {"variant": variant, "km": km, "seconds": seconds},
    )


def random_date(rng: random.Random, first: dt.date = FIRST_DAY, last: dt.date = LAST_DAY) -> dt.date:
    """A uniformly drawn date in [first, last]."""
    return first + dt.timedelta(days=rng.randint(0, (last - first).days))


def long(day: dt.date) -> str:
    """``20 July 1969``."""
    return f"{day.day} {day.strftime('%B')} {day.year}"


def completed_years(born: dt.date, on: dt.date) -> int:
    """Whole years from ``born`` to ``on``."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_calc(rng: random.Random) -> Problem:
    """Age in completed years on a given date, days lived, and the year a birthday milestone falls."""
    born = random_date(rng, FIRST_DAY, dt.date(2015, 12, 31))
    if born.month == 2 and born.day == 29:
        born = born.replace(day=28)
    variant = rng.choice(["age_on", "days_lived", "milestone"])
    if variant == "age_on":
        on = random_date(rng, born + dt.timedelta(days=400), LAST_DAY)
        years = completed_years(born, on)
        had = (on.month, on.day) >= (born.month, born.day)
        return Problem(
            f"Someone was born on {long(born)}. How old are they on {long(on)}?",
            worked(
                [
                    f"{on.year} - {born.year} = {on.year - born.year}",
                    f"The {born.day} {born.strftime('%B')} birthday {'has' if had else 'has not yet'} come "
                    f"by {long(on)}" + ("" if had else ", so subtract 1"),
                ],
                f"{years} years old",
            ),
            {"variant": variant, "born": born.isoformat(), "on": on.isoformat()},
        )
    if variant == "days_lived":
        on = random_date(rng, born + dt.timedelta(days=30), LAST_DAY)
        days = (on - born).days
        return Problem(
            f"How many days are there from a birth date of {long(born)} to {long(on)}?",
            worked(
                [
                    f"Counting calendar days (leap years included) from {born.isoformat()} to "
                    f"{on.isoformat()}: {num(days)} days",
                    f"That is about {num(days / 365.2425, 2)} years",
                ],
                f"{num(days)} days",
            ),
            {"variant": variant, "born": born.isoformat(), "on": on.isoformat()},
        )
    age = rng.choice([18, 21, 30, 40, 50, 65, 100])
    return Problem(
        f"Someone born on {long(born)} turns {age} on what date?",
        worked([f"{born.year} + {age} = {born.year + age}"], long(born.replace(year=born.year + age))),
        {"variant": variant, "born": born.isoformat(), "age": age},
    )


def date_diff(rng: random.Random) -> Problem:
    """Days between dates, a date plus a number of days, weeks and days, and working days."""
    variant = rng.choice(["days_between", "add_days", "weeks", "working_days"])
    a = random_date(rng)
    if variant == "add_days":
        n = rng.randint(1, 1000)
        b = a + dt.timedelta(days=n)
        return Problem(
            f"What date is {n} days after {long(a)}, and what day of the week is it?",
            worked(
                [
                    f"{long(a)} + {n} days = {long(b)}",
                    f"It is a {WEEKDAYS[b.weekday()]}",
                ],
                f"{long(b)} ({WEEKDAYS[b.weekday()]})",
            ),
            {"variant": variant, "start": a.isoformat(), "days": n},
        )
    b = a + dt.timedelta(days=rng.randint(1, 3000 if variant != "working_days" else 120))
    days = (b - a).days
    if variant == "days_between":
        return Problem(
            f"How many days are there from {long(a)} to {long(b)}?",
            worked(
                [
                    f"Counting calendar days from {a.isoformat()} to {b.isoformat()} (leap days included): "
                    f"{num(days)}"
                ],
                f"{num(days)} days",
            ),
            {"variant": variant, "start": a.isoformat(), "end": b.isoformat()},
        )
    if variant == "weeks":
        return Problem(
            f"How many weeks and days are there from {long(a)} to {long(b)}?",
            worked(
                [f"{num(days)} days = {days // 7} × 7 + {days % 7}"], f"{days // 7} weeks and {days % 7} days"
            ),
            {"variant": variant, "start": a.isoformat(), "end": b.isoformat()},
        )
    full_weeks, rest = divmod(days, 7)
    extra = sum(1 for i in range(rest) if (a + dt.timedelta(days=full_weeks * 7 + i)).weekday() < 5)
    working = full_weeks * 5 + extra
    return Problem(
        f"How many working days (Monday to Friday, no holidays) are there from {long(a)} up to but not "
        f"including {long(b)}?",
        worked(
            [
                f"{long(a)} is a {WEEKDAYS[a.weekday()]}; the span is {days} days = {full_weeks} full weeks "
                f"+ {rest} days",
                f"{full_weeks} × 5 = {full_weeks * 5} working days, plus {extra} in the remaining {rest} "
                "days",
            ],
            plural(working, "working day"),
        ),
        {"variant": variant, "start": a.isoformat(), "end": b.isoformat()},
    )


BUILDERS: dict[str, tuple[Kind, Builder]] = {
    "bmi_calc": ("calculable", bmi_calc),
    "calorie_burn": ("calculable", calorie_burn),
    "tip_calc": ("calculable", tip_calc),
    "tax_calc": ("calculable", tax_calc),
    "budget_calc": ("calculable", budget_calc),
    "recipe_scale": ("calculable", recipe_scale),
    "temp_conversion": ("calculable", temp_conversion),
    "sports_stats": ("calculable", sports_stats),
    "age_calc": ("calculable", age_calc),
    "date_diff": ("calculable", date_diff),
}
