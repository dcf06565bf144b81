"""Geography and history categories: curated country, city, language and event tables, plus area sums."""

from __future__ import annotations

import datetime as dt
import random

from training.datasets.synthetic.data import table
from training.datasets.synthetic.formatting import num, sig, worked
from training.datasets.synthetic.problem import Builder, Kind, Problem

POPULATION_SOURCE = "UN World Population Prospects 2022, estimate for 2023"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Weekdays are only asked for dates after every country had adopted the Gregorian calendar.
GREGORIAN_EVERYWHERE = dt.date(1927, 1, 1)


def joined(items: list[str]) -> str:
    """``a``, ``a and b`` or ``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def long_date(iso: str) -> str:
    """``1969-07-20`` as ``20 July 1969``."""
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {day.strftime('%B')} {day.year}"


# Country names that take "the" in running text.
WITH_THE = {"United Kingdom", "United States", "Netherlands", "Philippines", "United Arab Emirates"}


def the(country: str, start: bool = False) -> str:
    """``country`` with "the" where English needs it (capitalised at the start of a sentence)."""
    if country not in WITH_THE:
        return country
    return f"{'The' if start else 'the'} {country}"


def population_text(millions: float) -> str:
    """A population such as ``about 1.43 billion`` or ``about 64.8 million``."""
    if millions >= 1000:
        return f"about {num(millions / 1000, 2)} billion"
    if millions < 1:
        return f"about {num(millions * 1000, 0)} thousand"
    return f"about {num(millions, 1)} million"


# ----- capital_cities, country_facts, currency_info, population ------------------------


def capital_cities(rng: random.Random) -> Problem:
    """Country → capital, capital → country, and yes/no checks."""
    rows = table("countries")
    row = rng.choice(rows)
    country, capital = row["country"], row["capital"]
    note = f" ({row['capital_note']})" if "capital_note" in row else ""
    variant = rng.choice(["capital_of", "country_of", "check"])
    if variant == "capital_of":
        return Problem(
            rng.choice(
                [f"What is the capital of {the(country)}?", f"Which city is the capital of {the(country)}?"]
            ),
            worked([f"The capital of {the(country)} is {capital}{note}."], capital),
            {"variant": variant, "country": country},
        )
    if variant == "country_of" and capital != country:
        return Problem(
            f"{capital} is the capital of which country?",
            worked([f"{capital} is the capital of {the(country)}{note}."], country),
            {"variant": variant, "capital": capital},
        )
    other = rng.choice([r for r in rows if r["capital"] != capital])
    claimed = rng.choice([capital, other["capital"]])
    if claimed == capital:
        return Problem(
            f"Is {claimed} the capital of {the(country)}?",
            worked([f"Yes, {capital} is the capital of {the(country)}{note}."], "yes"),
            {"variant": "check", "country": country, "claimed": claimed},
        )
    return Problem(
        f"Is {claimed} the capital of {the(country)}?",
        worked(
            [
                f"No. {claimed} is the capital of {the(other['country'])}; the capital of {the(country)} is "
                f"{capital}{note}."
            ],
            f"no, it is {capital}",
        ),
        {"variant": "check", "country": country, "claimed": claimed},
    )


def country_facts(rng: random.Random) -> Problem:
    """Continent, main languages, calling code and driving side of a country."""
    row = rng.choice(table("countries"))
    country = row["country"]
    variant = rng.choice(["continent", "languages", "calling_code", "driving", "profile"])
    if variant == "continent":
        q, steps, final = (
            f"On which continent is {the(country)}?",
            [f"{the(country, True)} is in {row['continent']}."],
            row["continent"],
        )
    elif variant == "languages":
        langs = joined(row["languages"])
        q, steps, final = (
            f"What are the main official languages of {the(country)}?",
            [f"The main official language(s) of {the(country)}: {langs}."],
            langs,
        )
    elif variant == "calling_code":
        q, steps, final = (
            f"What is the international dialling code of {the(country)}?",
            [f"{the(country, True)}'s country calling code is {row['calling_code']}."],
            row["calling_code"],
        )
    elif variant == "driving":
        q, steps, final = (
            f"Which side of the road do people drive on in {the(country)}?",
            [f"In {the(country)} traffic drives on the {row['drives_on']}."],
            row["drives_on"],
        )
    else:
        q = f"Give a short profile of {the(country)}: capital, continent, languages and currency."
        steps = [
            f"Capital: {row['capital']}",
            f"Continent: {row['continent']}",
            f"Main official language(s): {joined(row['languages'])}",
            f"Currency: {row['currency']} ({row['code']})",
            f"Population: {population_text(row['population_millions'])} ({POPULATION_SOURCE})",
        ]
        final = f"{row['capital']}, {row['continent']}, {row['currency']}"
    return Problem(q, worked(steps, final), {"variant": variant, "country": country})


def currency_info(rng: random.Random) -> Problem:
    """Currency names, ISO 4217 codes and symbols by country, and countries by code."""
    rows = table("countries")
    row = rng.choice(rows)
    variant = rng.choice(["currency_of", "code_of", "symbol_of", "who_uses"])
    country, currency, code = row["country"], row["currency"], row["code"]
    if variant == "currency_of":
        q, steps, final = (
            f"What currency is used in {the(country)}?",
            [f"{the(country, True)} uses the {currency} (ISO 4217 code {code})."],
            currency,
        )
    elif variant == "code_of":
        q, steps, final = (
            f"What is the ISO 4217 code of the currency of {the(country)}?",
            [f"The {currency} of {the(country)} has the code {code}."],
            code,
        )
    elif variant == "symbol_of":
        q, steps, final = (
            f"What symbol is used for the {currency} ({code})?",
            [f"The {currency} is written with the symbol {row['symbol']}."],
            row["symbol"],
        )
    else:
        users = sorted(the(r["country"]) for r in rows if r["code"] == code)
        shown = users if len(users) <= 6 else users[:6] + ["others"]
        q = f"Which country or countries use the currency with code {code}?"
        steps = [
            f"{code} is the {currency}.",
            f"Among the countries listed here it is used by {joined(shown)}.",
        ]
        final = joined(shown)
    return Problem(q, worked(steps, final), {"variant": variant, "country": country, "code": code})


def population(rng: random.Random) -> Problem:
    """Approximate national populations (UN estimates) and comparisons between countries."""
    rows = table("countries")
    row = rng.choice(rows)
    if rng.random() < 0.5:
        return Problem(
            rng.choice(
                [
                    f"Roughly how many people live in {the(row['country'])}?",
                    f"What is the approximate population of {the(row['country'])}?",
                ]
            ),
            worked(
                [
                    f"{the(row['country'], True)} has {population_text(row['population_millions'])} people "
                    f"({POPULATION_SOURCE})."
                ],
                population_text(row["population_millions"]),
            ),
            {"variant": "size", "country": row["country"]},
        )
    # Only compare clearly different populations, so estimate revisions cannot flip the answer.
    other = rng.choice(
        [
            r
            for r in rows
            if max(r["population_millions"], row["population_millions"])
            >= 1.25 * min(r["population_millions"], row["population_millions"])
        ]
    )
    big, small = (row, other) if row["population_millions"] > other["population_millions"] else (other, row)
    ratio = big["population_millions"] / small["population_millions"]
    return Problem(
        f"Which has the larger population, {the(row['country'])} or {the(other['country'])}?",
        worked(
            [
                f"{the(big['country'], True)}: {population_text(big['population_millions'])}; "
                f"{the(small['country'])}: {population_text(small['population_millions'])} "
                f"({POPULATION_SOURCE})",
                f"{the(big['country'], True)} has about {num(ratio, 1)} times as many people.",
            ],
            big["country"],
        ),
        {"variant": "compare", "a": row["country"], "b": other["country"]},
    )


# ----- language_facts, coordinates, time_zones -----------------------------------------


def language_facts(rng: random.Random) -> Problem:
    """Language families, branches, scripts and everyday words."""
    row = rng.choice(table("languages"))
    lang = row["language"]
    variant = rng.choice(["family", "script", "hello", "thanks"])
    if variant == "family":
        branch = "" if row["branch"] in ("none", lang) else f", in its {row['branch']} branch"
        q, steps, final = (
            f"To which language family does {lang} belong?",
            [f"{lang} belongs to the {row['family']} family{branch}."],
            row["family"],
        )
    elif variant == "script":
        q, steps, final = (
            f"Which writing system is used for {lang}?",
            [f"{lang} is written in the {row['script']} script."],
            row["script"],
        )
    elif variant == "hello":
        q, steps, final = (
            f"How do you say 'hello' in {lang}?",
            [f'A common way to say hello in {lang} is "{row["hello"]}".'],
            row["hello"],
        )
    else:
        q, steps, final = (
            f"How do you say 'thank you' in {lang}?",
            [f'In {lang}, "thank you" is "{row["thanks"]}".'],
            row["thanks"],
        )
    return Problem(q, worked(steps, final), {"variant": variant, "language": lang})


def hemispheres(lat: float, lon: float) -> str:
    """``Northern and Eastern`` and so on."""
    return f"{'Northern' if lat >= 0 else 'Southern'} and {'Eastern' if lon >= 0 else 'Western'}"


def dms(value: float, positive: str, negative: str) -> str:
    """A coordinate such as ``51.51° N``."""
    return f"{num(abs(value), 2)}° {positive if value >= 0 else negative}"


def coordinates(rng: random.Random) -> Problem:
    """City coordinates, hemispheres, and which of two cities lies further north or east."""
    cities = table("cities")
    row = rng.choice(cities)
    lat, lon = row["lat"], row["lon"]
    where = f"{dms(lat, 'N', 'S')}, {dms(lon, 'E', 'W')}"
    variant = rng.choice(["coords", "hemispheres", "further_north", "further_east"])
    if variant == "coords":
        return Problem(
            f"What are the approximate coordinates of {row['city']}?",
            worked([f"{row['city']}, {row['country']}, lies at about {where}."], where),
            {"variant": variant, "city": row["city"]},
        )
    if variant == "hemispheres":
        return Problem(
            f"In which hemispheres is {row['city']}?",
            worked(
                [
                    f"{row['city']} is at about {where}: {'north' if lat >= 0 else 'south'} of the equator "
                    "and "
                    f"{'east' if lon >= 0 else 'west'} of the prime meridian."
                ],
                hemispheres(lat, lon),
            ),
            {"variant": variant, "city": row["city"]},
        )
    key = "lat" if variant == "further_north" else "lon"
    other = rng.choice([c for c in cities if c[key] != row[key]])
    winner = row if row[key] > other[key] else other
    word = "north" if key == "lat" else "east"
    return Problem(
        f"Which is further {word}, {row['city']} or {other['city']}?",
        worked(
            [
                f"{row['city']}: {dms(row['lat'], 'N', 'S')}, {dms(row['lon'], 'E', 'W')}; "
                f"{other['city']}: {dms(other['lat'], 'N', 'S')}, {dms(other['lon'], 'E', 'W')}",
                f"The larger {'latitude' if key == 'lat' else 'longitude'} is {winner['city']}'s.",
            ],
            winner["city"],
        ),
        {"variant": variant, "a": row["city"], "b": other["city"]},
    )


def utc_text(minutes: int) -> str:
    """An offset such as ``UTC+5:30`` or ``UTC-8``."""
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def time_zones(rng: random.Random) -> Problem:
    """Standard-time UTC offsets of cities and clock conversions between them (daylight saving ignored)."""
    zones = table("timezones")
    a = rng.choice(zones)
    variant = rng.choice(["offset", "convert", "difference"])
    if variant == "offset":
        return Problem(
            f"What is the standard-time UTC offset of {a['city']}?",
            worked(
                [f"{a['city']} ({a['iana']}) uses {utc_text(a['offset_minutes'])} in standard time."],
                utc_text(a["offset_minutes"]),
            ),
            {"variant": variant, "city": a["city"]},
        )
    b = rng.choice([z for z in zones if z["offset_minutes"] != a["offset_minutes"]])
    diff = b["offset_minutes"] - a["offset_minutes"]
    diff_text = f"{abs(diff) // 60} h" + (f" {abs(diff) % 60} min" if abs(diff) % 60 else "")
    if variant == "difference":
        relation = "ahead of" if diff > 0 else "behind"
        return Problem(
            f"What is the time difference between {a['city']} and {b['city']} in standard time?",
            worked(
                [
                    f"{a['city']} is {utc_text(a['offset_minutes'])}, {b['city']} is "
                    f"{utc_text(b['offset_minutes'])}",
                    f"{b['city']} is {diff_text} {relation} {a['city']}",
                ],
                f"{b['city']} is {diff_text} {relation} {a['city']}",
            ),
            {"variant": variant, "a": a["city"], "b": b["city"]},
        )
    start = rng.randrange(0, 1440, 15)
    end = start + diff
    day = " the next day" if end >= 1440 else " the previous day" if end < 0 else ""
    clock = f"{start // 60:02d}:{start % 60:02d}"
    result = f"{end % 1440 // 60:02d}:{end % 60:02d}{day}"
    return Problem(
        f"When it is {clock} in {a['city']}, what time is it in {b['city']}? Use standard time (no daylight "
        "saving).",
        worked(
            [
                f"{a['city']} is {utc_text(a['offset_minutes'])}, {b['city']} is "
                f"{utc_text(b['offset_minutes'])}",
                f"Difference: {'+' if diff > 0 else '-'}{diff_text}",
                f"{clock} {'+' if diff > 0 else '-'} {diff_text} = {result}",
            ],
            result,
        ),
        {"variant": variant, "a": a["city"], "b": b["city"], "time": clock},
    )


# ----- historical_events, historical_dates ---------------------------------------------


def historical_events(rng: random.Random) -> Problem:
    """What happened, where, and in which year, for curated events."""
    row = rng.choice(table("events"))
    year = row["date"][:4].lstrip("0")
    variant = rng.choice(["what", "when", "where"])
    if variant == "what":
        return Problem(
            f"What was {row['event']}?",
            worked(
                [
                    f"{row['event'][0].upper()}{row['event'][1:]} ({long_date(row['date'])}, "
                    f"{row['place']}): {row['summary']}."
                ],
                f"{row['summary']} ({year})",
            ),
            {"variant": variant, "event": row["event"]},
        )
    if variant == "when":
        return Problem(
            f"In what year did {row['event']} take place?",
            worked(
                [
                    f"{row['event'][0].upper()}{row['event'][1:]} took place on {long_date(row['date'])}: "
                    f"{row['summary']}."
                ],
                year,
            ),
            {"variant": variant, "event": row["event"]},
        )
    return Problem(
        f"Where did {row['event']} happen?",
        worked(
            [f"{row['event'][0].upper()}{row['event'][1:]} happened in {row['place']} in {year}."],
            row["place"],
        ),
        {"variant": variant, "event": row["event"]},
    )


def historical_dates(rng: random.Random) -> Problem:
    """Exact dates, which of two events came first, years between them, and the weekday of a modern date."""
    events = table("events")
    row = rng.choice(events)
    variant = rng.choice(["date_of", "first", "years_between", "weekday"])
    if variant == "weekday" and dt.date.fromisoformat(row["date"]) < GREGORIAN_EVERYWHERE:
        variant = "date_of"
    if variant == "date_of":
        return Problem(
            f"On what date did {row['event']} happen?",
            worked([f"It happened on {long_date(row['date'])} ({row['place']})."], long_date(row["date"])),
            {"variant": variant, "event": row["event"]},
        )
    if variant == "weekday":
        day = dt.date.fromisoformat(row["date"])
        return Problem(
            f"On which day of the week was {long_date(row['date'])}, the date of {row['event']}?",
            worked([f"{long_date(row['date'])} was a {WEEKDAYS[day.weekday()]}."], WEEKDAYS[day.weekday()]),
            {"variant": variant, "date": row["date"]},
        )
    other = rng.choice([e for e in events if e["date"][:4] != row["date"][:4]])
    early, late = sorted((row, other), key=lambda e: e["date"])
    if variant == "first":
        return Problem(
            f"Which came first: {row['event']} or {other['event']}?",
            worked(
                [
                    f"{early['event'][0].upper()}{early['event'][1:]}: {long_date(early['date'])}; "
                    f"{late['event']}: {long_date(late['date'])}",
                ],
                early["event"],
            ),
            {"variant": variant, "a": row["event"], "b": other["event"]},
        )
    years = int(late["date"][:4]) - int(early["date"][:4])
    return Problem(
        f"How many years passed between {early['event']} ({early['date'][:4]}) and {late['event']} "
        f"({late['date'][:4]})?",
        worked([f"{late['date'][:4]} - {early['date'][:4]} = {years}"], f"{years} years"),
        {"variant": variant, "y1": int(early["date"][:4]), "y2": int(late["date"][:4])},
    )


# ----- area_calc -----------------------------------------------------------------------

KM2_PER_MI2 = 2.589988110336
HA_PER_ACRE = 0.40468564224


def area_calc(rng: random.Random) -> Problem:
    """Land areas: plots in hectares, km² ↔ mi², hectares ↔ acres, map-scale areas and population density."""
    variant = rng.choice(
        ["plot_hectares", "km2_to_mi2", "mi2_to_km2", "ha_to_acres", "acres_to_ha", "map_scale", "density"]
    )
    if variant == "plot_hectares":
        a, b = rng.randint(20, 2000), rng.randint(20, 2000)
        return Problem(
            f"A rectangular field measures {a} m by {b} m. What is its area in hectares?",
            worked(
                [
                    f"Area = {a} × {b} = {num(a * b)} m²",
                    f"1 ha = 10,000 m², so {num(a * b)} / 10,000 = {num(a * b / 10000, 4)} ha",
                ],
                f"{num(a * b / 10000, 4)} ha",
            ),
            {"variant": variant, "a": a, "b": b},
        )
    if variant in ("km2_to_mi2", "mi2_to_km2"):
        value = rng.randint(1, 500_000)
        to_mi = variant == "km2_to_mi2"
        result = value / KM2_PER_MI2 if to_mi else value * KM2_PER_MI2
        src, dst = ("km²", "mi²") if to_mi else ("mi²", "km²")
        op = "÷" if to_mi else "×"
        return Problem(
            f"Convert {num(value)} {src} to {dst}.",
            worked(
                [
                    f"1 mi² = 2.589988 km², so {num(value)} {op} 2.589988 = {sig(result, 5)} {dst}",
                ],
                f"{sig(result, 5)} {dst}",
            ),
            {"variant": variant, "value": value},
        )
    if variant in ("ha_to_acres", "acres_to_ha"):
        value = round(rng.uniform(0.5, 5000), 1)
        to_acres = variant == "ha_to_acres"
        result = value / HA_PER_ACRE if to_acres else value * HA_PER_ACRE
        src, dst = ("ha", "acres") if to_acres else ("acres", "ha")
        op = "÷" if to_acres else "×"
        return Problem(
            f"How many {dst} is {num(value)} {src}?",
            worked(
                [
                    f"1 acre = 0.404686 ha, so {num(value)} {op} 0.404686 = {sig(result, 5)} {dst}",
                ],
                f"{sig(result, 5)} {dst}",
            ),
            {"variant": variant, "value": value},
        )
    if variant == "map_scale":
        scale = rng.choice([10_000, 25_000, 50_000, 100_000, 250_000])
        a, b = round(rng.uniform(0.5, 20), 1), round(rng.uniform(0.5, 20), 1)
        ka, kb = a * scale / 100_000, b * scale / 100_000
        return Problem(
            f"On a 1:{num(scale)} map a rectangular lake is drawn {num(a)} cm by {num(b)} cm. What is its "
            "real area in km²?",
            worked(
                [
                    f"1 cm on the map = {num(scale)} cm = {num(scale / 100_000, 3)} km",
                    f"Sides: {num(a)} × {num(scale / 100_000, 3)} = {num(ka, 4)} km and {num(b)} × "
                    f"{num(scale / 100_000, 3)} = {num(kb, 4)} km",
                    f"Area = {num(ka, 4)} × {num(kb, 4)} = {sig(ka * kb, 5)} km²",
                ],
                f"{sig(ka * kb, 5)} km²",
            ),
            {"variant": variant, "scale": scale, "a": a, "b": b},
        )
    people, area = rng.randint(1_000, 20_000_000), rng.randint(10, 500_000)
    return Problem(
        f"A region of {num(area)} km² has {num(people)} inhabitants. What is its population density?",
        worked(
            [f"Density = {num(people)} / {num(area)} = {num(people / area, 2)} people per km²"],
            f"{num(people / area, 2)} people per km²",
        ),
        {"variant": variant, "people": people, "area": area},
    )


BUILDERS: dict[str, tuple[Kind, Builder]] = {
    "capital_cities": ("knowledge", capital_cities),
    "population": ("knowledge", population),
    "historical_events": ("knowledge", historical_events),
    "time_zones": ("knowledge", time_zones),
    "country_facts": ("knowledge", country_facts),
    "language_facts": ("knowledge", language_facts),
    "currency_info": ("knowledge", currency_info),
    "coordinates": ("knowledge", coordinates),
    "area_calc": ("calculable", area_calc),
    "historical_dates": ("knowledge", historical_dates),
}
