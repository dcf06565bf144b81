"""Preference templates for how code behaves: code_correctness and code_efficiency."""

from __future__ import annotations

import random

from training.datasets.preference_templates.text import (
    LANGS,
    PairText,
    Template,
    camel,
    code_block,
    fill,
    is_leap,
    num,
    pascal,
)


_NUMERIC_ENTITIES = (
    ("temperature", "temperatures"), ("price", "prices"), ("score", "scores"),
    ("latency", "latencies"), ("balance", "balances"), ("distance", "distances"),
)


def _correctness_maximum(rng: random.Random) -> PairText:
    singular, plural = rng.choice(_NUMERIC_ENTITIES)
    lang, fence = rng.choice(LANGS)
    values = rng.sample(range(-90, -1), 4)
    name = f"highest_{singular}" if fence == "python" else f"highest{pascal(singular)}"
    prompt = (f"Write a {lang} function `{name}` that returns the highest {singular} in a list of {plural}."
              + rng.choice(("", f" Some {plural} can be negative.", " Keep it simple.")))
    if fence == "python":
        good = fill("""
            def <<n>>(<<p>>: list[float]) -> float:
                if not <<p>>:
                    raise ValueError("<<p>> must not be empty")
                best = <<p>>[0]
                for value in <<p>>[1:]:
                    if value > best:
                        best = value
                return best
            """, n=name, p=plural)
        bad = fill("""
            def <<n>>(<<p>>: list[float]) -> float:
                best = 0
                for value in <<p>>:
                    if value > best:
                        best = value
                return best
            """, n=name, p=plural)
    else:
        good = fill("""
            function <<n>>(<<p>>) {
              if (<<p>>.length === 0) {
                throw new RangeError("<<p>> must not be empty");
              }
              let best = <<p>>[0];
              for (const value of <<p>>.slice(1)) {
                if (value > best) best = value;
              }
              return best;
            }
            """, n=name, p=plural)
        bad = fill("""
            function <<n>>(<<p>>) {
              let best = 0;
              for (const value of <<p>>) {
                if (value > best) best = value;
              }
              return best;
            }
            """, n=name, p=plural)
    call = f"{name}([{', '.join(map(str, values))}])"
    chosen = (f"{code_block(fence, good)}\n\nIt starts from the first element rather than 0, so the result "
              f"is right even when every {singular} is negative: `{call}` returns {max(values)}. An empty "
              "list raises an error instead of returning a made-up value.")
    rejected = f"{code_block(fence, bad)}\n\nIt walks the list once and keeps the largest value it has seen."
    return prompt, chosen, rejected


def _correctness_sum_to_n(rng: random.Random) -> PairText:
    lang, fence = rng.choice(LANGS)
    n = rng.randint(5, 250)
    name = rng.choice(("sum_up_to", "total_to", "sum_through"))
    name = name if fence == "python" else camel(name)
    prompt = (f"Write a {lang} function `{name}(n)` that returns the sum of all integers from 1 to n "
              f"inclusive. For n = {n} it should return {n * (n + 1) // 2}.")
    if fence == "python":
        good = fill("""
            def <<f>>(n: int) -> int:
                total = 0
                for i in range(1, n + 1):
                    total += i
                return total
            """, f=name)
        bad = fill("""
            def <<f>>(n: int) -> int:
                total = 0
                for i in range(1, n):
                    total += i
                return total
            """, f=name)
    else:
        good = fill("""
            function <<f>>(n) {
              let total = 0;
              for (let i = 1; i <= n; i++) {
                total += i;
              }
              return total;
            }
            """, f=name)
        bad = fill("""
            function <<f>>(n) {
              let total = 0;
              for (let i = 1; i < n; i++) {
                total += i;
              }
              return total;
            }
            """, f=name)
    chosen = (f"{code_block(fence, good)}\n\nThe loop includes n itself, so `{name}({n})` returns "
              f"{n * (n + 1) // 2} (the same as n·(n+1)/2).")
    rejected = f"{code_block(fence, bad)}\n\nThe loop adds every integer from 1 up to n."
    return prompt, chosen, rejected


def _correctness_leap_year(rng: random.Random) -> PairText:
    lang, fence = rng.choice(LANGS)
    year = rng.choice((1700, 1800, 1900, 2000, 2100, 2400, 1996, 2023, 2024))
    name = "is_leap_year" if fence == "python" else "isLeapYear"
    prompt = (f"Write a {lang} function `{name}(year)` for the Gregorian calendar and tell me what it "
              f"returns for {year}.")
    if fence == "python":
        good = fill("""
            def <<f>>(year: int) -> bool:
                return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
            """, f=name)
        bad = fill("""
            def <<f>>(year: int) -> bool:
                return year % 4 == 0
            """, f=name)
    else:
        good = fill("""
            function <<f>>(year) {
              return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
            }
            """, f=name)
        bad = fill("""
            function <<f>>(year) {
              return year % 4 === 0;
            }
            """, f=name)
    answer = "true" if fence == "javascript" else "True"
    wrong = "false" if fence == "javascript" else "False"
    correct, naive = is_leap(year), year % 4 == 0
    chosen = (f"{code_block(fence, good)}\n\nA year divisible by 4 is a leap year unless it is divisible by "
              f"100 without being divisible by 400. `{name}({year})` returns {answer if correct else wrong}.")
    rejected = (f"{code_block(fence, bad)}\n\nLeap years come every four years. `{name}({year})` returns "
                f"{answer if naive else wrong}.")
    return prompt, chosen, rejected


def _correctness_average(rng: random.Random) -> PairText:
    singular, plural = rng.choice(_NUMERIC_ENTITIES)
    lang, fence = rng.choice(LANGS)
    name = f"average_{singular}" if fence == "python" else f"average{pascal(singular)}"
    values = [rng.randint(1, 99) for _ in range(rng.randint(3, 6))]
    prompt = f"Write a {lang} function `{name}` that returns the mean of a list of {plural}."
    if fence == "python":
        good = fill("""
            def <<f>>(<<p>>: list[float]) -> float:
                if not <<p>>:
                    raise ValueError("<<p>> must not be empty")
                return sum(<<p>>) / len(<<p>>)
            """, f=name, p=plural)
        bad = fill("""
            def <<f>>(<<p>>: list[float]) -> float:
                total = 0
                for i in range(1, len(<<p>>)):
                    total += <<p>>[i]
                return total / len(<<p>>)
            """, f=name, p=plural)
    else:
        good = fill("""
            function <<f>>(<<p>>) {
              if (<<p>>.length === 0) {
                throw new RangeError("<<p>> must not be empty");
              }
              return <<p>>.reduce((sum, value) => sum + value, 0) / <<p>>.length;
            }
            """, f=name, p=plural)
        bad = fill("""
            function <<f>>(<<p>>) {
              let total = 0;
              for (let i = 1; i < <<p>>.length; i++) {
                total += <<p>>[i];
              }
              return total / <<p>>.length;
            }
            """, f=name, p=plural)
    call = f"{name}([{', '.join(map(str, values))}])"
    chosen = (f"{code_block(fence, good)}\n\nEvery element is summed, so `{call}` returns "
              f"{num(sum(values) / len(values))}; an empty list raises instead of dividing by zero.")
    rejected = f"{code_block(fence, bad)}\n\nIt adds up the {plural} and divides by how many there are."
    return prompt, chosen, rejected


_COLLECTIONS = (
    ("order ids", "order_ids"), ("email addresses", "emails"), ("usernames", "usernames"),
    ("SKUs", "skus"), ("ticket numbers", "ticket_numbers"), ("file hashes", "file_hashes"),
)
_SIZES = ("a few hundred thousand", "up to a million", "about 500,000", "tens of thousands of")


def _efficiency_duplicates(rng: random.Random) -> PairText:
    label, var = rng.choice(_COLLECTIONS)
    lang, fence = rng.choice(LANGS)
    prompt = (f"Write a {lang} function that returns the {label} that appear more than once in a list. The "
              f"list holds {rng.choice(_SIZES)} entries.")
    if fence == "python":
        good = fill("""
            def find_duplicates(<<v>>: list[str]) -> list[str]:
                seen: set[str] = set()
                duplicates: set[str] = set()
                for item in <<v>>:
                    if item in seen:
                        duplicates.add(item)
                    else:
                        seen.add(item)
                return sorted(duplicates)
            """, v=var)
        bad = fill("""
            def find_duplicates(<<v>>: list[str]) -> list[str]:
                duplicates = []
                for i in range(len(<<v>>)):
                    for j in range(i + 1, len(<<v>>)):
                        if <<v>>[i] == <<v>>[j] and <<v>>[i] not in duplicates:
                            duplicates.append(<<v>>[i])
                return sorted(duplicates)
            """, v=var)
    else:
        var = camel(var)
        good = fill("""
            function findDuplicates(<<v>>) {
              const seen = new Set();
              const duplicates = new Set();
              for (const item of <<v>>) {
                if (seen.has(item)) duplicates.add(item);
                else seen.add(item);
              }
              return [...duplicates].sort();
            }
            """, v=var)
        bad = fill("""
            function findDuplicates(<<v>>) {
              const duplicates = [];
              for (let i = 0; i < <<v>>.length; i++) {
                for (let j = i + 1; j < <<v>>.length; j++) {
                  if (<<v>>[i] === <<v>>[j] && !duplicates.includes(<<v>>[i])) duplicates.push(<<v>>[i]);
                }
              }
              return duplicates.sort();
            }
            """, v=var)
    chosen = (f"{code_block(fence, good)}\n\nOne pass with two hash sets: O(n) time and O(n) memory, so a "
              "list of a million entries takes milliseconds instead of comparing every pair.")
    rejected = (f"{code_block(fence, bad)}\n\nIt compares each entry with every later entry and collects the "
                "matches.")
    return prompt, chosen, rejected


_LIST_PAIRS = (
    ("customer emails", "newsletter_emails", "customer_emails"),
    ("product ids", "catalog_ids", "warehouse_ids"),
    ("usernames", "active_users", "premium_users"),
    ("IP addresses", "blocked_ips", "request_ips"),
    ("package names", "installed_packages", "required_packages"),
)


def _efficiency_intersection(rng: random.Random) -> PairText:
    label, first, second = rng.choice(_LIST_PAIRS)
    lang, fence = rng.choice(LANGS)
    if fence == "javascript":
        first, second = camel(first), camel(second)
    prompt = (f"In {lang}, return the {label} that are in both `{first}` and `{second}`. Each list has "
              f"{rng.choice(_SIZES)} entries; keep the order of `{first}`.")
    if fence == "python":
        good = fill("""
            def common(<<a>>: list[str], <<b>>: list[str]) -> list[str]:
                lookup = set(<<b>>)
                return [item for item in <<a>> if item in lookup]
            """, a=first, b=second)
        bad = fill("""
            def common(<<a>>: list[str], <<b>>: list[str]) -> list[str]:
                return [item for item in <<a>> if item in <<b>>]
            """, a=first, b=second)
    else:
        good = fill("""
            function common(<<a>>, <<b>>) {
              const lookup = new Set(<<b>>);
              return <<a>>.filter((item) => lookup.has(item));
            }
            """, a=first, b=second)
        bad = fill("""
            function common(<<a>>, <<b>>) {
              return <<a>>.filter((item) => <<b>>.includes(item));
            }
            """, a=first, b=second)
    chosen = (f"{code_block(fence, good)}\n\nBuilding a set from `{second}` once makes each membership test "
              "O(1), so the whole call is O(n + m) instead of O(n·m).")
    rejected = f"{code_block(fence, bad)}\n\nIt keeps the items of `{first}` that also occur in `{second}`."
    return prompt, chosen, rejected


def _two_sum(values: list[int], target: int) -> tuple[int, int] | None:
    index: dict[int, int] = {}
    for position, value in enumerate(values):
        if target - value in index:
            return index[target - value], position
        index[value] = position
    return None


def _efficiency_pair_sum(rng: random.Random) -> PairText:
    label = rng.choice(("transaction amounts", "item weights", "task durations", "file sizes"))
    lang, fence = rng.choice(LANGS)
    values = rng.sample(range(1, 80), 6)
    i, j = sorted(rng.sample(range(6), 2))
    target = values[i] + values[j]
    found = _two_sum(values, target)
    prompt = (f"Write a {lang} function that, given a long list of {label} and a target, returns the indices "
              "of two entries that add up to the target (or nothing if none do).")
    if fence == "python":
        good = fill("""
            def pair_with_sum(values: list[int], target: int) -> tuple[int, int] | None:
                index: dict[int, int] = {}
                for position, value in enumerate(values):
                    if target - value in index:
                        return index[target - value], position
                    index[value] = position
                return None
            """)
        bad = fill("""
            def pair_with_sum(values: list[int], target: int) -> tuple[int, int] | None:
                for i in range(len(values)):
                    for j in range(i + 1, len(values)):
                        if values[i] + values[j] == target:
                            return i, j
                return None
            """)
        shown = f"({found[0]}, {found[1]})" if found else "None"
        call = f"pair_with_sum({values}, {target})"
    else:
        good = fill("""
            function pairWithSum(values, target) {
              const index = new Map();
              for (const [position, value] of values.entries()) {
                if (index.has(target - value)) return [index.get(target - value), position];
                index.set(value, position);
              }
              return null;
            }
            """)
        bad = fill("""
            function pairWithSum(values, target) {
              for (let i = 0; i < values.length; i++) {
                for (let j = i + 1; j < values.length; j++) {
                  if (values[i] + values[j] === target) return [i, j];
                }
              }
              return null;
            }
            """)
        shown = f"[{found[0]}, {found[1]}]" if found else "null"
        call = f"pairWithSum([{', '.join(map(str, values))}], {target})"
    chosen = (f"{code_block(fence, good)}\n\nA hash map from value to index finds each complement in O(1), "
              f"so the function is a single O(n) pass. `{call}` returns {shown}.")
    rejected = f"{code_block(fence, bad)}\n\nIt tries every pair until two entries add up to the target."
    return prompt, chosen, rejected


def _efficiency_word_count(rng: random.Random) -> PairText:
    source = rng.choice(("a log file", "a book", "customer reviews", "support tickets", "commit messages"))
    prompt = f"In Python, count how often each word occurs in the words of {source} (about a million words)."
    good = fill("""
        from collections import Counter

        def word_counts(words: list[str]) -> dict[str, int]:
            return dict(Counter(words))
        """)
    bad = fill("""
        def word_counts(words: list[str]) -> dict[str, int]:
            return {word: words.count(word) for word in words}
        """)
    chosen = (f"{code_block('python', good)}\n\n`Counter` counts in one O(n) pass; calling `words.count` for "
              "every word rescans the whole list each time, which is O(n²).")
    rejected = f"{code_block('python', bad)}\n\nEach word maps to the number of times it appears in the list."
    return prompt, chosen, rejected


TEMPLATES: dict[str, tuple[Template, ...]] = {
    "code_correctness": (_correctness_maximum, _correctness_sum_to_n, _correctness_leap_year,
                         _correctness_average),
    "code_efficiency": (_efficiency_duplicates, _efficiency_intersection, _efficiency_pair_sum,
                        _efficiency_word_count),
}
