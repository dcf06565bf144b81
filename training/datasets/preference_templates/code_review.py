"""Preference templates for what a code review checks: code_style, code_security and code_documentation."""

from __future__ import annotations

import random
import textwrap

from training.datasets.preference_templates.text import (
    LANGS,
    PairText,
    Template,
    camel,
    code_block,
    fill,
    num,
    pascal,
)


_FILTER_ENTITIES = (
    ("users", "user", "active", "name", "names"),
    ("devices", "device", "online", "hostname", "hostnames"),
    ("employees", "employee", "remote", "email", "emails"),
    ("orders", "order", "paid", "id", "ids"),
    ("repositories", "repository", "archived", "url", "urls"),
)


def _style_filter(rng: random.Random) -> PairText:
    plural, singular, flag, field, fields = rng.choice(_FILTER_ENTITIES)
    lang, fence = rng.choice(LANGS)
    framing = rng.choice(("Write a {lang} function that returns", "In {lang}, I need a function returning",
                          "Give me a {lang} helper that returns"))
    prompt = framing.format(lang=lang) + f" the {fields} of the {plural} that are {flag}."
    if fence == "python":
        good = fill("""
            def <<flag>>_<<s>>_<<fields>>(<<p>>: list[dict]) -> list[str]:
                return [<<s>>["<<field>>"] for <<s>> in <<p>> if <<s>>["<<flag>>"]]
            """, flag=flag, s=singular, p=plural, field=field, fields=fields)
        bad = fill("""
            def F(L):
                R=[]
                for i in range(len(L)):
                    if L[i]['<<flag>>']==True:R.append(L[i]['<<field>>'])
                return R
            """, flag=flag, field=field)
        note = ("snake_case names that say what the function returns, a comprehension instead of index "
                "bookkeeping")
    else:
        good = fill("""
            function <<name>>(<<p>>) {
              return <<p>>.filter((<<s>>) => <<s>>.<<flag>>).map((<<s>>) => <<s>>.<<field>>);
            }
            """, name=f"{flag}{pascal(singular)}{pascal(fields)}", p=plural, s=singular, flag=flag,
            field=field)
        # One minified line on purpose: the rejected answer's flaw is its formatting.
        bad = fill("function F(L){var R=[];for(var "
                   "i=0;i<L.length;i++){if(L[i].<<flag>>==true){R.push(L[i].<<field>>)}}return "
                   "R}", flag=flag, field=field)
        note = ("camelCase names that say what the function returns, `filter`/`map` instead of index "
                "bookkeeping")
    chosen = (f"{code_block(fence, good)}\n\nSame behaviour, written for the next reader: {note}, standard "
              "formatting.")
    rejected = f"{code_block(fence, bad)}\n\nThis returns the {fields} of the {flag} {plural}."
    return prompt, chosen, rejected


def _style_guard_clauses(rng: random.Random) -> PairText:
    thing = rng.choice(("username", "handle", "slug", "team_name", "project_key"))
    low, high = rng.randint(2, 5), rng.choice((16, 20, 24, 32))
    prompt = (f"Write a Python function that checks a {thing.replace('_', ' ')}: it must be a string of "
              f"{low} to {high} characters made of letters, digits and underscores.")
    good = fill("""
        MIN_LENGTH = <<low>>
        MAX_LENGTH = <<high>>


        def is_valid_<<t>>(<<t>>: object) -> bool:
            if not isinstance(<<t>>, str):
                return False
            if not MIN_LENGTH <= len(<<t>>) <= MAX_LENGTH:
                return False
            return all(char.isalnum() or char == "_" for char in <<t>>)
        """, t=thing, low=low, high=high)
    bad = fill("""
        def check(x):
            if type(x)==str:
                if len(x)>=<<low>>:
                    if len(x)<=<<high>>:
                        ok=True
                        for c in x:
                            if not (c.isalnum() or c=="_"): ok=False
                        return ok
                    else: return False
                else: return False
            else: return False
        """, low=low, high=high)
    chosen = (f"{code_block('python', good)}\n\nGuard clauses return early, so the happy path isn't buried "
              "in nested `if`s; named constants replace magic numbers and the function name says what it "
              "checks.")
    rejected = f"{code_block('python', bad)}\n\nThis returns True only for a valid {thing.replace('_', ' ')}."
    return prompt, chosen, rejected


def _style_tiers(rng: random.Random) -> PairText:
    tiers = rng.choice((("bronze", "silver", "gold"), ("basic", "plus", "pro"),
                        ("starter", "team", "enterprise")))
    rates = (rng.choice((3, 5, 7)), rng.choice((10, 12)), rng.choice((15, 20, 25)))
    prompt = (f"Write a Python function that applies a customer-tier discount to a price: {tiers[0]} "
              f"{rates[0]} %, {tiers[1]} {rates[1]} %, {tiers[2]} {rates[2]} %, any other tier no discount. "
              "Round to cents.")
    table = ", ".join(f'"{tier}": {rate / 100:.2f}' for tier, rate in zip(tiers, rates))
    good = fill("""
        DISCOUNT_BY_TIER = {<<table>>}


        def discounted_price(price: float, tier: str) -> float:
            discount = DISCOUNT_BY_TIER.get(tier, 0.0)
            return round(price * (1 - discount), 2)
        """, table=table)
    factors = [num(round(1 - rate / 100, 4)) for rate in rates]
    bad = fill("""
        def calc(p,t):
            if t=="<<t0>>":
                return round(p*<<f0>>,2)
            else:
                if t=="<<t1>>":
                    return round(p*<<f1>>,2)
                else:
                    if t=="<<t2>>":
                        return round(p*<<f2>>,2)
                    else:
                        return round(p,2)
        """, t0=tiers[0], t1=tiers[1], t2=tiers[2], f0=factors[0], f1=factors[1], f2=factors[2])
    chosen = (f"{code_block('python', good)}\n\nThe rates live in one named table, so adding a tier is a "
              "one-line change; descriptive names and PEP 8 spacing replace the nested `else` ladder.")
    rejected = f"{code_block('python', bad)}\n\nThis applies the right discount for each tier."
    return prompt, chosen, rejected


_SQL_LOOKUPS = (
    ("users", "email", "look up a user by email address"),
    ("orders", "customer_id", "fetch every order of a customer"),
    ("products", "sku", "find a product by its SKU"),
    ("invoices", "number", "load an invoice by its number"),
    ("tickets", "assignee", "list the tickets assigned to a person"),
    ("sessions", "token", "find a login session by its token"),
)


def _security_sql(rng: random.Random) -> PairText:
    table, column, task = rng.choice(_SQL_LOOKUPS)
    if rng.random() < 0.5:
        fence, where = "python", "Python with sqlite3"
        name = f"find_{table}_by_{column}"
        good = fill("""
            import sqlite3

            def <<f>>(conn: sqlite3.Connection, <<c>>: str) -> list[tuple]:
                cursor = conn.execute("SELECT * FROM <<t>> WHERE <<c>> = ?", (<<c>>,))
                return cursor.fetchall()
            """, f=name, t=table, c=column)
        bad = fill("""
            import sqlite3

            def <<f>>(conn: sqlite3.Connection, <<c>>: str) -> list[tuple]:
                cursor = conn.execute(f"SELECT * FROM <<t>> WHERE <<c>> = '{<<c>>}'")
                return cursor.fetchall()
            """, f=name, t=table, c=column)
    else:
        fence, where = "javascript", "Node.js with node-postgres"
        param = camel(column)
        good = fill("""
            async function <<f>>(pool, <<p>>) {
              const result = await pool.query("SELECT * FROM <<t>> WHERE <<c>> = $1", [<<p>>]);
              return result.rows;
            }
            """, f=camel(f"find_{table}_by_{column}"), t=table, c=column, p=param)
        bad = fill("""
            async function <<f>>(pool, <<p>>) {
              const result = await pool.query(`SELECT * FROM <<t>> WHERE <<c>> = '${<<p>>}'`);
              return result.rows;
            }
            """, f=camel(f"find_{table}_by_{column}"), t=table, c=column, p=param)
    origin = rng.choice(("a web form", "the query string", "a JSON request body", "a command-line argument"))
    prompt = (f"Using {where}, write a function to {task} from the `{table}` table. The value comes from "
              f"{origin}.")
    chosen = (f"{code_block(fence, good)}\n\nThe value is sent as a bound parameter, so the driver never "
              "splices it into the SQL text: input such as `' OR '1'='1` stays a plain string and cannot "
              "change the query.")
    rejected = (f"{code_block(fence, bad)}\n\nThe value is inserted into the query, which then returns the "
                "matching rows.")
    return prompt, chosen, rejected


def _security_shell(rng: random.Random) -> PairText:
    tool = rng.choice(("gzip", "xz", "bzip2", "zstd"))
    lang, fence = rng.choice(LANGS)
    prompt = f"In {lang}, compress a file that a user uploaded (its name comes from the upload) with {tool}."
    if fence == "python":
        good = fill("""
            import subprocess
            from pathlib import Path

            def compress(path: Path) -> None:
                subprocess.run(["<<tool>>", "--keep", "--", str(path)], check=True)
            """, tool=tool)
        bad = fill("""
            import os

            def compress(path):
                os.system(f"<<tool>> --keep {path}")
            """, tool=tool)
    else:
        good = fill("""
            const { execFile } = require("node:child_process");

            function compress(path, done) {
              execFile("<<tool>>", ["--keep", "--", path], done);
            }
            """, tool=tool)
        bad = fill("""
            const { exec } = require("node:child_process");

            function compress(path, done) {
              exec(`<<tool>> --keep ${path}`, done);
            }
            """, tool=tool)
    chosen = (f"{code_block(fence, good)}\n\nThe program gets an argument list and no shell runs, so a file "
              "name such as `report.txt; reboot` cannot inject a command, and `--` stops names starting "
              "with `-` being read as options.")
    rejected = f"{code_block(fence, bad)}\n\nThis runs {tool} on the uploaded file."
    return prompt, chosen, rejected


def _security_xss(rng: random.Random) -> PairText:
    thing = rng.choice(("comment", "display_name", "review", "chat_message", "bio"))
    label = thing.replace("_", " ")
    if rng.random() < 0.5:
        fence = "javascript"
        prompt = (f"In browser JavaScript, show a user's {label} (free text they typed) inside a container "
                  "element.")
        good = fill("""
            function render<<T>>(container, <<v>>) {
              const paragraph = document.createElement("p");
              paragraph.textContent = <<v>>;
              container.append(paragraph);
            }
            """, T=pascal(thing), v=camel(thing))
        bad = fill("""
            function render<<T>>(container, <<v>>) {
              container.innerHTML += "<p>" + <<v>> + "</p>";
            }
            """, T=pascal(thing), v=camel(thing))
        fix = "`textContent` treats the text as text"
    else:
        fence = "python"
        prompt = f"In Python, build the HTML snippet that shows a user's {label} (free text they typed)."
        good = fill("""
            from html import escape

            def render_<<t>>(<<t>>: str) -> str:
                return f'<p class="<<t>>">{escape(<<t>>)}</p>'
            """, t=thing)
        bad = fill("""
            def render_<<t>>(<<t>>: str) -> str:
                return f'<p class="<<t>>">{<<t>>}</p>'
            """, t=thing)
        fix = "`html.escape` turns `<`, `>`, `&` and quotes into entities"
    chosen = (f"{code_block(fence, good)}\n\n{fix}, so a {label} containing `<script>` or an `onerror=` "
              "attribute is displayed instead of executed (no cross-site scripting).")
    rejected = f"{code_block(fence, bad)}\n\nThe {label} is wrapped in a paragraph and shown on the page."
    return prompt, chosen, rejected


def _security_path_traversal(rng: random.Random) -> PairText:
    folder = rng.choice(
        ("/srv/uploads", "/var/app/files", "/data/attachments", "/srv/media", "/opt/app/reports"))
    name = rng.choice(("read_upload", "read_attachment", "load_document", "read_report"))
    framework = rng.choice(("a Flask view", "a FastAPI endpoint", "a small HTTP handler", "a Django view"))
    prompt = (f"In Python, write `{name}(name)` for {framework}: it returns the bytes of a file in {folder}; "
              "`name` comes from the URL.")
    good = fill("""
        from pathlib import Path

        BASE_DIR = Path("<<d>>").resolve()

        def <<f>>(name: str) -> bytes:
            path = (BASE_DIR / name).resolve()
            if not path.is_relative_to(BASE_DIR):
                raise PermissionError(f"{name!r} is outside {BASE_DIR}")
            return path.read_bytes()
        """, d=folder, f=name)
    bad = fill("""
        import os

        BASE_DIR = "<<d>>"

        def <<f>>(name):
            with open(os.path.join(BASE_DIR, name), "rb") as handle:
                return handle.read()
        """, d=folder, f=name)
    chosen = (f"{code_block('python', good)}\n\nThe path is resolved (following `..` and symlinks) and must "
              f"stay inside {folder}, so a name like `../../etc/passwd` is refused instead of leaking other "
              "files.")
    rejected = (f"{code_block('python', bad)}\n\nIt joins the folder and the name and returns the file's "
                "bytes.")
    return prompt, chosen, rejected


def _security_passwords(rng: random.Random) -> PairText:
    app = rng.choice(("a small web shop", "our internal wiki", "a Flask API", "a community forum",
                      "a booking app",
                      "a school portal", "a fitness tracker", "a ticketing system"))
    weak = rng.choice(("md5", "sha1", "sha256"))
    prompt = f"How should I hash and check user passwords for {app}? Show Python code."
    good = fill("""
        import hashlib
        import hmac
        import os

        def hash_password(password: str) -> bytes:
            salt = os.urandom(16)
            digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
            return salt + digest

        def verify_password(password: str, stored: bytes) -> bool:
            salt, digest = stored[:16], stored[16:]
            candidate = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
            return hmac.compare_digest(candidate, digest)
        """)
    bad = fill("""
        import hashlib

        def hash_password(password: str) -> str:
            return hashlib.<<weak>>(password.encode()).hexdigest()

        def verify_password(password: str, stored: str) -> bool:
            return hash_password(password) == stored
        """, weak=weak)
    chosen = (f"{code_block('python', good)}\n\nscrypt is deliberately slow and memory-hard, the random "
              "per-user salt defeats precomputed tables, and `compare_digest` compares in constant time.")
    rejected = f"{code_block('python', bad)}\n\nStore the {weak} hash and compare it when the user logs in."
    return prompt, chosen, rejected


def _doc_chunk(rng: random.Random) -> tuple[str, str, str, str, str]:
    name = rng.choice(("chunk", "batched", "split_into_groups"))
    size = rng.randint(2, 4)
    items = list(range(1, rng.randint(size + 2, size * 3) + 1))
    groups = [items[i:i + size] for i in range(0, len(items), size)]
    code = fill("""
        def <<f>>(items: list, size: int) -> list[list]:
            if size <= 0:
                raise ValueError("size must be positive")
            return [items[i:i + size] for i in range(0, len(items), size)]
        """, f=name)
    doc = fill('''
        """Split ``items`` into consecutive lists of at most ``size`` elements.

        Args:
            items: The list to split; it is not modified.
            size: The largest chunk length; must be positive.

        Returns:
            The chunks in order; the last one may be shorter.

        Raises:
            ValueError: If ``size`` is not positive.

        Example:
            >>> <<f>>(<<items>>, <<size>>)
            <<groups>>
        """
        ''', f=name, items=items, size=size, groups=groups)
    return name, code, doc, "# split list", "Splits a list into chunks."


def _doc_clamp(rng: random.Random) -> tuple[str, str, str, str, str]:
    name = rng.choice(("clamp", "limit", "bound"))
    low, high = sorted(rng.sample(range(0, 100), 2))
    value = rng.choice((low - rng.randint(1, 20), high + rng.randint(1, 20), (low + high) // 2))
    result = min(max(value, low), high)
    code = fill("""
        def <<f>>(value: float, low: float, high: float) -> float:
            if low > high:
                raise ValueError("low must not exceed high")
            return min(max(value, low), high)
        """, f=name)
    doc = fill('''
        """Return ``value`` limited to the closed range ``[low, high]``.

        Args:
            value: The number to limit.
            low: The smallest allowed result.
            high: The largest allowed result; must be at least ``low``.

        Returns:
            ``low`` if ``value`` is below the range, ``high`` if above, else ``value``.

        Raises:
            ValueError: If ``low`` is greater than ``high``.

        Example:
            >>> <<f>>(<<v>>, <<lo>>, <<hi>>)
            <<r>>
        """
        ''', f=name, v=value, lo=low, hi=high, r=result)
    return name, code, doc, "# min max", "Clamps the value."


def _doc_percent_change(rng: random.Random) -> tuple[str, str, str, str, str]:
    name = rng.choice(("percent_change", "growth_rate", "relative_change"))
    old, new = rng.randint(20, 400), rng.randint(20, 400)
    result = round((new - old) / old * 100, 2)
    code = fill("""
        def <<f>>(old: float, new: float) -> float:
            if old == 0:
                raise ValueError("old must not be zero")
            return round((new - old) / old * 100, 2)
        """, f=name)
    doc = fill('''
        """Return the change from ``old`` to ``new`` in percent of ``old``, rounded to 2 decimals.

        Args:
            old: The reference value; must not be zero.
            new: The value to compare with the reference.

        Returns:
            Positive for an increase, negative for a decrease (``-50.0`` means halved).

        Raises:
            ValueError: If ``old`` is zero, where a relative change is undefined.

        Example:
            >>> <<f>>(<<o>>, <<n>>)
            <<r>>
        """
        ''', f=name, o=old, n=new, r=result)
    return name, code, doc, "# calc percent", "Calculates the percentage."


def _code_documentation(rng: random.Random) -> PairText:
    name, code, doc, comment, summary = rng.choice((_doc_chunk, _doc_clamp, _doc_percent_change))(rng)
    prompt = ("Add documentation to this Python function so a new teammate can use it without reading the "
              f"body:\n\n{code_block('python', code)}")
    head, body = code.split("\n", 1)
    documented = head + "\n" + textwrap.indent(doc, "    ") + "\n" + body
    commented = head + "\n    " + comment + "\n" + body
    chosen = (f"{code_block('python', documented)}\n\nThe docstring states what `{name}` returns, what each "
              "argument means, when it raises, and shows a runnable example (doctest).")
    rejected = f"{code_block('python', commented)}\n\n{summary}"
    return prompt, chosen, rejected


TEMPLATES: dict[str, tuple[Template, ...]] = {
    "code_style": (_style_filter, _style_guard_clauses, _style_tiers),
    "code_security": (_security_sql, _security_shell, _security_xss, _security_path_traversal,
                      _security_passwords),
    "code_documentation": (_code_documentation,),
}
