"""Technology categories: computed sizes, rates, encodings, hashes and bit operations; curated CS facts."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import math
import random
import string
import urllib.parse
import zlib
from collections.abc import Callable

from training.datasets.synthetic.data import table
from training.datasets.synthetic.formatting import an, num, sig, worked
from training.datasets.synthetic.problem import Builder, Kind, Problem

DECIMAL_UNITS = {"B": 1, "kB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}
BINARY_UNITS = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}
WORDS = (
    "hello",
    "Nexus",
    "data",
    "cache",
    "token",
    "server",
    "hello world",
    "abc",
    "password123",
    "GraphQL",
    "open sesame",
    "user@example.com",
    "2024-01-31",
    "café",
    "naïve",
    "ß",
    "x=1&y=2",
    "a b c",
    "path/to/file",
    "100% sure",
    "rock & roll",
    "Zürich",
    "Ünïcödé",
    "json",
    "ping",
    "SELECT 1",
)


def duration_text(seconds: float) -> str:
    """Seconds as ``1 h 2 min 3 s`` (rounded to the second)."""
    total = round(seconds)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    parts = [f"{h} h" if h else "", f"{m} min" if m else "", f"{s} s" if s or not (h or m) else ""]
    return " ".join(p for p in parts if p)


# ----- file_size_convert, bandwidth_calc, storage_calc ---------------------------------


def file_size_convert(rng: random.Random) -> Problem:
    """Conversions between bytes, decimal (kB, MB, GB, TB) and binary (KiB, MiB, GiB, TiB) units."""
    units = {**DECIMAL_UNITS, **BINARY_UNITS}
    while True:
        source, target = rng.sample(sorted(units), 2)
        ratio = units[source] / units[target]
        if 1e-7 <= ratio <= 1e9:
            break
    value = rng.choice([rng.randint(1, 999), round(rng.uniform(0.5, 100), 1), 2 ** rng.randint(1, 12)])
    result = value * ratio
    sizes = f"1 {source} = {num(units[source])} bytes, 1 {target} = {num(units[target])} bytes"
    query = rng.choice(
        [f"Convert {num(value)} {source} to {target}.", f"How many {target} is {num(value)} {source}?"]
    )
    return Problem(
        query,
        worked(
            [
                sizes,
                f"{num(value)} × {num(units[source])} / {num(units[target])} = {sig(result, 6)} {target}",
            ],
            f"{sig(result, 6)} {target}",
        ),
        {"value": value, "from": source, "to": target},
    )


def bandwidth_calc(rng: random.Random) -> Problem:
    """Download times, data moved at a given rate, bandwidth needed for a deadline, and streaming volume."""
    variant = rng.choice(["download_time", "data_moved", "needed_rate", "streaming"])
    if variant == "download_time":
        size, unit = rng.choice([(rng.randint(5, 999), "MB"), (round(rng.uniform(0.5, 150), 1), "GB")])
        mbps = rng.choice([10, 25, 50, 100, 200, 300, 500, 1000])
        bits = size * DECIMAL_UNITS[unit] * 8
        seconds = bits / (mbps * 1e6)
        return Problem(
            f"How long does it take to download a {num(size)} {unit} file over a {mbps} Mbps connection "
            "(ignore overhead)?",
            worked(
                [
                    f"{num(size)} {unit} = {num(size * DECIMAL_UNITS[unit] / 1e6)} MB = {num(bits / 1e6)} "
                    "megabits",
                    f"{num(bits / 1e6)} Mb / {mbps} Mbps = {num(seconds, 2)} s = {duration_text(seconds)}",
                ],
                f"{num(seconds, 2)} s ({duration_text(seconds)})",
            ),
            {"variant": variant, "size": size, "unit": unit, "mbps": mbps},
        )
    if variant == "data_moved":
        mbps, minutes = rng.choice([5, 20, 50, 100, 250, 940]), rng.randint(1, 240)
        gb = mbps * 1e6 * minutes * 60 / 8 / 1e9
        return Problem(
            f"A link sustains {mbps} Mbps for {minutes} minutes. How many gigabytes (GB) are transferred?",
            worked(
                [
                    f"{mbps} Mbps × {minutes * 60} s = {num(mbps * minutes * 60)} megabits",
                    f"÷ 8 = {num(mbps * minutes * 60 / 8)} MB = {num(gb, 3)} GB",
                ],
                f"{num(gb, 3)} GB",
            ),
            {"variant": variant, "mbps": mbps, "minutes": minutes},
        )
    if variant == "needed_rate":
        gb, minutes = rng.randint(1, 500), rng.choice([5, 10, 15, 30, 60, 120, 240, 480])
        mbps = gb * 8000 / (minutes * 60)
        return Problem(
            f"What bandwidth in Mbps is needed to transfer {gb} GB in {minutes} minutes?",
            worked(
                [
                    f"{gb} GB = {num(gb * 8000)} megabits",
                    f"{num(gb * 8000)} / {minutes * 60} s = {num(mbps, 2)} Mbps",
                ],
                f"{num(mbps, 2)} Mbps",
            ),
            {"variant": variant, "gb": gb, "minutes": minutes},
        )
    mbps, hours, days = rng.choice([1.5, 3, 5, 8, 15, 25]), rng.choice([1, 2, 3, 4, 6]), rng.choice([7, 30])
    gb = mbps * 1e6 * hours * 3600 * days / 8 / 1e9
    return Problem(
        f"A video stream uses {num(mbps)} Mbps. How much data (GB) does watching {hours} h a day for {days} "
        "days use?",
        worked(
            [
                f"Per hour: {num(mbps)} × 3600 / 8 = {num(mbps * 450)} MB",
                f"Total: {num(mbps * 450)} MB × {hours} × {days} = {num(gb, 2)} GB",
            ],
            f"{num(gb, 2)} GB",
        ),
        {"variant": variant, "mbps": mbps, "hours": hours, "days": days},
    )


def storage_calc(rng: random.Random) -> Problem:
    """Space for many files, files per drive, RAID capacity and days until a disk is full."""
    variant = rng.choice(["total", "fits", "raid", "days_left"])
    if variant == "total":
        count, mb = rng.randint(100, 200_000), round(rng.uniform(0.2, 50), 1)
        gb = count * mb / 1000
        return Problem(
            f"How much storage (GB, decimal) do {num(count)} files of {num(mb)} MB each need?",
            worked(
                [f"{num(count)} × {num(mb)} MB = {num(count * mb)} MB = {num(gb, 2)} GB"], f"{num(gb, 2)} GB"
            ),
            {"variant": variant, "count": count, "mb": mb},
        )
    if variant == "fits":
        drive_gb, mb = rng.choice([32, 64, 128, 256, 512, 1000, 2000]), round(rng.uniform(0.5, 40), 1)
        files = math.floor(drive_gb * 1000 / mb)
        return Problem(
            f"How many {num(mb)} MB photos fit on a {num(drive_gb)} GB card (decimal units, ignore "
            "file-system overhead)?",
            worked(
                [
                    f"{num(drive_gb)} GB = {num(drive_gb * 1000)} MB",
                    f"{num(drive_gb * 1000)} / {num(mb)} = {num(drive_gb * 1000 / mb, 2)}, rounded down",
                ],
                f"{num(files)} photos",
            ),
            {"variant": variant, "drive_gb": drive_gb, "mb": mb},
        )
    if variant == "raid":
        level = rng.choice(["RAID 0", "RAID 1", "RAID 5", "RAID 6", "RAID 10"])
        disks = {
            "RAID 0": rng.randint(2, 8),
            "RAID 1": 2,
            "RAID 5": rng.randint(3, 8),
            "RAID 6": rng.randint(4, 10),
            "RAID 10": rng.choice([4, 6, 8, 10]),
        }[level]
        size = rng.choice([1, 2, 4, 8, 10, 12, 16, 20])
        usable_disks = {
            "RAID 0": disks,
            "RAID 1": 1,
            "RAID 5": disks - 1,
            "RAID 6": disks - 2,
            "RAID 10": disks // 2,
        }[level]
        rule = {
            "RAID 0": "striping, no redundancy: all disks",
            "RAID 1": "mirroring: one disk's worth",
            "RAID 5": "one disk's worth of parity: n - 1 disks",
            "RAID 6": "two disks' worth of parity: n - 2 disks",
            "RAID 10": "mirrored pairs, striped: n / 2 disks",
        }[level]
        return Problem(
            f"What is the usable capacity of {level} built from {disks} disks of {size} TB each?",
            worked(
                [f"{level} uses {rule}", f"{usable_disks} × {size} TB = {usable_disks * size} TB"],
                f"{usable_disks * size} TB",
            ),
            {"variant": variant, "level": level, "disks": disks, "size": size},
        )
    capacity_tb, used_pct, growth_gb = (
        rng.choice([1, 2, 4, 8, 12, 16]),
        rng.randint(10, 90),
        rng.randint(5, 200),
    )
    free_gb = capacity_tb * 1000 * (100 - used_pct) / 100
    days = free_gb / growth_gb
    return Problem(
        f"A {capacity_tb} TB volume is {used_pct}% full and grows by {growth_gb} GB a day. In how many days "
        "is it full?",
        worked(
            [
                f"Free: {capacity_tb} TB × {100 - used_pct}% = {num(free_gb)} GB",
                f"{num(free_gb)} / {growth_gb} = {num(days, 1)} days",
            ],
            f"about {num(days, 1)} days",
        ),
        {"variant": variant, "capacity_tb": capacity_tb, "used_pct": used_pct, "growth_gb": growth_gb},
    )


# ----- encoding, hash_functions, binary_operations -------------------------------------


def encoding(rng: random.Random) -> Problem:
    """Base64, hex and percent-encoding of strings, character codes and UTF-8 bytes."""
    text = rng.choice(WORDS)
    raw = text.encode("utf-8")
    variant = rng.choice(["b64_encode", "b64_decode", "hex", "url", "char_code", "utf8_bytes"])
    if variant == "b64_encode":
        out = base64.b64encode(raw).decode("ascii")
        return Problem(
            f'Base64-encode the UTF-8 string "{text}".',
            worked(
                [
                    f"UTF-8 bytes: {raw.hex(' ')}",
                    "Base64 takes 3 bytes (24 bits) at a time and writes four 6-bit characters, padding with "
                    "'='",
                    f"Result: {out}",
                ],
                out,
            ),
            {"variant": variant, "text": text},
        )
    if variant == "b64_decode":
        encoded = base64.b64encode(raw).decode("ascii")
        return Problem(
            f"Decode the Base64 string {encoded} (as UTF-8 text).",
            worked([f"Bytes: {raw.hex(' ')}", f'As UTF-8: "{text}"'], f'"{text}"'),
            {"variant": variant, "encoded": encoded},
        )
    if variant == "hex":
        return Problem(
            f'What is the hexadecimal representation of the UTF-8 bytes of "{text}"?',
            worked([f"{len(raw)} bytes, each written as two hex digits"], raw.hex()),
            {"variant": variant, "text": text},
        )
    if variant == "url":
        out = urllib.parse.quote(text, safe="")
        return Problem(
            f'URL-encode (percent-encode) the string "{text}" for use in a query parameter.',
            worked(
                [
                    "Letters, digits and -._~ stay as they are; every other byte of the UTF-8 encoding "
                    "becomes %XX",
                    f"Result: {out}",
                ],
                out,
            ),
            {"variant": variant, "text": text},
        )
    if variant == "char_code":
        char = rng.choice(string.ascii_letters + string.digits + "!?@#$%&*+-=/")
        code = ord(char)
        return Problem(
            f"What is the ASCII code of the character '{char}', in decimal, hex and binary?",
            worked([f"'{char}' = {code} = 0x{code:02X} = {code:08b}"], f"{code} (0x{code:02X}, {code:08b})"),
            {"variant": variant, "char": char},
        )
    char = rng.choice("éñü߀中日😀é£¥©±°Ωж")
    data = char.encode("utf-8")
    return Problem(
        f"Which bytes encode the character '{char}' (U+{ord(char):04X}) in UTF-8?",
        worked(
            [
                f"U+{ord(char):04X} needs {len(data)} byte{'s' if len(data) > 1 else ''} in UTF-8",
                f"Bytes: {data.hex(' ').upper()}",
            ],
            data.hex(" ").upper(),
        ),
        {"variant": variant, "char": char},
    )


HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-512": "sha512", "SHA3-256": "sha3_256"}


def hash_functions(rng: random.Random) -> Problem:
    """Real digests (MD5, SHA-1, SHA-2, SHA-3, CRC-32) of short strings and digest sizes."""
    text = rng.choice(WORDS)
    variant = rng.choice(["digest", "digest", "crc32", "length"])
    if variant == "crc32":
        value = zlib.crc32(text.encode("utf-8"))
        return Problem(
            f'What is the CRC-32 checksum of the UTF-8 string "{text}"?',
            worked(
                [
                    "CRC-32 (the zlib/IEEE polynomial) gives a 32-bit value, shown as 8 hex digits",
                    f"0x{value:08x} = {value}",
                ],
                f"0x{value:08x}",
            ),
            {"variant": variant, "text": text},
        )
    name = rng.choice(sorted(HASHES))
    digest = hashlib.new(HASHES[name], text.encode("utf-8"))
    if variant == "length":
        bits = digest.digest_size * 8
        return Problem(
            f"How long is a {name} digest in bits, bytes and hexadecimal characters?",
            worked(
                [
                    f"{name} outputs {bits} bits = {bits // 8} bytes, and each byte is 2 hex characters: "
                    f"{bits // 4} hex characters",
                ],
                f"{bits} bits, {bits // 8} bytes, {bits // 4} hex characters",
            ),
            {"variant": variant, "algorithm": name},
        )
    hexdigest = digest.hexdigest()
    note = (
        " MD5 and SHA-1 are broken for collision resistance; use SHA-256 or better for integrity checks."
        if name in ("MD5", "SHA-1")
        else ""
    )
    return Problem(
        f'What is the {name} hash of the string "{text}" (UTF-8, no trailing newline)?',
        worked(
            [
                f"{name} produces a {digest.digest_size * 8}-bit digest ({digest.digest_size * 2} hex "
                f"characters).{note}",
                f"Digest: {hexdigest}",
            ],
            hexdigest,
        ),
        {"variant": variant, "algorithm": name, "text": text},
    )


def binary_operations(rng: random.Random) -> Problem:
    """Base conversions, bitwise AND/OR/XOR, shifts, two's complement and binary addition."""
    variant = rng.choice(
        ["dec_to_bin", "bin_to_dec", "hex_to_dec", "dec_to_hex", "bitwise", "shift", "twos", "add"]
    )
    if variant == "dec_to_bin":
        n = rng.randint(1, 4095)
        powers = [2**i for i in range(n.bit_length() - 1, -1, -1) if n & 2**i]
        return Problem(
            f"Convert {n} to binary.",
            worked([f"{n} = {' + '.join(map(str, powers))}", f"Binary: {n:b}"], f"{n:b}"),
            {"variant": variant, "n": n},
        )
    if variant == "bin_to_dec":
        n = rng.randint(1, 4095)
        bits = f"{n:b}"
        terms = [f"2^{len(bits) - 1 - i}" for i, b in enumerate(bits) if b == "1"]
        return Problem(
            f"What is the binary number {bits} in decimal?",
            worked([f"{' + '.join(terms)} = {n}"], str(n)),
            {"variant": variant, "bits": bits},
        )
    if variant == "hex_to_dec":
        n = rng.randint(16, 65535)
        digits = f"{n:X}"
        terms = [f"{int(d, 16)}×16^{len(digits) - 1 - i}" for i, d in enumerate(digits)]
        return Problem(
            f"Convert the hexadecimal number 0x{digits} to decimal.",
            worked([f"{' + '.join(terms)} = {n}"], str(n)),
            {"variant": variant, "hex": digits},
        )
    if variant == "dec_to_hex":
        n = rng.randint(16, 65535)
        return Problem(
            f"What is {n} in hexadecimal?",
            worked([f"{n} = {n // 16} × 16 + {n % 16}, repeating the division gives 0x{n:X}"], f"0x{n:X}"),
            {"variant": variant, "n": n},
        )
    if variant == "bitwise":
        a, b, op = rng.randint(0, 255), rng.randint(0, 255), rng.choice(["AND", "OR", "XOR"])
        value = {"AND": a & b, "OR": a | b, "XOR": a ^ b}[op]
        return Problem(
            f"Compute {a:08b} {op} {b:08b}.",
            worked([f"  {a:08b}\n{op:>3} {b:08b}\n= {value:08b} (decimal {value})"], f"{value:08b}"),
            {"variant": variant, "a": f"{a:08b}", "b": f"{b:08b}", "op": op},
        )
    if variant == "shift":
        n, k, left = rng.randint(1, 255), rng.randint(1, 4), rng.random() < 0.5
        value = n << k if left else n >> k
        op = "<<" if left else ">>"
        how = f"multiplies by 2^{k}" if left else f"divides by 2^{k}, discarding the remainder"
        return Problem(
            f"What is {n} {op} {k}?",
            worked(
                [
                    f"{n} = {n:b} in binary; shifting {'left' if left else 'right'} by {k} {how}",
                    f"{value:b} = {value}",
                ],
                str(value),
            ),
            {"variant": variant, "n": n, "k": k, "op": op},
        )
    if variant == "twos":
        n = rng.randint(1, 128)
        value = (256 - n) & 0xFF
        return Problem(
            f"What is -{n} in 8-bit two's complement?",
            worked(
                [
                    f"{n} = {n:08b}",
                    f"Invert the bits: {(~n) & 0xFF:08b}",
                    f"Add 1: {value:08b}",
                ],
                f"{value:08b}",
            ),
            {"variant": variant, "n": n},
        )
    a, b = rng.randint(1, 255), rng.randint(1, 255)
    return Problem(
        f"Add the binary numbers {a:b} and {b:b}.",
        worked([f"{a:b} ({a}) + {b:b} ({b}) = {a + b:b} ({a + b})"], f"{a + b:b}"),
        {"variant": variant, "a": f"{a:b}", "b": f"{b:b}"},
    )


# ----- knowledge: programming_basics, algorithm_complexity, data_structures, networking


def _python_expression(rng: random.Random) -> tuple[str, object, str]:
    """A small Python expression, its value, and why."""
    word = rng.choice(["python", "nexus", "banana", "kernel", "matrix", "socket", "lambda"])
    a, b = rng.randint(10, 99), rng.randint(2, 9)
    items = rng.sample(range(1, 30), rng.randint(3, 6))
    kind = rng.randrange(12)
    if kind == 0:
        return f"{a} // {b}", a // b, "// is floor division: the quotient rounded down"
    if kind == 1:
        return f"{a} % {b}", a % b, "% gives the remainder of the division"
    if kind == 2:
        return f"{b} ** {b % 4 + 2}", b ** (b % 4 + 2), "** is exponentiation"
    if kind == 3:
        return f"{a} / {b}", a / b, "/ always returns a float in Python 3"
    if kind == 4:
        return f'len("{word}")', len(word), "len counts the characters"
    if kind == 5:
        i, j = sorted(rng.sample(range(len(word) + 1), 2))
        return f'"{word}"[{i}:{j}]', word[i:j], "a slice [i:j] takes indices i up to but not including j"
    if kind == 6:
        return f'"{word}"[::-1]', word[::-1], "a step of -1 walks the string backwards"
    if kind == 7:
        return f"{items}[-1]", items[-1], "index -1 is the last item"
    if kind == 8:
        lo, hi = sorted(rng.sample(range(0, 20), 2))
        return f"sum(range({lo}, {hi}))", sum(range(lo, hi)), f"range({lo}, {hi}) stops before {hi}"
    if kind == 9:
        n = rng.randint(2, 7)
        return (
            f"[x * x for x in range({n})]",
            [x * x for x in range(n)],
            "the comprehension squares 0 to n - 1",
        )
    if kind == 10:
        return (
            f"sorted({items}, reverse=True)",
            sorted(items, reverse=True),
            "sorted returns a new list, here in descending order",
        )
    return (
        f'"{word}".upper().count("{word[0].upper()}")',
        word.upper().count(word[0].upper()),
        "upper() first, then count occurrences",
    )


def programming_basics(rng: random.Random) -> Problem:
    """Core programming concepts, and what small Python expressions evaluate to."""
    if rng.random() < 0.5:
        row = rng.choice(table("programming"))
        return Problem(
            rng.choice(row["q"]),
            worked([row["a"]], row["short"]),
            {"variant": "concept", "fact": row["q"][0]},
        )
    expr, value, why = _python_expression(rng)
    return Problem(
        f"What does the Python expression {expr} evaluate to?",
        worked([f"{why}.", f"{expr} → {value!r}"], repr(value)),
        {"variant": "expression", "expr": expr},
    )


SCALING: dict[str, tuple[str, Callable[[int], float]]] = {
    "O(n)": ("linear", lambda n: n),
    "O(n log n)": ("linearithmic", lambda n: n * math.log2(n)),
    "O(n²)": ("quadratic", lambda n: n**2),
    "O(n³)": ("cubic", lambda n: n**3),
}


def algorithm_complexity(rng: random.Random) -> Problem:
    """Big-O of well-known algorithms and of code snippets, and run-time scaling estimates."""
    data = table("algorithms")
    variant = rng.choice(["algorithm", "snippet", "snippet", "scaling"])
    if variant == "algorithm":
        row = rng.choice(data["algorithms"])
        return Problem(
            f"What is the time complexity of {row['name']}?",
            worked([f"{row['time']}: {row['why']}."], row["time"]),
            {"variant": variant, "algorithm": row["name"]},
        )
    if variant == "snippet":
        row = rng.choice(data["snippets"])
        return Problem(
            f"What is the time complexity of this Python function?\n```python\n{row['code']}\n```",
            worked([f"{row['complexity']}: {row['why']}."], row["complexity"]),
            {"variant": variant, "complexity": row["complexity"]},
        )
    name = rng.choice(sorted(SCALING))
    label, growth = SCALING[name]
    n1 = rng.choice([1000, 2000, 5000, 10_000])
    n2 = n1 * rng.choice([2, 3, 4, 10])
    t1 = rng.choice([0.5, 1, 2, 3, 4, 5, 8])
    factor = growth(n2) / growth(n1)
    return Problem(
        f"An {name} algorithm takes {num(t1)} s for n = {num(n1)}. Estimate the time for n = {num(n2)}.",
        worked(
            [
                f"{label.capitalize()} growth: time scales by f({num(n2)}) / f({num(n1)}) = {num(factor, 3)}",
                f"{num(t1)} s × {num(factor, 3)} = {num(t1 * factor, 2)} s",
            ],
            f"about {num(t1 * factor, 2)} s",
        ),
        {"variant": variant, "order": name, "t1": t1, "n1": n1, "n2": n2},
    )


def data_structures(rng: random.Random) -> Problem:
    """Costs of operations on common data structures, and which structure suits a need."""
    data = table("data_structures")
    if rng.random() < 0.5:
        row = rng.choice(data["operations"])
        return Problem(
            f"What is the time complexity of '{row['operation']}' on {an(row['structure'])}?",
            worked([f"On {an(row['structure'])}, {row['operation']} costs {row['cost']}."], row["cost"]),
            {"variant": "operation", "structure": row["structure"]},
        )
    row = rng.choice(data["use_cases"])
    return Problem(
        rng.choice(
            [
                f"Which data structure would you use for {row['need']}?",
                f"What is a good data structure for {row['need']}?",
            ]
        ),
        worked([f"Use {row['structure']}: {row['why']}."], row["structure"]),
        {"variant": "use_case", "need": row["need"]},
    )


def networking(rng: random.Random) -> Problem:
    """Well-known ports, HTTP status codes, OSI layers and IPv4 subnet arithmetic."""
    data = table("networking")
    variant = rng.choice(["port", "service", "status", "osi", "subnet", "subnet"])
    if variant == "port":
        row = rng.choice(data["ports"])
        return Problem(
            f"What is the default port of {row['service']}?",
            worked([f"{row['service']} uses port {row['port']} over {row['transport']}."], str(row["port"])),
            {"variant": variant, "service": row["service"]},
        )
    if variant == "service":
        row = rng.choice(data["ports"])
        return Problem(
            f"Which service normally listens on port {row['port']}?",
            worked([f"Port {row['port']} ({row['transport']}) is {row['service']}."], row["service"]),
            {"variant": variant, "port": row["port"]},
        )
    if variant == "status":
        row = rng.choice(data["status_codes"])
        return Problem(
            f"What does HTTP status {row['code']} mean?",
            worked([f"{row['code']} {row['reason']}: {row['meaning']}."], f"{row['code']} {row['reason']}"),
            {"variant": variant, "code": row["code"]},
        )
    if variant == "osi":
        row = rng.choice(data["osi_layers"])
        return Problem(
            f"What is layer {row['layer']} of the OSI model and what works there?",
            worked([f"Layer {row['layer']} is the {row['name']} layer: {row['examples']}."], row["name"]),
            {"variant": variant, "layer": row["layer"]},
        )
    prefix = rng.randint(8, 30)
    address = ipaddress.IPv4Address(
        rng.choice([10 << 24, 172 << 24 | 16 << 16, 192 << 24 | 168 << 16]) + rng.randrange(0, 1 << 16)
    )
    net = ipaddress.IPv4Network(f"{address}/{prefix}", strict=False)
    hosts = net.num_addresses - 2
    return Problem(
        f"For the host {address}/{prefix}, give the subnet mask, network address, broadcast address and "
        "number of usable hosts.",
        worked(
            [
                f"/{prefix} leaves {32 - prefix} host bits: mask {net.netmask}",
                f"Network: {net.network_address}, broadcast: {net.broadcast_address}",
                f"Usable hosts: 2^{32 - prefix} - 2 = {hosts:,}",
            ],
            f"mask {net.netmask}, network {net.network_address}, broadcast {net.broadcast_address}, "
            f"{hosts:,} usable hosts",
        ),
        {"variant": variant, "address": str(address), "prefix": prefix},
    )


BUILDERS: dict[str, tuple[Kind, Builder]] = {
    "file_size_convert": ("calculable", file_size_convert),
    "bandwidth_calc": ("calculable", bandwidth_calc),
    "storage_calc": ("calculable", storage_calc),
    "programming_basics": ("knowledge", programming_basics),
    "algorithm_complexity": ("knowledge", algorithm_complexity),
    "data_structures": ("knowledge", data_structures),
    "networking": ("knowledge", networking),
    "encoding": ("calculable", encoding),
    "hash_functions": ("calculable", hash_functions),
    "binary_operations": ("calculable", binary_operations),
}
