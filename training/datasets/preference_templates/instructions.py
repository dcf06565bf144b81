"""Preference templates for instruction following: task_completion, format_compliance,
constraint_satisfaction, specificity and conciseness.
"""

from __future__ import annotations

import json
import random

from training.datasets.preference_templates.text import PairText, Template, code_block, fill, is_prime, num


def _c_to_f(celsius: float) -> float:
    return celsius * 9 / 5 + 32


def _completion_temperatures(rng: random.Random) -> PairText:
    temps = rng.sample(range(-30, 45), 3)
    listed = ", ".join(f"{t} °C" for t in temps[:-1]) + f" and {temps[-1]} °C"
    prompt = f"Convert {listed} to Fahrenheit."
    lines = [f"- {t} °C = {num(_c_to_f(t))} °F" for t in temps]
    chosen = "Using °F = °C × 9/5 + 32:\n" + "\n".join(lines)
    rejected = (f"Using °F = °C × 9/5 + 32:\n{lines[0]}\n\nThe other values convert the same way.")
    return prompt, chosen, rejected


_TESTABLE = (
    ("is_palindrome", "returns True when a string reads the same backwards, ignoring case",
     fill("""
        def is_palindrome(text: str) -> bool:
            cleaned = text.lower()
            return cleaned == cleaned[::-1]
        """),
     fill("""
        def test_is_palindrome() -> None:
            assert is_palindrome("Level")
            assert not is_palindrome("nexus")
        """)),
    ("count_vowels", "counts the vowels (a, e, i, o, u) in a string, ignoring case",
     fill("""
        def count_vowels(text: str) -> int:
            return sum(1 for char in text.lower() if char in "aeiou")
        """),
     fill("""
        def test_count_vowels() -> None:
            assert count_vowels("Nexus Assistant") == 5
            assert count_vowels("") == 0
        """)),
    ("reverse_words", "reverses the order of the words in a sentence",
     fill("""
        def reverse_words(sentence: str) -> str:
            return " ".join(reversed(sentence.split()))
        """),
     fill("""
        def test_reverse_words() -> None:
            assert reverse_words("ship it today") == "today it ship"
            assert reverse_words("") == ""
        """)),
    ("initials", "returns the upper-case initials of a full name",
     fill("""
        def initials(full_name: str) -> str:
            return "".join(part[0].upper() for part in full_name.split())
        """),
     fill("""
        def test_initials() -> None:
            assert initials("ada lovelace") == "AL"
            assert initials("") == ""
        """)),
)


def _completion_function_and_test(rng: random.Random) -> PairText:
    name, behaviour, code, test = rng.choice(_TESTABLE)
    framing = rng.choice(("Write", "I need", "Please write"))
    prompt = f"{framing} a Python function `{name}` that {behaviour}, and a pytest unit test for it."
    chosen = (f"{code_block('python', code)}\n\nAnd the test:\n\n{code_block('python', test)}\n\nRun it with "
              "`pytest`.")
    rejected = f"{code_block('python', code)}\n\nThis handles the requirement in one line."
    return prompt, chosen, rejected


_TRADEOFFS = (
    ("SQLite", "a desktop app's local storage",
     ("no server to install or run", "the whole database is one file that is easy to back up"),
     ("only one writer at a time", "not meant for many concurrent network clients")),
    ("Redis as a cache", "a busy REST API",
     ("in-memory reads in well under a millisecond", "built-in expiry for cached entries"),
     ("another service to operate and monitor", "cached data can go stale and needs an invalidation plan")),
    ("GraphQL", "a public API",
     ("clients fetch exactly the fields they need", "one typed schema documents the whole API"),
     ("HTTP caching is harder than with plain REST URLs", "expensive queries need depth or cost limits")),
    ("serverless functions", "a webhook handler",
     ("no servers to patch, and you pay only per call", "scales to zero when idle"),
     ("cold starts add latency", "execution time and memory limits")),
    ("a monorepo", "five related services",
     ("atomic changes across services in one commit", "shared tooling and one dependency policy"),
     ("CI must be smart about building only what changed", "repository size and access control get harder")),
    ("server-side rendering", "a marketing site",
     ("fast first paint and good SEO", "works before JavaScript loads"),
     ("more server load per request", "more complex caching and hydration")),
)


def _completion_pros_cons(rng: random.Random) -> PairText:
    tech, use, pros, cons = rng.choice(_TRADEOFFS)
    prompt = f"Give me two advantages and two disadvantages of {tech} for {use}."
    advantages = "\n".join(f"- {item}" for item in pros)
    disadvantages = "\n".join(f"- {item}" for item in cons)
    chosen = f"Advantages:\n{advantages}\n\nDisadvantages:\n{disadvantages}"
    rejected = f"Advantages:\n{advantages}\n\nOverall, {tech} is a good fit for {use}."
    return prompt, chosen, rejected


def _completion_total_and_average(rng: random.Random) -> PairText:
    label = rng.choice(
        ("monthly sales figures", "page load times in ms", "daily step counts", "invoice amounts"))
    values = [rng.randint(10, 999) for _ in range(rng.randint(4, 6))]
    listed = ", ".join(map(str, values))
    prompt = f"Here are some {label}: {listed}. What is the total, and what is the average?"
    total = sum(values)
    chosen = f"Total: {num(total)}\nAverage: {num(total)} / {len(values)} = {num(total / len(values))}"
    rejected = f"Total: {num(total)}"
    return prompt, chosen, rejected


_LANGUAGE_FACTS = (
    ("Python", 1991, "dynamic"), ("Java", 1995, "static"), ("JavaScript", 1995, "dynamic"),
    ("Go", 2009, "static"), ("Ruby", 1995, "dynamic"), ("C", 1972, "static"), ("Kotlin", 2011, "static"),
    ("Swift", 2014, "static"), ("TypeScript", 2012, "static"), ("PHP", 1995, "dynamic"),
)


def _format_json(rng: random.Random) -> PairText:
    name, year, typing = rng.choice(_LANGUAGE_FACTS)
    keys = rng.choice((("name", "first_released", "typing"), ("language", "year", "type_system")))
    prompt = (f"Return only a JSON object with the keys \"{keys[0]}\", \"{keys[1]}\" and \"{keys[2]}\" "
              f"describing the programming language {name}. No other text.")
    chosen = json.dumps({keys[0]: name, keys[1]: year, keys[2]: typing})
    rejected = f"Sure! {name} was first released in {year} and it uses {typing} typing."
    return prompt, chosen, rejected


_LISTABLES = (
    ("git commands for inspecting history", ("git log", "git show", "git blame", "git diff", "git reflog")),
    ("HTTP methods", ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")),
    ("Python built-in collection types", ("list", "tuple", "dict", "set", "frozenset")),
    ("benefits of code review", ("catches bugs early", "spreads knowledge across the team",
                                 "keeps the style consistent", "improves design", "documents decisions")),
    ("Linux commands for checking disk usage", ("df -h", "du -sh", "ncdu", "lsblk", "findmnt")),
    ("SQL aggregate functions", ("COUNT", "SUM", "AVG", "MIN", "MAX")),
)


def _format_numbered_list(rng: random.Random) -> PairText:
    topic, items = rng.choice(_LISTABLES)
    count = 3
    picked = rng.sample(items, count)
    prompt = f"List exactly {count} {topic} as a numbered list, one per line, with no other text."
    chosen = "\n".join(f"{i}. {item}" for i, item in enumerate(picked, start=1))
    extra = [item for item in items if item not in picked]
    everything = picked + extra
    rejected = (f"There are quite a few {topic}. Some good ones are {', '.join(everything[:-1])} and "
                f"{everything[-1]}, and each has its own uses.")
    return prompt, chosen, rejected


_STATUS_CODES = (
    (200, "OK"), (201, "Created"), (204, "No Content"), (301, "Moved Permanently"), (304, "Not Modified"),
    (400, "Bad Request"), (401, "Unauthorized"), (403, "Forbidden"), (404, "Not Found"), (409, "Conflict"),
    (429, "Too Many Requests"), (500, "Internal Server Error"), (503, "Service Unavailable"),
)


def _format_table(rng: random.Random) -> PairText:
    rows = sorted(rng.sample(_STATUS_CODES, rng.randint(3, 5)))
    codes = ", ".join(str(code) for code, _ in rows)
    prompt = f"Show the HTTP status codes {codes} as a markdown table with the columns Code and Meaning."
    chosen = "| Code | Meaning |\n| --- | --- |\n" + "\n".join(f"| {code} | {text} |" for code, text in rows)
    rejected = "\n".join(f"- {code} means {text}" for code, text in rows)
    return prompt, chosen, rejected


def _format_yes_no(rng: random.Random) -> PairText:
    n = rng.randint(20, 400)
    prime = is_prime(n)
    prompt = f"Answer with only \"yes\" or \"no\": is {n} a prime number?"
    chosen = "yes" if prime else "no"
    if prime:
        reason = f"{n} has no divisor other than 1 and itself, so it is prime."
    else:
        divisor = next(d for d in range(2, n) if n % d == 0)
        reason = f"{n} = {divisor} × {n // divisor}, so it is not prime."
    rejected = f"Let's check. A prime number has exactly two divisors. {reason}"
    return prompt, chosen, rejected


_PRODUCTS = (
    ("a reusable water bottle", "Keeps drinks cold all day.",
     "This stainless steel bottle keeps your drinks ice cold for a full day, never leaks in your bag, and "
     "comes in a range of colours that suit every style and every occasion you can imagine."),
    ("a note-taking app", "Capture ideas, find them instantly.",
     "Our note-taking app lets you capture every idea the moment it strikes, organise everything with tags "
     "and folders, and find any note again in an instant with powerful full-text search."),
    ("a standing desk", "Sit or stand at one touch.",
     "This motorised standing desk moves smoothly between sitting and standing heights at the touch of a "
     "button, remembers your favourite positions and keeps your workspace tidy with built-in cable trays."),
    ("a password manager", "One vault for every password.",
     "The password manager stores every one of your passwords in a single encrypted vault, fills in logins "
     "automatically on all your devices and warns you whenever a saved password shows up in a breach."),
    ("noise-cancelling headphones", "Silence the world, hear your music.",
     "These wireless headphones use adaptive noise cancelling to silence the busy world around you, last for "
     "thirty hours on a single charge and fold away neatly into a compact travel case."),
)


def _constraint_word_limit(rng: random.Random) -> PairText:
    product, short, long = rng.choice(_PRODUCTS)
    limit = rng.choice((8, 10, 12))
    prompt = f"Describe {product} in at most {limit} words."
    return prompt, short, long


def _constraint_no_builtin(rng: random.Random) -> PairText:
    label = rng.choice(("playlist entries", "log lines", "build steps", "queue items", "user ids"))
    if rng.random() < 0.5:
        prompt = (f"In Python, reverse a list of {label} in place without using `reversed()`, "
                  "`list.reverse()` or slicing.")
        good = fill("""
            def reverse_in_place(items: list) -> None:
                left, right = 0, len(items) - 1
                while left < right:
                    items[left], items[right] = items[right], items[left]
                    left += 1
                    right -= 1
            """)
        bad = fill("""
            def reverse_in_place(items: list) -> None:
                items[:] = items[::-1]
            """)
        chosen = (f"{code_block('python', good)}\n\nTwo indices walk towards each other and swap; no "
                  "built-in reversal.")
        rejected = f"{code_block('python', bad)}\n\nThe slice reverses the list and assigns it back in place."
    else:
        prompt = f"In Python, sort a list of {label} without using `sorted()` or `list.sort()`."
        good = fill("""
            def insertion_sort(items: list) -> list:
                result = list(items)
                for i in range(1, len(result)):
                    current = result[i]
                    j = i - 1
                    while j >= 0 and result[j] > current:
                        result[j + 1] = result[j]
                        j -= 1
                    result[j + 1] = current
                return result
            """)
        bad = fill("""
            def insertion_sort(items: list) -> list:
                return sorted(items)
            """)
        chosen = (f"{code_block('python', good)}\n\nAn insertion sort written by hand, as required; no "
                  "built-in sorting.")
        rejected = f"{code_block('python', bad)}\n\nThis returns the items in ascending order."
    return prompt, chosen, rejected


_VEGETARIAN = ("mushroom risotto", "caprese salad", "vegetable lasagne", "chickpea curry",
               "roasted pepper soup",
               "spinach and ricotta cannelloni", "halloumi skewers", "lemon tart", "falafel with tahini")
_MEAT = ("chicken satay", "beef bourguignon", "pork belly buns", "prawn cocktail", "lamb kofta")


def _constraint_menu(rng: random.Random) -> PairText:
    courses = rng.choice((3, 4))
    guests = rng.randint(4, 12)
    prompt = f"Plan a {courses}-course dinner menu for {guests} guests. Everything must be vegetarian."
    dishes = rng.sample(_VEGETARIAN, courses)
    chosen = "\n".join(f"{i}. {dish.capitalize()}" for i, dish in enumerate(dishes, start=1))
    swapped = list(dishes)
    swapped[rng.randrange(courses - 1)] = rng.choice(_MEAT)
    rejected = "\n".join(f"{i}. {dish.capitalize()}" for i, dish in enumerate(swapped, start=1))
    chosen += "\n\nEvery course is vegetarian."
    rejected += "\n\nA balanced menu your guests will love."
    return prompt, chosen, rejected


def _specificity_savings(rng: random.Random) -> PairText:
    goal = rng.choice((1200, 2400, 3000, 4500, 6000, 9000))
    months = rng.choice((6, 8, 10, 12, 18, 24))
    purpose = rng.choice(
        ("a new laptop", "a holiday", "an emergency fund", "a used car deposit", "a wedding"))
    prompt = f"I want to save {goal:,} € for {purpose} in {months} months. How should I go about it?"
    monthly = goal / months
    chosen = (f"You need {goal:,} € / {months} = {num(monthly)} € per month (about {num(monthly * 12 / 52)} "
              f"€ per week).\n\n1. Set up an automatic transfer of {num(monthly)} € to a separate savings "
              "account on payday.\n2. Check your last three months of spending and pick one or two "
              f"categories to cut by that amount.\n3. Review progress each month: after {months // 2} months "
              f"you should have {num(monthly * (months // 2))} €.")
    rejected = ("Try to put a bit aside every month and cut down on things you don't need. Keep an eye on "
                "your spending and you'll get there.")
    return prompt, chosen, rejected


_QUERIES = (("orders", "customer_id"), ("events", "created_at"), ("messages", "thread_id"),
            ("invoices", "status"), ("page_views", "user_id"))


def _specificity_slow_query(rng: random.Random) -> PairText:
    table, column = rng.choice(_QUERIES)
    rows = rng.choice(("2 million", "10 million", "40 million"))
    engine = rng.choice(("PostgreSQL", "MySQL"))
    prompt = (f"My {engine} query `SELECT * FROM {table} WHERE {column} = ...` is slow; the table has {rows} "
              "rows.")
    chosen = (f"1. Confirm the plan: `EXPLAIN ANALYZE SELECT * FROM {table} WHERE {column} = ...;` — a "
              f"sequential/full scan over {rows} rows means no usable index.\n2. Add one: `CREATE INDEX "
              f"idx_{table}_{column} ON {table} ({column});`\n3. Re-run the EXPLAIN and check it now uses "
              f"`idx_{table}_{column}`.\n4. Select only the columns you need instead of `*`, so fewer pages "
              "are read.")
    rejected = "You should optimise the query. Indexes and caching can help, and so can better hardware."
    return prompt, chosen, rejected


_ERRORS = (
    ("Python", "ModuleNotFoundError: No module named 'requests'",
     "The package isn't installed in the interpreter that runs your script. Run `python -m pip install "
     "requests` with that same interpreter (activate your virtual environment first), then check with "
     "`python -c \"import requests\"`."),
    ("JavaScript", "TypeError: Cannot read properties of undefined (reading 'length')",
     "Something you call `.length` on is `undefined` — usually data that hasn't loaded or a misspelled "
     "property. Log the value just before that line, and guard it with `value?.length ?? 0` or an early "
     "return until it is set."),
    ("Python", "KeyError: 'email'",
     "The dict you index has no `email` key for at least one record. Use `record.get(\"email\")` and handle "
     "`None`, or print `record.keys()` for the failing record to see what the data actually contains."),
    ("Git", "fatal: refusing to merge unrelated histories",
     "The two branches share no common commit (often a repo created with a README on the server). If you "
     "really want to join them, run `git pull origin main --allow-unrelated-histories` and resolve "
     "conflicts."),
    ("Docker", "Bind for 0.0.0.0:8080 failed: port is already allocated",
     "Another container or process is using port 8080. Find it with `docker ps` (or `lsof -i :8080`), stop "
     "it, or map a different host port: `docker run -p 8081:8080 ...`."),
)


def _specificity_error(rng: random.Random) -> PairText:
    tool, error, fix = rng.choice(_ERRORS)
    prompt = f"{rng.choice(('Help:', 'What does this mean?', 'How do I fix this?'))} {tool} says: `{error}`"
    rejected = ("There's a problem in your setup or code. Double-check everything and search online for the "
                "error.")
    return prompt, fix, rejected


def _conciseness_arithmetic(rng: random.Random) -> PairText:
    a, b = rng.randint(12, 99), rng.randint(12, 99)
    prompt = f"What is {a} × {b}?"
    chosen = f"{a} × {b} = {a * b}."
    rejected = ("Great question! Multiplication is one of the four basic operations of arithmetic, and it "
                f"represents repeated addition. To work out {a} × {b}, we can think of adding {a} to itself "
                f"{b} times. After carefully doing the calculation, we arrive at the result: {a * b}. I hope "
                "this helps, and let me know if you have any other maths questions!")
    return prompt, chosen, rejected


_CAPITALS = (("France", "Paris"), ("Japan", "Tokyo"), ("Canada", "Ottawa"), ("Australia", "Canberra"),
             ("Kenya", "Nairobi"), ("Brazil", "Brasília"), ("Norway", "Oslo"), ("Egypt", "Cairo"),
             ("Argentina", "Buenos Aires"), ("South Korea", "Seoul"), ("Portugal", "Lisbon"))


def _conciseness_capital(rng: random.Random) -> PairText:
    country, capital = rng.choice(_CAPITALS)
    prompt = f"What is the capital of {country}?"
    chosen = f"{capital}."
    rejected = ("That's a really interesting question, and geography is such a fascinating subject! Every "
                "country has a capital city, which is usually where the government is based. In the case of "
                f"{country}, after considering its history and political structure, the capital city is "
                f"{capital}. Capitals often play an important role in a nation's culture as well. Let me "
                "know if you'd like to learn more!")
    return prompt, chosen, rejected


def _conciseness_shell(rng: random.Random) -> PairText:
    filename = rng.choice(("server.log", "data.csv", "notes.txt", "access.log", "main.py"))
    task, command = rng.choice((
        ("count the lines in", f"wc -l {filename}"),
        ("show the last 20 lines of", f"tail -n 20 {filename}"),
        ("show the size of", f"du -h {filename}"),
        ("follow new lines appended to", f"tail -f {filename}"),
    ))
    prompt = f"How do I {task} {filename} on Linux?"
    chosen = f"`{command}`"
    rejected = ("There are many ways to work with files on Linux, which is a powerful and flexible "
                "operating system. The command line offers lots of utilities, each designed to do one thing "
                f"well. To {task} {filename}, you can open a terminal, make sure you are in the right "
                f"directory, and then type the following command: `{command}`. Press Enter and the result "
                "will be displayed. Linux has many more commands worth exploring!")
    return prompt, chosen, rejected


_UNITS = (("minutes", "hours", 60), ("seconds", "minutes", 60), ("bytes", "KiB", 1024),
          ("grams", "kilograms", 1000),
          ("centimetres", "metres", 100), ("milliseconds", "seconds", 1000), ("hours", "days", 24))


def _conciseness_units(rng: random.Random) -> PairText:
    small, big, factor = rng.choice(_UNITS)
    n = rng.randint(2, 48)
    prompt = f"How many {small} are in {n} {big}?"
    chosen = f"{num(n * factor)} {small} ({n} × {factor})."
    rejected = (f"To answer this, it helps to first understand the relationship between {small} and {big}. "
                "Units of measurement were standardised to make calculations like this easier. There are "
                f"{factor} {small} in one {big.rstrip('s')}, so to convert we simply multiply. Doing that "
                f"multiplication step by step, {n} multiplied by {factor} gives us a total of "
                f"{num(n * factor)} {small}. So, in conclusion, there are {num(n * factor)} {small} in {n} "
                f"{big}.")
    return prompt, chosen, rejected


TEMPLATES: dict[str, tuple[Template, ...]] = {
    "task_completion": (_completion_temperatures, _completion_function_and_test, _completion_pros_cons,
                        _completion_total_and_average),
    "format_compliance": (_format_json, _format_numbered_list, _format_table, _format_yes_no),
    "constraint_satisfaction": (_constraint_word_limit, _constraint_no_builtin, _constraint_menu),
    "specificity": (_specificity_savings, _specificity_slow_query, _specificity_error),
    "conciseness": (_conciseness_arithmetic, _conciseness_capital, _conciseness_shell, _conciseness_units),
}
