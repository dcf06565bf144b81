"""Science categories: computed physics and chemistry, and curated facts (elements, biology, astronomy)."""

from __future__ import annotations

import math
import random
from decimal import Decimal

from training.datasets.synthetic.chemistry import atom_counts, mass_terms, molar_mass, side_atoms, side_text
from training.datasets.synthetic.data import table
from training.datasets.synthetic.formatting import an, article, money, num, sci, sig, worked
from training.datasets.synthetic.problem import Builder, Kind, Problem

G_EARTH = 9.81
LIGHT_SECONDS_PER_AU = 499.005


def _qa(rng: random.Random, rows: list[dict]) -> Problem:
    """A curated question (one of its phrasings) with its answer."""
    row = rng.choice(rows)
    return Problem(rng.choice(row["q"]), worked([row["a"]], row["short"]), {"fact": row["q"][0]})


# ----- chemistry -----------------------------------------------------------------------


def chemistry(rng: random.Random) -> Problem:
    """Formulas and names of compounds, molar masses, moles, mass percentages and balanced equations."""
    variant = rng.choice(["formula_of", "name_of", "molar_mass", "moles", "mass_percent", "balance"])
    if variant == "balance":
        reaction = rng.choice(table("reactions"))
        unbalanced = f"{' + '.join(reaction['reactants'])} → {' + '.join(reaction['products'])}"
        balanced = f"{side_text(reaction['reactants'])} → {side_text(reaction['products'])}"
        atoms = side_atoms(reaction["reactants"])
        check = ", ".join(f"{element} {atoms[element]}" for element in sorted(atoms))
        return Problem(
            f"Balance the chemical equation for {reaction['name']}: {unbalanced}",
            worked([f"Balanced: {balanced}", f"Atoms on each side: {check}"], balanced),
            {"variant": variant, "reaction": reaction["name"]},
        )
    compound = rng.choice(table("compounds"))
    name, formula = compound["name"], compound["formula"]
    counts = atom_counts(formula)
    names = {row["symbol"]: row["name"] for row in table("elements")}
    described = ", ".join(f"{n} {names[element]} atom{'s' if n > 1 else ''}" for element, n in counts.items())
    if variant == "formula_of":
        return Problem(
            rng.choice([f"What is the chemical formula of {name}?", f"Write the formula for {name}."]),
            worked([f"{name.capitalize()} is {formula}: {described} per formula unit."], formula),
            {"variant": variant, "compound": name},
        )
    if variant == "name_of":
        return Problem(
            rng.choice([f"Which compound has the formula {formula}?", f"Name the compound {formula}."]),
            worked([f"{formula} ({described}) is {name}."], name),
            {"variant": variant, "formula": formula},
        )
    terms = mass_terms(formula)
    mass = molar_mass(formula)
    sum_text = " + ".join(f"{n} × {m}" for _, n, m in terms)
    if variant == "molar_mass":
        return Problem(
            f"Calculate the molar mass of {formula} ({name}).",
            worked([f"M = {sum_text} = {num(mass, 3)} g/mol"], f"{num(mass, 3)} g/mol"),
            {"variant": variant, "formula": formula},
        )
    if variant == "moles":
        grams = round(rng.uniform(1, 500), 1)
        moles = grams / mass
        return Problem(
            f"How many moles are in {num(grams, 1)} g of {formula}?",
            worked(
                [
                    f"M({formula}) = {sum_text} = {num(mass, 3)} g/mol",
                    f"n = m / M = {num(grams, 1)} / {num(mass, 3)} = {num(moles, 4)} mol",
                ],
                f"{num(moles, 4)} mol",
            ),
            {"variant": variant, "formula": formula, "grams": grams},
        )
    element, n, atomic = rng.choice(terms)
    share = n * atomic / mass * 100
    return Problem(
        f"What percentage of the mass of {formula} ({name}) is {names[element]}?",
        worked(
            [
                f"M({formula}) = {sum_text} = {num(mass, 3)} g/mol",
                f"{names[element].capitalize()}: {n} × {atomic} = {num(n * atomic, 3)} g/mol",
                f"{num(n * atomic, 3)} / {num(mass, 3)} × 100 = {num(share, 2)}%",
            ],
            f"{num(share, 2)}%",
        ),
        {"variant": variant, "formula": formula, "element": element},
    )


# ----- physics -------------------------------------------------------------------------


def physics(rng: random.Random) -> Problem:
    """Newton's second law, weight, Ohm's law, electric power, momentum, pressure, waves and work."""
    variant = rng.choice(
        [
            "force",
            "acceleration",
            "weight",
            "ohm_v",
            "ohm_i",
            "ohm_r",
            "power",
            "momentum",
            "pressure",
            "wave",
            "work",
        ]
    )

    def u(lo: float, hi: float, places: int = 1) -> float:
        return round(rng.uniform(lo, hi), places)

    if variant == "force":
        m, a = u(0.5, 2000), u(0.1, 30)
        q, steps, final = (
            f"What net force accelerates {an(num(m))} kg mass at {num(a)} m/s²?",
            [f"F = m × a = {num(m)} × {num(a)} = {sig(m * a)} N"],
            f"{sig(m * a)} N",
        )
        params = {"m": m, "a": a}
    elif variant == "acceleration":
        f, m = u(1, 20000), u(0.5, 2000)
        q, steps, final = (
            f"A net force of {num(f)} N acts on {an(num(m))} kg object. What is its acceleration?",
            [f"a = F / m = {num(f)} / {num(m)} = {sig(f / m)} m/s²"],
            f"{sig(f / m)} m/s²",
        )
        params = {"f": f, "m": m}
    elif variant == "weight":
        m = u(0.5, 500)
        q, steps, final = (
            f"What is the weight on Earth of {an(num(m))} kg mass (g = 9.81 m/s²)?",
            [f"W = m × g = {num(m)} × 9.81 = {sig(m * G_EARTH)} N"],
            f"{sig(m * G_EARTH)} N",
        )
        params = {"m": m, "g": G_EARTH}
    elif variant == "ohm_v":
        i, r = u(0.01, 20, 2), u(1, 5000)
        q, steps, final = (
            f"A current of {num(i)} A flows through {an(num(r))} Ω resistor. What is the voltage across it?",
            [f"V = I × R = {num(i)} × {num(r)} = {sig(i * r)} V"],
            f"{sig(i * r)} V",
        )
        params = {"i": i, "r": r}
    elif variant == "ohm_i":
        v, r = u(1, 240), u(1, 5000)
        q, steps, final = (
            f"What current flows when {num(v)} V is applied across {num(r)} Ω?",
            [f"I = V / R = {num(v)} / {num(r)} = {sig(v / r)} A"],
            f"{sig(v / r)} A",
        )
        params = {"v": v, "r": r}
    elif variant == "ohm_r":
        v, i = u(1, 240), u(0.01, 20, 2)
        q, steps, final = (
            f"A device draws {num(i)} A from {an(num(v))} V supply. What is its resistance?",
            [f"R = V / I = {num(v)} / {num(i)} = {sig(v / i)} Ω"],
            f"{sig(v / i)} Ω",
        )
        params = {"v": v, "i": i}
    elif variant == "power":
        v, i = rng.choice([5, 12, 24, 110, 120, 230, 240]), u(0.1, 15, 2)
        q, steps, final = (
            f"What power does an appliance use if it draws {num(i)} A at {v} V?",
            [f"P = V × I = {v} × {num(i)} = {sig(v * i)} W"],
            f"{sig(v * i)} W",
        )
        params = {"v": v, "i": i}
    elif variant == "momentum":
        m, v = u(0.05, 30000), u(0.5, 100)
        q, steps, final = (
            f"What is the momentum of {an(num(m))} kg object moving at {num(v)} m/s?",
            [f"p = m × v = {num(m)} × {num(v)} = {sig(m * v)} kg·m/s"],
            f"{sig(m * v)} kg·m/s",
        )
        params = {"m": m, "v": v}
    elif variant == "pressure":
        f, area = u(10, 50000), u(0.01, 20, 2)
        q, steps, final = (
            f"A force of {num(f)} N is spread evenly over {num(area)} m². What pressure does it exert?",
            [f"P = F / A = {num(f)} / {num(area)} = {sig(f / area)} Pa"],
            f"{sig(f / area)} Pa",
        )
        params = {"f": f, "area": area}
    elif variant == "wave":
        f = rng.choice([20, 50, 110, 220, 256, 440, 512, 1000, 2000, 5000, 10000])
        q, steps, final = (
            f"Sound travels at 343 m/s in air. What is the wavelength of {an(str(f))} Hz tone?",
            [f"λ = v / f = 343 / {f} = {sig(343 / f)} m"],
            f"{sig(343 / f)} m",
        )
        params = {"v": 343, "f": f}
    else:
        f, d = u(1, 5000), u(0.1, 500)
        q, steps, final = (
            f"How much work is done pushing an object {num(d)} m with a constant {num(f)} N force along the "
            "motion?",
            [f"W = F × d = {num(f)} × {num(d)} = {sig(f * d)} J"],
            f"{sig(f * d)} J",
        )
        params = {"f": f, "d": d}
    return Problem(q, worked(steps, final), {"variant": variant, **params})


# ----- scientific_notation -------------------------------------------------------------


def plain_decimal(mantissa: str, exponent: int) -> str:
    """``mantissa × 10^exponent`` written out in full, e.g. ``0.000732`` or ``45,600,000``."""
    value = Decimal(mantissa).scaleb(exponent)
    text = format(value.normalize(), "f")
    whole, _, frac = text.partition(".")
    grouped = f"{int(whole):,}" if whole.lstrip("-") else whole
    return grouped + (f".{frac}" if frac else "")


def scientific_notation(rng: random.Random) -> Problem:
    """Writing numbers in and out of scientific notation, and multiplying or dividing in it."""
    variant = rng.choice(["to_sci", "from_sci", "multiply", "divide"])

    def mantissa() -> str:
        return f"{rng.randint(100, 999) / 100:.2f}".rstrip("0").rstrip(".")

    if variant in ("to_sci", "from_sci"):
        m, e = mantissa(), rng.choice([e for e in range(-9, 11) if e])
        written, in_sci = plain_decimal(m, e), f"{m} × 10^{e}"
        if variant == "to_sci":
            direction = "left" if e > 0 else "right"
            steps = [
                f"Move the decimal point {abs(e)} place{'s' if abs(e) > 1 else ''} {direction} to get {m}, "
                f"a number between 1 and 10",
                f"{written} = {in_sci}",
            ]
            return Problem(
                rng.choice(
                    [f"Write {written} in scientific notation.", f"Express {written} in scientific notation."]
                ),
                worked(steps, in_sci),
                {"variant": variant, "value": written},
            )
        steps = [
            f"10^{e} moves the decimal point {abs(e)} place{'s' if abs(e) > 1 else ''} to the "
            f"{'right' if e > 0 else 'left'}",
            f"{in_sci} = {written}",
        ]
        return Problem(
            f"Write {in_sci} as an ordinary number.",
            worked(steps, written),
            {"variant": variant, "mantissa": float(m), "exponent": e},
        )
    a, b = mantissa(), mantissa()
    ea, eb = rng.randint(-12, 12), rng.randint(-12, 12)
    op = "×" if variant == "multiply" else "÷"
    raw = float(a) * float(b) if variant == "multiply" else float(a) / float(b)
    exponent = ea + eb if variant == "multiply" else ea - eb
    value = raw * 10.0**exponent
    steps = [
        f"Mantissas: {a} {op} {b} = {num(raw, 4)}",
        f"Exponents: 10^{ea} {op} 10^{eb} = 10^{exponent}",
        f"Normalise: {num(raw, 4)} × 10^{exponent} = {sci(value)}",
    ]
    return Problem(
        f"Calculate ({a} × 10^{ea}) {op} ({b} × 10^{eb}) and give the result in scientific notation.",
        worked(steps, sci(value)),
        {"variant": variant, "a": float(a), "ea": ea, "b": float(b), "eb": eb},
    )


# ----- energy_calc ---------------------------------------------------------------------


def energy_calc(rng: random.Random) -> Problem:
    """Kinetic and potential energy, electricity use and cost, joule–calorie conversions and power."""
    variant = rng.choice(["kinetic", "potential", "kwh_cost", "joules_to_kcal", "kcal_to_kj", "power"])
    if variant == "kinetic":
        m, v = round(rng.uniform(0.1, 2000), 1), round(rng.uniform(1, 60), 1)
        e = 0.5 * m * v * v
        return Problem(
            f"What is the kinetic energy of {an(num(m))} kg object moving at {num(v)} m/s?",
            worked([f"KE = ½ m v² = 0.5 × {num(m)} × {num(v)}² = {sig(e)} J"], f"{sig(e)} J"),
            {"variant": variant, "m": m, "v": v},
        )
    if variant == "potential":
        m, h = round(rng.uniform(0.1, 500), 1), round(rng.uniform(0.5, 300), 1)
        e = m * G_EARTH * h
        return Problem(
            f"How much gravitational potential energy does {an(num(m))} kg mass gain when lifted {num(h)} m "
            "(g = 9.81 m/s²)?",
            worked([f"PE = m g h = {num(m)} × 9.81 × {num(h)} = {sig(e)} J"], f"{sig(e)} J"),
            {"variant": variant, "m": m, "h": h, "g": G_EARTH},
        )
    if variant == "kwh_cost":
        watts, hours, days = (
            rng.choice([9, 15, 60, 100, 150, 400, 800, 1200, 2000, 2500]),
            rng.choice([0.5, 1, 2, 3, 4, 6, 8, 24]),
            rng.choice([7, 30, 31, 365]),
        )
        price = rng.choice([0.1, 0.12, 0.15, 0.18, 0.22, 0.25, 0.3, 0.35])
        kwh = watts * hours * days / 1000
        cost = kwh * price
        return Problem(
            f"{an(str(watts), capital=True)} W device runs {num(hours)} h a day for {days} days. Electricity "
            f"costs {money(price)} per kWh. "
            f"How much energy does it use and what does it cost?",
            worked(
                [
                    f"Energy = {watts} W × {num(hours)} h × {days} / 1000 = {num(kwh, 3)} kWh",
                    f"Cost = {num(kwh, 3)} × {money(price)} = {money(cost)}",
                ],
                f"{num(kwh, 3)} kWh, {money(cost)}",
            ),
            {"variant": variant, "watts": watts, "hours": hours, "days": days, "price": price},
        )
    if variant == "joules_to_kcal":
        joules = rng.randint(1000, 5_000_000)
        kcal = joules / 4184
        return Problem(
            f"Convert {num(joules)} J to kilocalories (1 kcal = 4184 J).",
            worked([f"{num(joules)} / 4184 = {sig(kcal)} kcal"], f"{sig(kcal)} kcal"),
            {"variant": variant, "joules": joules},
        )
    if variant == "kcal_to_kj":
        kcal = rng.randint(50, 3000)
        return Problem(
            f"A snack contains {kcal} kcal. How many kilojoules is that (1 kcal = 4.184 kJ)?",
            worked([f"{kcal} × 4.184 = {num(kcal * 4.184, 3)} kJ"], f"{num(kcal * 4.184, 3)} kJ"),
            {"variant": variant, "kcal": kcal},
        )
    energy, seconds = rng.randint(100, 500_000), rng.randint(2, 3600)
    return Problem(
        f"A machine does {num(energy)} J of work in {seconds} s. What is its average power?",
        worked(
            [f"P = E / t = {num(energy)} / {seconds} = {sig(energy / seconds)} W"],
            f"{sig(energy / seconds)} W",
        ),
        {"variant": variant, "energy": energy, "seconds": seconds},
    )


# ----- density_calc --------------------------------------------------------------------


def density_calc(rng: random.Random) -> Problem:
    """Density from mass and volume, mass or volume from a stated density, floating, and unit changes."""
    variant = rng.choice(["density", "mass", "volume", "floats", "to_si"])
    if variant in ("density", "floats"):
        m, v = round(rng.uniform(1, 5000), 1), round(rng.uniform(1, 2000), 1)
        rho = m / v
        steps = [f"ρ = m / V = {num(m)} g / {num(v)} cm³ = {num(rho, 3)} g/cm³"]
        if variant == "density":
            return Problem(
                f"An object has a mass of {num(m)} g and a volume of {num(v)} cm³. What is its density?",
                worked(steps, f"{num(rho, 3)} g/cm³"),
                {"variant": variant, "m": m, "v": v},
            )
        verdict = "sinks" if rho > 1 else "floats" if rho < 1 else "is neutrally buoyant"
        steps.append(
            f"Water is 1.00 g/cm³; {num(rho, 3)} is "
            f"{'more' if rho > 1 else 'less' if rho < 1 else 'the same'}, so it {verdict}"
        )
        return Problem(
            f"A solid block of {num(m)} g has a volume of {num(v)} cm³. Does it float in fresh water (1.00 "
            "g/cm³)?",
            worked(steps, f"{num(rho, 3)} g/cm³, it {verdict}"),
            {"variant": variant, "m": m, "v": v},
        )
    material = rng.choice(table("materials"))
    rho = material["density"]
    if variant == "mass":
        v = round(rng.uniform(1, 1000), 1)
        return Problem(
            f"What is the mass of {num(v)} cm³ of {material['material']} (density {num(rho, 3)} g/cm³)?",
            worked([f"m = ρ × V = {num(rho, 3)} × {num(v)} = {num(rho * v, 2)} g"], f"{num(rho * v, 2)} g"),
            {"variant": variant, "rho": rho, "v": v},
        )
    if variant == "volume":
        m = round(rng.uniform(1, 5000), 1)
        return Problem(
            f"What volume does {num(m)} g of {material['material']} occupy (density {num(rho, 3)} g/cm³)?",
            worked(
                [f"V = m / ρ = {num(m)} / {num(rho, 3)} = {num(m / rho, 2)} cm³"], f"{num(m / rho, 2)} cm³"
            ),
            {"variant": variant, "rho": rho, "m": m},
        )
    return Problem(
        f"The density of {material['material']} is {num(rho, 3)} g/cm³. What is that in kg/m³?",
        worked(
            [f"1 g/cm³ = 1000 kg/m³, so {num(rho, 3)} × 1000 = {num(rho * 1000, 1)} kg/m³"],
            f"{num(rho * 1000, 1)} kg/m³",
        ),
        {"variant": variant, "rho": rho},
    )


# ----- ph_calc -------------------------------------------------------------------------


def acidity(ph: float) -> str:
    """Acidic, neutral or basic at 25 °C, judged on the pH as shown (two decimals)."""
    shown = round(ph, 2)
    return "acidic" if shown < 7 else "basic" if shown > 7 else "neutral"


def ph_calc(rng: random.Random) -> Problem:
    """pH from [H+] or [OH-], [H+] from pH, and strong acids and bases (25 °C, Kw = 1.0 × 10^-14)."""
    variant = rng.choice(["ph_from_h", "h_from_ph", "ph_from_oh", "strong_acid", "strong_base"])
    m, e = rng.randint(10, 99) / 10, rng.randint(1, 13)
    conc = m * 10.0**-e
    shown = f"{num(m, 1)} × 10^-{e}"
    if variant == "ph_from_h":
        ph = -math.log10(conc)
        return Problem(
            f"What is the pH of a solution with [H+] = {shown} M?",
            worked(
                [
                    f"pH = -log10[H+] = -log10({shown}) = {num(ph, 2)}",
                    f"At 25 °C that is {acidity(ph)} (neutral is pH 7)",
                ],
                f"pH {num(ph, 2)} ({acidity(ph)})",
            ),
            {"variant": variant, "mantissa": m, "exponent": -e},
        )
    if variant == "ph_from_oh":
        poh = -math.log10(conc)
        ph = 14 - poh
        return Problem(
            f"At 25 °C a solution has [OH-] = {shown} M. What is its pH?",
            worked(
                [
                    f"pOH = -log10({shown}) = {num(poh, 2)}",
                    f"pH = 14 - pOH = {num(ph, 2)} ({acidity(ph)})",
                ],
                f"pH {num(ph, 2)} ({acidity(ph)})",
            ),
            {"variant": variant, "mantissa": m, "exponent": -e},
        )
    if variant == "h_from_ph":
        ph = round(rng.uniform(0.5, 13.5), 2)
        h = 10.0**-ph
        return Problem(
            f"A solution has a pH of {num(ph, 2)}. What is its hydrogen-ion concentration?",
            worked([f"[H+] = 10^-pH = 10^-{num(ph, 2)} = {sci(h)} M"], f"{sci(h)} M"),
            {"variant": variant, "ph": ph},
        )
    c_mant, c_exp = rng.choice([1, 2, 2.5, 5]), rng.randint(1, 4)
    c = c_mant * 10.0**-c_exp
    c_shown = f"{num(c_mant)} × 10^-{c_exp}"
    if variant == "strong_acid":
        ph = -math.log10(c)
        return Problem(
            f"What is the pH of {c_shown} M hydrochloric acid (a strong acid, fully dissociated)?",
            worked(
                [
                    f"HCl dissociates fully, so [H+] = {c_shown} M",
                    f"pH = -log10({c_shown}) = {num(ph, 2)}",
                ],
                f"pH {num(ph, 2)} ({acidity(ph)})",
            ),
            {"variant": variant, "mantissa": c_mant, "exponent": -c_exp},
        )
    poh = -math.log10(c)
    return Problem(
        f"What is the pH of {c_shown} M sodium hydroxide at 25 °C (a strong base, fully dissociated)?",
        worked(
            [
                f"[OH-] = {c_shown} M, so pOH = {num(poh, 2)}",
                f"pH = 14 - {num(poh, 2)} = {num(14 - poh, 2)}",
            ],
            f"pH {num(14 - poh, 2)} ({acidity(14 - poh)})",
        ),
        {"variant": variant, "mantissa": c_mant, "exponent": -c_exp},
    )


# ----- speed_calc ----------------------------------------------------------------------

KM_PER_MILE = 1.609344


def speed_calc(rng: random.Random) -> Problem:
    """Average speed, travel time, two-leg averages, speed unit conversions and acceleration."""
    variant = rng.choice(["speed", "time", "two_legs", "kmh_to_ms", "mph_to_kmh", "acceleration"])
    if variant == "speed":
        d, minutes = rng.randint(1, 900), rng.randint(5, 720)
        v = d / (minutes / 60)
        return Problem(
            f"A train covers {d} km in {minutes // 60} h {minutes % 60} min. What is its average speed?",
            worked(
                [
                    f"Time = {minutes} min = {num(minutes / 60, 4)} h",
                    f"Speed = {d} / {num(minutes / 60, 4)} = {num(v, 2)} km/h",
                ],
                f"{num(v, 2)} km/h",
            ),
            {"variant": variant, "d": d, "hours": minutes // 60, "minutes": minutes % 60},
        )
    if variant == "time":
        d, v = rng.randint(5, 2000), rng.randint(5, 900)
        hours = d / v
        h, rest = divmod(round(hours * 60), 60)
        return Problem(
            f"How long does it take to travel {d} km at {v} km/h?",
            worked(
                [
                    f"t = d / v = {d} / {v} = {num(hours, 4)} h",
                    f"= {h} h {rest} min (to the nearest minute)",
                ],
                f"{h} h {rest} min",
            ),
            {"variant": variant, "d": d, "v": v},
        )
    if variant == "two_legs":
        d1, v1, d2, v2 = (
            rng.randint(10, 300),
            rng.randint(20, 130),
            rng.randint(10, 300),
            rng.randint(20, 130),
        )
        t = d1 / v1 + d2 / v2
        avg = (d1 + d2) / t
        return Problem(
            f"A car drives {d1} km at {v1} km/h and then {d2} km at {v2} km/h. What is its average speed for "
            "the whole trip?",
            worked(
                [
                    f"Time = {d1}/{v1} + {d2}/{v2} = {num(t, 4)} h",
                    f"Average speed = total distance / total time = {d1 + d2} / {num(t, 4)} = {num(avg, 2)} "
                    "km/h",
                ],
                f"{num(avg, 2)} km/h",
            ),
            {"variant": variant, "d1": d1, "v1": v1, "d2": d2, "v2": v2},
        )
    if variant == "kmh_to_ms":
        v = rng.randint(1, 350)
        return Problem(
            f"Convert {v} km/h to metres per second.",
            worked(
                [f"1 km/h = 1000 m / 3600 s, so {v} / 3.6 = {num(v / 3.6, 3)} m/s"], f"{num(v / 3.6, 3)} m/s"
            ),
            {"variant": variant, "v": v},
        )
    if variant == "mph_to_kmh":
        v = rng.randint(5, 200)
        return Problem(
            f"What is {v} mph in km/h?",
            worked(
                [f"1 mile = 1.609344 km, so {v} × 1.609344 = {num(v * KM_PER_MILE, 2)} km/h"],
                f"{num(v * KM_PER_MILE, 2)} km/h",
            ),
            {"variant": variant, "v": v},
        )
    vi, vf, t = rng.randint(0, 20), rng.randint(21, 60), rng.randint(2, 30)
    a = (vf - vi) / t
    return Problem(
        f"A cyclist speeds up from {vi} m/s to {vf} m/s in {t} s. What is the average acceleration?",
        worked([f"a = (v - u) / t = ({vf} - {vi}) / {t} = {num(a, 3)} m/s²"], f"{num(a, 3)} m/s²"),
        {"variant": variant, "vi": vi, "vf": vf, "t": t},
    )


# ----- knowledge: periodic_table, biology, astronomy -----------------------------------


def periodic_table(rng: random.Random) -> Problem:
    """Symbols, names, atomic numbers and masses, positions, families and states of elements."""
    row = rng.choice(table("elements"))
    name, symbol = row["name"], row["symbol"]
    variant = rng.choice(["symbol", "name", "number", "by_number", "mass", "position", "category", "state"])
    place = (
        f"group {row['group']}, period {row['period']}"
        if row["group"]
        else f"period {row['period']}, in the f-block"
    )
    if variant == "symbol":
        q, a, final = (
            f"What is the chemical symbol for {name}?",
            f"The symbol for {name} is {symbol} (atomic number {row['number']}).",
            symbol,
        )
    elif variant == "name":
        q, a, final = (
            f"Which element has the symbol {symbol}?",
            f"{symbol} is {name}, atomic number {row['number']}.",
            name,
        )
    elif variant == "number":
        q, a, final = (
            f"What is the atomic number of {name}?",
            f"{name.capitalize()} ({symbol}) has atomic number {row['number']}: {row['number']} protons in "
            "its nucleus.",
            str(row["number"]),
        )
    elif variant == "by_number":
        q, a, final = (
            f"Which element has atomic number {row['number']}?",
            f"Atomic number {row['number']} is {name} ({symbol}).",
            name,
        )
    elif variant == "mass":
        q, a, final = (
            f"What is the standard atomic weight of {name}?",
            f"The standard atomic weight of {name} ({symbol}) is about {row['mass']}.",
            str(row["mass"]),
        )
    elif variant == "position":
        q, a, final = (
            f"Where is {name} in the periodic table?",
            f"{name.capitalize()} ({symbol}, Z = {row['number']}) is in {place}.",
            place,
        )
    elif variant == "category":
        q, a, final = (
            f"What kind of element is {name}?",
            f"{name.capitalize()} ({symbol}) is {article(row['category'])} {row['category']}, in {place}.",
            row["category"],
        )
    else:
        q, a, final = (
            f"Is {name} a solid, liquid or gas at room temperature (25 °C)?",
            f"{name.capitalize()} ({symbol}) is a {row['state']} at 25 °C and normal pressure.",
            row["state"],
        )
    return Problem(q, worked([a], final), {"variant": variant, "element": symbol})


def biology(rng: random.Random) -> Problem:
    """Curated cell biology, genetics and human-body facts."""
    return _qa(rng, table("biology"))


def astronomy(rng: random.Random) -> Problem:
    """Planet facts (order, type, distance, period), computed light times and size ratios, curated facts."""
    data = table("astronomy")
    variant = rng.choice(["order", "type", "distance", "period", "light_time", "size_ratio", "fact", "fact"])
    if variant == "fact":
        return _qa(rng, data["facts"])
    planet = rng.choice(data["planets"])
    name = planet["name"]
    if variant == "order":
        ordinal = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"][
            planet["order"] - 1
        ]
        return Problem(
            f"Which planet is {ordinal} from the Sun?",
            worked(
                [
                    "In order from the Sun: Mercury, Venus, Earth, Mars, Jupiter, Saturn, Uranus, Neptune; "
                    f"the {ordinal} is {name}."
                ],
                name,
            ),
            {"variant": variant, "planet": name},
        )
    if variant == "type":
        return Problem(
            f"What type of planet is {name}?",
            worked([f"{name} is {article(planet['type'])} {planet['type']} planet."], planet["type"]),
            {"variant": variant, "planet": name},
        )
    if variant == "distance":
        return Problem(
            f"How far is {name} from the Sun on average, in astronomical units?",
            worked(
                [f"{name}'s mean distance from the Sun is about {planet['distance_au']} AU."],
                f"about {planet['distance_au']} AU",
            ),
            {"variant": variant, "planet": name},
        )
    if variant == "period":
        return Problem(
            f"How long does {name} take to orbit the Sun?",
            worked([f"One orbit of {name} (its year) takes {planet['period']}."], planet["period"]),
            {"variant": variant, "planet": name},
        )
    if variant == "light_time":
        seconds = planet["distance_au"] * LIGHT_SECONDS_PER_AU
        return Problem(
            f"{name} is about {planet['distance_au']} AU from the Sun. Roughly how many minutes does "
            "sunlight take to reach it "
            f"(light needs about 499 s per AU)?",
            worked(
                [
                    f"{planet['distance_au']} × 499 s = {num(seconds, 0)} s",
                    f"{num(seconds, 0)} / 60 = {num(seconds / 60, 1)} min",
                ],
                f"about {num(seconds / 60, 1)} minutes",
            ),
            {"variant": variant, "distance_au": planet["distance_au"]},
        )
    other = rng.choice([p for p in data["planets"] if p["name"] != name])
    big, small = (planet, other) if planet["diameter_km"] >= other["diameter_km"] else (other, planet)
    ratio = big["diameter_km"] / small["diameter_km"]
    return Problem(
        f"{big['name']} is about {num(big['diameter_km'])} km across and {small['name']} about "
        f"{num(small['diameter_km'])} km. "
        f"How many times wider is {big['name']}?",
        worked(
            [f"{num(big['diameter_km'])} / {num(small['diameter_km'])} = {num(ratio, 2)}"],
            f"about {num(ratio, 2)} times",
        ),
        {"variant": variant, "big": big["diameter_km"], "small": small["diameter_km"]},
    )


BUILDERS: dict[str, tuple[Kind, Builder]] = {
    "chemistry": ("knowledge", chemistry),
    "physics": ("calculable", physics),
    "biology": ("knowledge", biology),
    "astronomy": ("knowledge", astronomy),
    "periodic_table": ("knowledge", periodic_table),
    "scientific_notation": ("calculable", scientific_notation),
    "energy_calc": ("calculable", energy_calc),
    "density_calc": ("calculable", density_calc),
    "ph_calc": ("calculable", ph_calc),
    "speed_calc": ("calculable", speed_calc),
}
