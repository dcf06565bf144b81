"""The synthetic repetition generator: registry, schema validity, computed answers, styles, determinism.

Calculable answers are checked against an independent computation here: each
oracle recomputes the result from the problem's stated inputs with its own
formulas (or the standard library), never by calling the generator's code.
"""

from __future__ import annotations

import ast
import base64
import binascii
import calendar
import datetime as dt
import hashlib
import ipaddress
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tomllib
import urllib.parse
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from training.datasets.schema import Sample
from training.datasets.store import iter_samples, read_card, shard_paths
from training.datasets.synthetic import (
    SOURCE,
    STYLES,
    GenerationCancelled,
    Problem,
    UnknownCategory,
    generate,
    generate_to_folder,
    list_categories,
    problems,
    repeat_query,
)
from training.datasets.synthetic.data import DATA_DIR
from training.datasets.synthetic.fullstack import PLACEHOLDER, families, fill
from training.datasets.synthetic.fullstack_fields import entity_names, entity_vars

ROOT = Path(__file__).resolve().parents[1]

# ----- the names from the spec (datasets.md §2), typed independently of the registry ------

SPEC_BASE = """
basic_arithmetic percentage_calc unit_conversion geometry statistics algebra compound_interest distance_calc
time_calc currency_convert chemistry physics biology astronomy periodic_table scientific_notation
energy_calc density_calc ph_calc speed_calc capital_cities population historical_events time_zones
country_facts language_facts currency_info coordinates area_calc historical_dates file_size_convert
bandwidth_calc storage_calc programming_basics algorithm_complexity data_structures networking encoding
hash_functions binary_operations bmi_calc calorie_burn tip_calc tax_calc budget_calc recipe_scale
temp_conversion sports_stats age_calc date_diff
""".split()
SPEC_FULLSTACK = """
fs_arch_monolith_vs_microservices fs_arch_layered fs_arch_clean_hexagonal fs_arch_event_driven
fs_arch_scalability_patterns fs_arch_observability fs_api_rest_crud fs_api_rest_errors fs_api_pagination
fs_api_graphql_schema fs_api_async_jobs fs_api_validation_schemas fs_api_file_uploads fs_api_rate_limiting
fs_db_schema_design fs_db_relations fs_db_migrations fs_db_indexes fs_db_multi_tenancy fs_db_transactions
fs_ui_crud_forms fs_ui_data_tables fs_ui_state_management fs_ui_routing fs_ui_accessibility
fs_ui_design_systems fs_ui_client_fetching fs_auth_session_vs_jwt fs_auth_rbac_abac
fs_auth_input_sanitization fs_auth_password_flows fs_auth_oauth_oidc fs_auth_audit_logging
fs_devops_dockerization fs_devops_compose_k8s fs_devops_ci_cd fs_devops_env_config fs_devops_monitoring
fs_devops_zero_downtime fs_test_unit fs_test_integration fs_test_e2e fs_test_fixtures fs_test_performance
fs_test_quality_guidelines fs_refactor_extract_function fs_refactor_extract_module fs_refactor_rename
fs_refactor_reduce_duplication fs_refactor_api_cleanup fs_proj_readme fs_proj_folder_structure
fs_proj_coding_guidelines fs_proj_onboarding_docs fs_proj_release_process
""".split()
SPEC_RECOMMENDED = """
fs_api_websockets fs_error_handling_patterns fs_tracing_observability fs_caching_strategies
fs_message_queues fs_search_indexing fs_data_validation_pipelines fs_rate_limiting_throttling
fs_monitoring_alerting fs_feature_flags_ab_testing fs_backwards_compatibility fs_capacity_planning
""".split()

# ----- helpers ---------------------------------------------------------------------------------

NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
SCI = re.compile(r"(-?\d+(?:\.\d+)?) × 10\^(-?\d+)")
FENCE = re.compile(r"^(```|~~~)(\w*)\n(.*?)\n\1$", re.S | re.M)


def final(problem: Problem) -> str:
    """The text after ``Answer:`` on the last line."""
    last = problem.answer.splitlines()[-1]
    assert last.startswith("Answer: "), problem.answer
    return last[len("Answer: ") :]


def numbers(text: str) -> list[float]:
    """Every number in ``text`` (thousands separators removed)."""
    return [float(n.replace(",", "")) for n in NUMBER.findall(text)]


def shown_numbers(text: str) -> list[tuple[float, float]]:
    """Every number in ``text`` with half a unit of its last shown digit (the rounding it may carry)."""
    found = []
    for token in NUMBER.findall(text):
        places = len(token.split(".")[1]) if "." in token else 0
        found.append((float(token.replace(",", "")), 0.5 * 10.0**-places))
    return found


def sci_matches(text: str, want: float) -> bool:
    """``a × 10^b`` in ``text`` (1 <= |a| < 10) equals ``want`` up to the rounding of ``a``'s digits."""
    match = SCI.search(text)
    assert match, text
    mantissa, exponent = match.group(1), int(match.group(2))
    places = len(mantissa.split(".")[1]) if "." in mantissa else 0
    assert 1 <= abs(float(mantissa)) < 10, text
    return abs(float(mantissa) * 10.0**exponent - want) <= 0.5 * 10.0 ** (exponent - places) * (1 + 1e-6)


def minutes_of(text: str) -> int:
    """``3 h 5 min`` (either part optional) as minutes."""
    h = re.search(r"(\d+) h", text)
    m = re.search(r"(\d+) min", text)
    return (int(h.group(1)) if h else 0) * 60 + (int(m.group(1)) if m else 0)


def long_date(day: dt.date) -> str:
    """``20 July 1969``."""
    return f"{day.day} {calendar.month_name[day.month]} {day.year}"


def expect_numbers(problem: Problem, *expected: float) -> None:
    """The numbers of the Answer line equal ``expected`` up to the rounding of their shown digits."""
    got = shown_numbers(final(problem))
    assert len(got) >= len(expected), (problem.query, problem.answer)
    for (value, half_unit), want in zip(got, expected, strict=False):
        assert abs(value - want) <= half_unit * (1 + 1e-6) + 1e-9, (problem.query, problem.answer, want)


def python_value(expr: str) -> object:
    """Evaluate a small arithmetic or literal expression (the test's own evaluator)."""
    allowed = {"sum": sum, "range": range, "sorted": sorted, "len": len}
    return eval(compile(ast.parse(expr, mode="eval"), "<expr>", "eval"), {"__builtins__": {}}, allowed)


# ----- independent oracles for calculable categories -----------------------------------------

LENGTH = {
    "km": 1000,
    "m": 1,
    "cm": 0.01,
    "mm": 0.001,
    "mi": 1609.344,
    "yd": 0.9144,
    "ft": 0.3048,
    "in": 0.0254,
}
MASS = {"kg": 1, "g": 0.001, "mg": 1e-6, "t": 1000, "lb": 0.45359237, "oz": 0.028349523125}
VOLUME = {"L": 1, "mL": 0.001, "gal": 3.785411784, "fl oz": 0.0295735295625, "cup": 0.2365882365, "m³": 1000}
SIZES = {
    "B": 1,
    "kB": 1e3,
    "MB": 1e6,
    "GB": 1e9,
    "TB": 1e12,
    "KiB": 1024,
    "MiB": 1024**2,
    "GiB": 1024**3,
    "TiB": 1024**4,
}


def check_basic_arithmetic(p: Problem) -> None:
    expr = p.params["expr"]
    assert expr.replace("*", "×").replace("/", "÷") in p.query
    assert numbers(final(p)) == [python_value(expr)]


def check_percentage_calc(p: Problem) -> None:
    q = p.params
    want = {
        "of": lambda: q["x"] * q["p"] / 100,
        "what_percent": lambda: q["part"] / q["whole"] * 100,
        "change": lambda: (q["new"] - q["old"]) / q["old"] * 100,
        "discount": lambda: q["price"] * (100 - q["d"]) / 100,
        "reverse": lambda: q["after"] * 100 / (100 + q["p"]),
    }[q["variant"]]()
    expect_numbers(p, want)


def check_unit_conversion(p: Problem) -> None:
    table = {"length": LENGTH, "mass": MASS, "volume": VOLUME}[p.params["quantity"]]
    expect_numbers(p, p.params["value"] * table[p.params["from"]] / table[p.params["to"]])


def check_geometry(p: Problem) -> None:
    q = p.params
    want = {
        "rect_area": lambda: q["a"] * q["b"],
        "rect_perimeter": lambda: 2 * q["a"] + 2 * q["b"],
        "circle_area": lambda: math.pi * q["r"] ** 2,
        "circumference": lambda: math.pi * q["d"],
        "triangle_area": lambda: q["base"] * q["height"] / 2,
        "hypotenuse": lambda: math.sqrt(q["a"] ** 2 + q["b"] ** 2),
        "cylinder_volume": lambda: math.pi * q["r"] ** 2 * q["h"],
        "sphere_volume": lambda: 4 * math.pi * q["r"] ** 3 / 3,
        "box_surface": lambda: 2 * (q["a"] * q["b"] + q["a"] * q["c"] + q["b"] * q["c"]),
        "trapezoid_area": lambda: (q["a"] + q["b"]) * q["h"] / 2,
    }[q["variant"]]()
    expect_numbers(p, want)


def check_statistics(p: Problem) -> None:
    values = p.params["values"]
    assert ", ".join(map(str, values)) in p.query
    want = {
        "mean": statistics.mean,
        "median": statistics.median,
        "mode": statistics.mode,
        "range": lambda v: max(v) - min(v),
        "variance": statistics.pvariance,
        "std": statistics.pstdev,
    }[p.params["variant"]](values)
    expect_numbers(p, float(want))


def check_algebra(p: Problem) -> None:
    q = p.params
    if q["variant"] == "system":
        x, y = numbers(final(p))
        assert q["a1"] * x + q["b1"] * y == q["c1"] and q["a2"] * x + q["b2"] * y == q["c2"]
        return
    (x,) = numbers(final(p))
    assert q["equation"] in p.query
    left, right = q["equation"].split(" = ")

    def at_root(side: str) -> object:
        # "3(x + 5)" → "3*((root) + 5)", "-9x" → "-9*(root)"
        explicit = re.sub(r"(\d)\(", r"\1*(", re.sub(r"(\d)x", r"\1*x", side))
        return python_value(explicit.replace("x", f"({x})"))

    assert at_root(left) == at_root(right), p.answer


def check_compound_interest(p: Problem) -> None:
    q = p.params
    growth = math.exp(q["n"] * q["years"] * math.log1p(q["rate"] / 100 / q["n"]))
    want = q["principal"] * growth - (q["principal"] if q["variant"] == "interest" else 0)
    expect_numbers(p, want)


def check_distance_calc(p: Problem) -> None:
    q = p.params
    if q["variant"] in ("2d", "3d"):
        want = math.dist(q["p1"], q["p2"])
    elif q["variant"] == "manhattan":
        want = sum(abs(a - b) for a, b in zip(q["p1"], q["p2"], strict=True))
    elif q["variant"] == "travel":
        want = q["speed"] * (q["hours"] * 60 + q["minutes"]) / 60
    else:  # spherical law of cosines: a different formula from the haversine the answer shows
        f1, f2 = math.radians(q["lat1"]), math.radians(q["lat2"])
        cos_angle = math.sin(f1) * math.sin(f2) + math.cos(f1) * math.cos(f2) * math.cos(
            math.radians(q["lon2"] - q["lon1"])
        )
        want = 6371 * math.acos(max(-1.0, min(1.0, cos_angle)))
        expect_numbers(p, want)
        return
    expect_numbers(p, want)


def check_time_calc(p: Problem) -> None:
    q = p.params
    got = final(p)
    if q["variant"] == "clock_add":
        start = dt.datetime.combine(dt.date(2000, 1, 1), dt.time.fromisoformat(q["start"]))
        end = start + dt.timedelta(minutes=q["add_minutes"])
        assert got == end.strftime("%H:%M") + (" the next day" if end.date() > start.date() else "")
    elif q["variant"] == "split_seconds":
        assert numbers(got) == [q["seconds"] // 3600, q["seconds"] % 3600 // 60, q["seconds"] % 60]
    elif q["variant"] == "sum_durations":
        assert minutes_of(got) == sum(q["parts"])
    elif q["variant"] == "clock_diff":
        a, b = (
            dt.datetime.combine(dt.date(2000, 1, 1), dt.time.fromisoformat(t)) for t in (q["start"], q["end"])
        )
        assert minutes_of(got) * 60 == (b - a).total_seconds()
    else:
        expect_numbers(p, q["hours"] * 60)


def check_currency_convert(p: Problem) -> None:
    q = p.params
    want = {
        "direct": q["amount"] * q["rate"],
        "inverse": q["amount"] / q["rate"],
        "fee": q["amount"] * q["rate"] * (100 - q.get("fee", 0)) / 100,
    }[q["variant"]]
    expect_numbers(p, want)
    assert final(p).endswith(q["to"] if q["variant"] != "inverse" else q["from"])


def check_physics(p: Problem) -> None:
    q = p.params
    want = {
        "force": lambda: q["m"] * q["a"],
        "acceleration": lambda: q["f"] / q["m"],
        "weight": lambda: q["m"] * 9.81,
        "ohm_v": lambda: q["i"] * q["r"],
        "ohm_i": lambda: q["v"] / q["r"],
        "ohm_r": lambda: q["v"] / q["i"],
        "power": lambda: q["v"] * q["i"],
        "momentum": lambda: q["m"] * q["v"],
        "pressure": lambda: q["f"] / q["area"],
        "wave": lambda: 343 / q["f"],
        "work": lambda: q["f"] * q["d"],
    }[q["variant"]]()
    expect_numbers(p, want)


def check_scientific_notation(p: Problem) -> None:
    q = p.params
    got = final(p)
    if q["variant"] == "to_sci":
        assert sci_matches(got, float(q["value"].replace(",", "")))
    elif q["variant"] == "from_sci":
        assert Decimal(got.replace(",", "")) == Decimal(str(q["mantissa"])) * Decimal(10) ** q["exponent"]
    else:
        a, b = q["a"] * 10.0 ** q["ea"], q["b"] * 10.0 ** q["eb"]
        assert sci_matches(got, a * b if q["variant"] == "multiply" else a / b), (p.query, p.answer)


def check_energy_calc(p: Problem) -> None:
    q = p.params
    if q["variant"] == "kwh_cost":
        kwh = q["watts"] * q["hours"] * q["days"] / 1000
        expect_numbers(p, kwh, kwh * q["price"])
        return
    want = {
        "kinetic": lambda: q["m"] * q["v"] ** 2 / 2,
        "potential": lambda: q["m"] * 9.81 * q["h"],
        "joules_to_kcal": lambda: q["joules"] / 4184,
        "kcal_to_kj": lambda: q["kcal"] * 4.184,
        "power": lambda: q["energy"] / q["seconds"],
    }[q["variant"]]()
    expect_numbers(p, want)


def check_density_calc(p: Problem) -> None:
    q = p.params
    want = {
        "density": lambda: q["m"] / q["v"],
        "floats": lambda: q["m"] / q["v"],
        "mass": lambda: q["rho"] * q["v"],
        "volume": lambda: q["m"] / q["rho"],
        "to_si": lambda: q["rho"] * 1000,
    }[q["variant"]]()
    expect_numbers(p, want)
    if q["variant"] == "floats":
        assert ("sinks" in final(p)) == (want > 1) and ("floats" in final(p)) == (want < 1)


def check_ph_calc(p: Problem) -> None:
    q = p.params
    if q["variant"] == "h_from_ph":
        assert sci_matches(final(p), 10 ** -q["ph"]), (p.query, p.answer)
        return
    concentration = q["mantissa"] * 10.0 ** q["exponent"]
    ph = (
        -math.log10(concentration)
        if q["variant"] in ("ph_from_h", "strong_acid")
        else 14 + math.log10(concentration)
    )
    (got,) = numbers(final(p))
    assert abs(got - ph) <= 0.0051, (p.query, p.answer)
    assert final(p).endswith("(acidic)" if got < 7 else "(basic)" if got > 7 else "(neutral)")


def check_speed_calc(p: Problem) -> None:
    q = p.params
    if q["variant"] == "time":
        assert minutes_of(final(p)) == round(q["d"] / q["v"] * 60)
        return
    want = {
        "speed": lambda: q["d"] / (q["hours"] + q["minutes"] / 60),
        "two_legs": lambda: (q["d1"] + q["d2"]) / (q["d1"] / q["v1"] + q["d2"] / q["v2"]),
        "kmh_to_ms": lambda: q["v"] * 1000 / 3600,
        "mph_to_kmh": lambda: q["v"] * 1.609344,
        "acceleration": lambda: (q["vf"] - q["vi"]) / q["t"],
    }[q["variant"]]()
    expect_numbers(p, want)


def check_area_calc(p: Problem) -> None:
    q = p.params
    km2_per_mi2, ha_per_acre = 1.609344**2, 4046.8564224 / 10_000
    want = {
        "plot_hectares": lambda: q["a"] * q["b"] / 10_000,
        "km2_to_mi2": lambda: q["value"] / km2_per_mi2,
        "mi2_to_km2": lambda: q["value"] * km2_per_mi2,
        "ha_to_acres": lambda: q["value"] / ha_per_acre,
        "acres_to_ha": lambda: q["value"] * ha_per_acre,
        "map_scale": lambda: q["a"] * q["scale"] / 1e5 * q["b"] * q["scale"] / 1e5,
        "density": lambda: q["people"] / q["area"],
    }[q["variant"]]()
    expect_numbers(p, want)


def check_file_size_convert(p: Problem) -> None:
    q = p.params
    expect_numbers(p, q["value"] * SIZES[q["from"]] / SIZES[q["to"]])


def check_bandwidth_calc(p: Problem) -> None:
    q = p.params
    want = {
        "download_time": lambda: q["size"] * SIZES[q["unit"]] * 8 / (q["mbps"] * 1e6),
        "data_moved": lambda: q["mbps"] * 1e6 / 8 * q["minutes"] * 60 / 1e9,
        "needed_rate": lambda: q["gb"] * 8e9 / (q["minutes"] * 60) / 1e6,
        "streaming": lambda: q["mbps"] / 8 * 3600 * q["hours"] * q["days"] / 1000,
    }[q["variant"]]()
    expect_numbers(p, want)


def check_storage_calc(p: Problem) -> None:
    q = p.params
    if q["variant"] == "raid":
        usable = {
            "RAID 0": q["disks"],
            "RAID 1": 1,
            "RAID 5": q["disks"] - 1,
            "RAID 6": q["disks"] - 2,
            "RAID 10": q["disks"] / 2,
        }
        want = usable[q["level"]] * q["size"]
    else:
        want = {
            "total": lambda: q["count"] * q["mb"] / 1000,
            "fits": lambda: math.floor(Fraction(q["drive_gb"] * 1000) / Fraction(str(q["mb"]))),
            "days_left": lambda: q["capacity_tb"] * 1000 * (1 - q["used_pct"] / 100) / q["growth_gb"],
        }[q["variant"]]()
    expect_numbers(p, want)


def check_encoding(p: Problem) -> None:
    q = p.params
    got = final(p)
    if q["variant"] == "b64_encode":
        assert base64.b64decode(got, validate=True).decode("utf-8") == q["text"]
    elif q["variant"] == "b64_decode":
        assert got == f'"{base64.b64decode(q["encoded"]).decode("utf-8")}"'
    elif q["variant"] == "hex":
        assert bytes.fromhex(got).decode("utf-8") == q["text"]
    elif q["variant"] == "url":
        assert urllib.parse.unquote(got) == q["text"] and " " not in got
    elif q["variant"] == "char_code":
        assert numbers(got)[0] == ord(q["char"]) and f"{ord(q['char']):08b}" in got
    else:
        assert bytes.fromhex(got).decode("utf-8") == q["char"]


DIGEST_BITS = {"MD5": 128, "SHA-1": 160, "SHA-256": 256, "SHA-512": 512, "SHA3-256": 256}
HASHLIB_NAMES = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-512": "sha512",
    "SHA3-256": "sha3_256",
}


def check_hash_functions(p: Problem) -> None:
    q = p.params
    got = final(p)
    if q["variant"] == "crc32":
        assert int(got, 16) == binascii.crc32(q["text"].encode("utf-8"))
    elif q["variant"] == "length":
        bits = DIGEST_BITS[q["algorithm"]]
        assert numbers(got) == [bits, bits / 8, bits / 4]
    else:
        assert got == hashlib.new(HASHLIB_NAMES[q["algorithm"]], q["text"].encode("utf-8")).hexdigest()


def check_binary_operations(p: Problem) -> None:
    q = p.params
    got = final(p)
    variant = q["variant"]
    if variant == "dec_to_bin":
        assert int(got, 2) == q["n"]
    elif variant == "bin_to_dec":
        assert int(got) == int(q["bits"], 2)
    elif variant == "hex_to_dec":
        assert int(got) == int(q["hex"], 16)
    elif variant == "dec_to_hex":
        assert int(got, 16) == q["n"]
    elif variant == "bitwise":
        a, b = int(q["a"], 2), int(q["b"], 2)
        assert int(got, 2) == {"AND": a & b, "OR": a | b, "XOR": a ^ b}[q["op"]]
    elif variant == "shift":
        assert int(got) == (q["n"] * 2 ** q["k"] if q["op"] == "<<" else q["n"] // 2 ** q["k"])
    elif variant == "twos":
        assert len(got) == 8 and int(got, 2) - 256 == -q["n"]
    else:
        assert int(got, 2) == int(q["a"], 2) + int(q["b"], 2)


def check_bmi_calc(p: Problem) -> None:
    q = p.params
    bmi = q["kg"] / q["m"] ** 2 if q["variant"] == "metric" else 703 * q["lb"] / q["inches"] ** 2
    (got,) = numbers(final(p))
    assert abs(got - bmi) <= 0.051
    label = (
        "underweight"
        if got < 18.5
        else "normal weight"
        if got < 25
        else "overweight"
        if got < 30
        else "obese"
    )
    assert final(p).endswith(f"({label})")


def check_calorie_burn(p: Problem) -> None:
    q = p.params
    want = {
        "burned": lambda: q["met"] * q["kg"] * q["minutes"] / 60,
        "time_needed": lambda: q["target"] / (q["met"] * q["kg"]) * 60,
        "compare": lambda: (q["met1"] - q["met2"]) * q["kg"] * q["minutes"] / 60,
    }[q["variant"]]()
    expect_numbers(p, want)


def check_tip_calc(p: Problem) -> None:
    q = p.params
    tip = q["bill"] * q["pct"] / 100
    want = [tip, q["bill"] + tip] + ([(q["bill"] + tip) / q["people"]] if q["people"] > 1 else [])
    expect_numbers(p, *want)


def check_tax_calc(p: Problem) -> None:
    q = p.params
    if q["variant"] == "add":
        expect_numbers(p, q["price"] * (1 + q["rate"] / 100))
    elif q["variant"] == "extract":
        net = q["gross"] * 100 / (100 + q["rate"])
        expect_numbers(p, net, q["gross"] - net)
    else:
        tax = sum(
            rate / 100 * max(0, min(q["income"], top) - bottom)
            for bottom, top, rate in ((q["low"], q["high"], q["r1"]), (q["high"], math.inf, q["r2"]))
        )
        expect_numbers(p, tax, tax / q["income"] * 100)


def check_budget_calc(p: Problem) -> None:
    q = p.params
    if q["variant"] == "left_over":
        left = q["income"] - sum(q["amounts"])
        expect_numbers(p, left, left / q["income"] * 100)
    elif q["variant"] == "fifty_thirty_twenty":
        expect_numbers(p, q["income"] / 2, q["income"] * 3 / 10, q["income"] / 5)
    else:
        months = -(-(q["goal"] - q["start"]) // q["monthly"])
        assert numbers(final(p)) == [months]


def check_recipe_scale(p: Problem) -> None:
    q = p.params
    factor = Fraction(q["target"], q["servings"])
    expect_numbers(p, *(float(Fraction(str(a)) * factor) for a in q["amounts"]))


def check_temp_conversion(p: Problem) -> None:
    t = p.params["t"]
    want = {
        "c_to_f": t * 9 / 5 + 32,
        "f_to_c": (t - 32) * 5 / 9,
        "c_to_k": t + 273.15,
        "k_to_c": t - 273.15,
        "f_to_k": (t - 32) * 5 / 9 + 273.15,
    }[p.params["variant"]]
    expect_numbers(p, want)


def check_sports_stats(p: Problem) -> None:
    q = p.params
    if q["variant"] == "pace":
        minutes, seconds = map(int, re.search(r"(\d+):(\d\d)", final(p)).groups())
        assert abs(minutes * 60 + seconds - q["seconds"] / q["km"]) <= 0.51
        return
    want = {
        "ppg": lambda: q["points"] / q["games"],
        "fg_pct": lambda: q["made"] / q["attempts"] * 100,
        "batting": lambda: q["hits"] / q["at_bats"],
        "win_pct": lambda: q["wins"] / (q["wins"] + q["losses"]) * 100,
        "per90": lambda: q["goals"] * 90 / q["minutes"],
    }[q["variant"]]()
    expect_numbers(p, want)


def check_age_calc(p: Problem) -> None:
    q = p.params
    born = dt.date.fromisoformat(q["born"])
    if q["variant"] == "age_on":
        on = dt.date.fromisoformat(q["on"])
        birthdays = sum(
            1 for year in range(born.year + 1, on.year + 1) if dt.date(year, born.month, born.day) <= on
        )
        assert numbers(final(p)) == [birthdays]
    elif q["variant"] == "days_lived":
        assert numbers(final(p)) == [(dt.date.fromisoformat(q["on"]).toordinal() - born.toordinal())]
    else:
        assert final(p) == long_date(dt.date(born.year + q["age"], born.month, born.day))


def check_date_diff(p: Problem) -> None:
    q = p.params
    start = dt.date.fromisoformat(q["start"])
    if q["variant"] == "add_days":
        end = dt.date.fromordinal(start.toordinal() + q["days"])
        assert (
            final(p)
            == f"{long_date(end)} ({calendar.day_name[calendar.weekday(end.year, end.month, end.day)]})"
        )
        return
    end = dt.date.fromisoformat(q["end"])
    days = end.toordinal() - start.toordinal()
    if q["variant"] == "days_between":
        assert numbers(final(p)) == [days]
    elif q["variant"] == "weeks":
        assert numbers(final(p)) == [days // 7, days % 7]
    else:
        weekdays = sum(
            1 for n in range(start.toordinal(), end.toordinal()) if dt.date.fromordinal(n).isoweekday() <= 5
        )
        assert numbers(final(p)) == [weekdays]


ORACLES: dict[str, Callable[[Problem], None]] = {
    name.removeprefix("check_"): function
    for name, function in dict(globals()).items()
    if name.startswith("check_") and callable(function)
}


# Inputs the question states in words or another unit (quarterly, 1 h 30 min, 2:53:51, "x" for 1x).
SHOWN_OTHERWISE = {
    "compound_interest": {"n"},
    "time_calc": {"add_minutes"},
    "sports_stats": {"seconds"},
    "tip_calc": {"people"},
    "algebra": {"a1", "b1", "a2", "b2"},
}


def numeric_params_in_query(category: str, p: Problem) -> None:
    """Every number the problem states as an input appears in the question."""
    shown = numbers(p.query)
    for key, value in p.params.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value == 0:
            continue
        if key in SHOWN_OTHERWISE.get(category, ()):
            continue
        assert any(math.isclose(abs(value), abs(s), rel_tol=1e-9) for s in shown), (key, value, p.query)


# ----- registry ----------------------------------------------------------------------------


def test_registry_holds_exactly_the_spec_categories() -> None:
    infos = list_categories()
    by_group = {
        group: [c.name for c in infos if c.group == group] for group in ("base", "fullstack", "recommended")
    }
    assert by_group["base"] == SPEC_BASE and len(SPEC_BASE) == 50
    assert by_group["fullstack"] == SPEC_FULLSTACK and len(SPEC_FULLSTACK) == 55
    assert by_group["recommended"] == SPEC_RECOMMENDED and len(SPEC_RECOMMENDED) == 12
    assert len(infos) == 117
    for info in infos:
        if info.group == "base":
            assert info.domain in {"math", "science", "geography_history", "technology", "business_daily"}
            assert info.kind in {"calculable", "knowledge"}
        else:
            assert (
                info.domain == "fullstack_engineering"
                and info.kind == "template"
                and info.name.startswith("fs_")
            )
    calculable = {c.name for c in infos if c.kind == "calculable"}
    assert calculable == set(ORACLES), "every calculable category needs an independent oracle in this file"


# ----- every category generates schema-valid samples ---------------------------------------


def test_every_category_generates_valid_samples() -> None:
    infos = {c.name: c for c in list_categories()}
    seen: Counter[str] = Counter()
    for sample in generate(per_category=6, seed=11):
        again = Sample.model_validate(json.loads(sample.to_json_line()))
        assert again == sample
        info = infos[sample.category]
        assert sample.domain == info.domain and sample.source == SOURCE
        assert sample.repetition_style in STYLES
        assert [m.role for m in sample.messages] == ["user", "assistant"]
        user, assistant = (m.content for m in sample.messages)
        assert user.strip() and assistant.strip()
        assert not PLACEHOLDER.search(user) and not PLACEHOLDER.search(assistant)
        seen[sample.category] += 1
        assert re.fullmatch(rf"syn_{sample.category}_\d{{6}}", sample.id)
        assert sample.id == f"syn_{sample.category}_{seen[sample.category]:06d}"
    assert set(seen) == set(infos) and set(seen.values()) == {6}


@pytest.mark.parametrize("category", sorted(ORACLES))
def test_calculable_answers_match_an_independent_computation(category: str) -> None:
    for problem in problems(category, 150, seed=2024):
        ORACLES[category](problem)
        numeric_params_in_query(category, problem)


def test_samples_carry_the_problems_answers() -> None:
    expected = list(problems("compound_interest", 5, seed=9))
    samples = list(generate(["compound_interest"], per_category=5, seed=9))
    for problem, sample in zip(expected, samples, strict=True):
        assert sample.messages[1].content == problem.answer
        assert problem.query in sample.messages[0].content


# ----- knowledge categories: curated tables and derived answers ------------------------------


def data(name: str) -> object:
    return json.loads((DATA_DIR / f"{name}.json").read_text(encoding="utf-8"))


def test_fact_tables_hold_known_facts() -> None:
    capitals = {row["country"]: row["capital"] for row in data("countries")}
    assert (
        capitals["France"] == "Paris"
        and capitals["Australia"] == "Canberra"
        and capitals["Canada"] == "Ottawa"
    )
    assert (
        capitals["Brazil"] == "Brasília" and capitals["Japan"] == "Tokyo" and capitals["Nigeria"] == "Abuja"
    )
    elements = {row["symbol"]: row for row in data("elements")}
    assert elements["Au"]["number"] == 79 and elements["Fe"]["number"] == 26 and elements["O"]["number"] == 8
    assert [e["number"] for e in data("elements")] == sorted({e["number"] for e in data("elements")})
    assert elements["Hg"]["state"] == elements["Br"]["state"] == "liquid"
    events = {row["event"]: row["date"] for row in data("events")}
    assert (
        events["the Apollo 11 Moon landing"] == "1969-07-20"
        and events["the fall of the Berlin Wall"] == "1989-11-09"
    )
    for row in data("cities"):
        assert -90 <= row["lat"] <= 90 and -180 <= row["lon"] <= 180
    for table in (
        "countries",
        "cities",
        "events",
        "timezones",
        "elements",
        "compounds",
        "languages",
        "biology",
    ):
        assert 20 <= len(data(table)) <= 100, table


def test_time_zone_offsets_match_the_tz_database() -> None:
    zoneinfo = pytest.importorskip("zoneinfo")
    for row in data("timezones"):
        try:
            zone = zoneinfo.ZoneInfo(row["iana"])
        except zoneinfo.ZoneInfoNotFoundError:
            pytest.skip("no tz database on this machine")
        offsets = {
            dt.datetime(2025, month, 15, 12, tzinfo=zone).utcoffset().total_seconds() / 60 for month in (1, 7)
        }
        assert min(offsets) == row["offset_minutes"], row


def formula_atoms(formula: str) -> Counter[str]:
    """The test's own formula parser (recursive over brackets)."""

    def parse(text: str, at: int) -> tuple[Counter[str], int]:
        counts: Counter[str] = Counter()
        while at < len(text) and text[at] != ")":
            if text[at] == "(":
                inner, at = parse(text, at + 1)
                at += 1
                digits = re.match(r"\d*", text[at:]).group()
                for key, n in inner.items():
                    counts[key] += n * int(digits or 1)
                at += len(digits)
            else:
                symbol, digits = re.match(r"([A-Z][a-z]?)(\d*)", text[at:]).groups()
                counts[symbol] += int(digits or 1)
                at += len(symbol) + len(digits)
        return counts, at

    return parse(formula, 0)[0]


def test_chemistry_reactions_balance_and_molar_masses_add_up() -> None:
    for reaction in data("reactions"):
        sides = [Counter(), Counter()]
        for side, part in zip(sides, ("reactants", "products"), strict=True):
            for formula, n in reaction[part].items():
                for atom, count in formula_atoms(formula).items():
                    side[atom] += n * count
        assert sides[0] == sides[1], reaction["name"]
    masses = {row["symbol"]: row["mass"] for row in data("elements")}
    for problem in problems("chemistry", 300, seed=5):
        if problem.params["variant"] == "molar_mass":
            want = sum(masses[atom] * n for atom, n in formula_atoms(problem.params["formula"]).items())
            assert abs(numbers(final(problem))[0] - want) < 0.0006
        if problem.params["variant"] == "balance":
            assert "→" in final(problem)


def test_knowledge_answers_follow_from_their_tables() -> None:
    capitals = {row["country"]: row["capital"] for row in data("countries")}
    for problem in problems("capital_cities", 100, seed=1):
        if problem.params["variant"] == "capital_of":
            assert final(problem) == capitals[problem.params["country"]]
    for problem in problems("programming_basics", 200, seed=1):
        if problem.params["variant"] == "expression":
            assert final(problem) == repr(python_value(problem.params["expr"]))
    for problem in problems("networking", 200, seed=1):
        if problem.params["variant"] == "subnet":
            prefix = problem.params["prefix"]
            address = int(ipaddress.IPv4Address(problem.params["address"]))
            mask = (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF
            network, broadcast = address & mask, (address & mask) | (~mask & 0xFFFFFFFF)
            text = final(problem)
            assert (
                str(ipaddress.IPv4Address(network)) in text and str(ipaddress.IPv4Address(broadcast)) in text
            )
            assert f"{2 ** (32 - prefix) - 2:,} usable hosts" in text
    for problem in problems("historical_dates", 200, seed=1):
        if problem.params["variant"] == "weekday":
            day = dt.date.fromisoformat(problem.params["date"])
            assert final(problem) == calendar.day_name[day.weekday()]
        if problem.params["variant"] == "years_between":
            assert numbers(final(problem)) == [problem.params["y2"] - problem.params["y1"]]
    zones = {row["city"]: row["offset_minutes"] for row in data("timezones")}
    for problem in problems("time_zones", 200, seed=1):
        if problem.params["variant"] == "convert":
            clock = dt.datetime.combine(dt.date(2000, 1, 15), dt.time.fromisoformat(problem.params["time"]))
            there = clock + dt.timedelta(minutes=zones[problem.params["b"]] - zones[problem.params["a"]])
            day = {1: " the next day", -1: " the previous day", 0: ""}[(there.date() - clock.date()).days]
            assert final(problem) == there.strftime("%H:%M") + day
    for snippet in json.loads((DATA_DIR / "algorithms.json").read_text())["snippets"]:
        compile(snippet["code"], "<snippet>", "exec")


# ----- fullstack templates ----------------------------------------------------------------


def assert_snippet_parses(lang: str, code: str) -> None:
    if lang == "python":
        ast.parse(code)
    elif lang == "json":
        json.loads(code)
    elif lang == "yaml":
        list(yaml.safe_load_all(code))
    elif lang == "toml":
        tomllib.loads(code)


def test_fullstack_templates_render_for_every_entity_and_stack() -> None:
    rendered = 0
    for name, family in families().items():
        assert len(family.variants) >= 2 and len(family.constraints) >= 3 and len(family.prompts) >= 2, name
        for entity in entity_names():
            values = {**entity_vars(entity), "stack": "a stack", "constraint": "a constraint"}
            for text in (
                *family.prompts,
                family.intro,
                *family.points,
                *(c.note for c in family.constraints),
            ):
                assert not PLACEHOLDER.search(fill(text, values)), name
            for variant in family.variants:
                code = fill(variant.code, values)
                assert not PLACEHOLDER.search(code), (name, variant.stack)
                assert_snippet_parses(variant.lang, code)
                rendered += 1
    assert rendered > 2000


def test_fullstack_answers_vary_and_carry_a_code_block() -> None:
    for name in SPEC_FULLSTACK + SPEC_RECOMMENDED:
        found = list(problems(name, 40, seed=3))
        assert len({p.answer for p in found}) >= 10, name
        assert len({p.params["stack"] for p in found}) >= 2, name
        for problem in found:
            blocks = FENCE.findall(problem.answer)
            assert blocks, name
            _, lang, code = blocks[0]
            assert_snippet_parses(lang, code)
            assert problem.params["stack"] in problem.query
            constraint = re.search(r"\n\nConstraint \((.+?)\): ", problem.answer)
            assert constraint and constraint.group(1) in problem.query, name


# ----- repetition styles ------------------------------------------------------------------


def test_repetition_styles_format_the_same_query() -> None:
    q = "What is 2 + 2?"
    assert repeat_query(q, "baseline") == q
    assert repeat_query(q, "2x") == f"{q} {q}"
    assert repeat_query(q, "verbose") == f"{q} Let me repeat that: {q}"
    assert repeat_query(q, "3x").count(q) == 3 and repeat_query(q, "3x").startswith(
        f"{q} Let me repeat that: {q}"
    )
    multi = "Line one\nline two"
    assert repeat_query(multi, "2x") == f"{multi}\n\n{multi}"


def test_default_mix_is_a_quarter_each() -> None:
    names = ["basic_arithmetic", "percentage_calc", "tip_calc", "temp_conversion"]
    styles = Counter(sample.repetition_style for sample in generate(names, per_category=1000, seed=4))
    assert styles == {style: 1000 for style in STYLES}
    for sample in generate(["tip_calc"], per_category=40, seed=4):
        user = sample.messages[0].content
        copies = {"baseline": 1, "2x": 2, "verbose": 2, "3x": 3}[sample.repetition_style]
        first = user.split(" Let me repeat that")[0]
        query = first if sample.repetition_style != "2x" else first[: len(first) // 2]
        assert user.count(query) == copies


def test_custom_mix_is_honoured() -> None:
    mix = {"baseline": 0.5, "2x": 0.0, "verbose": 0.2, "3x": 0.3}
    styles = Counter(
        s.repetition_style for s in generate(["geometry", "algebra"], per_category=500, seed=1, styles=mix)
    )
    assert styles == {"baseline": 500, "verbose": 200, "3x": 300}
    with pytest.raises(ValueError):
        list(generate(["geometry"], per_category=1, styles={"4x": 1.0}))
    with pytest.raises(ValueError):
        list(generate(["geometry"], per_category=1, styles={"baseline": 0.0}))


# ----- determinism, folders, progress and cancellation --------------------------------------


def shard_bytes(root: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in shard_paths(root)}


def test_same_seed_gives_byte_identical_shards(tmp_path: Path) -> None:
    kwargs = {"per_category": 12, "shard_size": 400}
    card = generate_to_folder(tmp_path / "a", seed=7, **kwargs)
    generate_to_folder(tmp_path / "b", seed=7, **kwargs)
    generate_to_folder(tmp_path / "c", seed=8, **kwargs)
    first = shard_bytes(tmp_path / "a")
    assert len(first) == 4 and first == shard_bytes(tmp_path / "b")
    assert first != shard_bytes(tmp_path / "c")
    assert card.total == 117 * 12 and card.recipe["seed"] == 7 and card.counts_by_source == {SOURCE: 117 * 12}
    assert read_card(tmp_path / "a").content_sha256 == read_card(tmp_path / "b").content_sha256
    assert sum(1 for _ in iter_samples(tmp_path / "a")) == 117 * 12


def test_output_does_not_depend_on_hash_randomisation() -> None:
    script = (
        "import hashlib; from training.datasets.synthetic import generate; h = hashlib.sha256(); "
        "[h.update(s.to_json_line().encode()) for s in generate(per_category=3, seed=5)]; "
        "print(h.hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1


def test_a_category_stream_does_not_depend_on_the_others() -> None:
    alone = [s.messages for s in generate(["statistics"], per_category=20, seed=3)]
    mixed = [
        s.messages
        for s in generate(["algebra", "statistics", "fs_db_indexes"], per_category=20, seed=3)
        if s.category == "statistics"
    ]
    assert alone == mixed


def test_progress_reports_and_cancel(tmp_path: Path) -> None:
    reports: list[tuple[int, int]] = []
    generate_to_folder(
        tmp_path / "done",
        ["tip_calc", "geometry"],
        per_category=1500,
        progress=lambda d, t: reports.append((d, t)),
    )
    assert reports[-1] == (3000, 3000) and [d for d, _ in reports] == sorted(d for d, _ in reports)
    polls = iter(range(10_000))
    with pytest.raises(GenerationCancelled):
        generate_to_folder(
            tmp_path / "cancelled", ["tip_calc"], per_category=5000, cancel=lambda: next(polls) >= 12
        )
    assert not (tmp_path / "cancelled" / "dataset.json").exists()
    assert not list((tmp_path / "cancelled").glob("*.partial"))


def test_unknown_category_is_rejected() -> None:
    with pytest.raises(UnknownCategory):
        list(generate(["no_such_category"], per_category=1))
    with pytest.raises(ValueError):
        list(generate(["geometry", "geometry"], per_category=1))
