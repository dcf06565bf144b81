"""Generated code screens and OCR scoring, for the frame-policy tests and ``bench/screen.py``.

``code_screen`` draws an editor the way a 14 px code editor looks (light
theme, DejaVu Sans Mono from the ``fonts-dejavu-core`` Debian package): a file
tree, line numbers, syntax-coloured source taken from this repository and a
status line, all on one character grid, so the text of any rectangle of the
screen is known exactly. ``ocr`` runs the ``tesseract`` command (Debian
``tesseract-ocr``) on a picture and ``char_accuracy`` scores what it read
against that text with an edit distance.
"""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from engine.media.frame_policy import Box

ROOT = Path(__file__).resolve().parents[1]
FONT_PATHS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSansMono.ttf"),
)
FONT_PX = 14
LINE_PX = 18
SIDEBAR_COLUMNS = 26
GUTTER_COLUMNS = 5
# Everyday Python from the standard library (the same text on every machine with this Python).
SOURCES = ("textwrap", "json.decoder", "shlex", "fnmatch")
KEYWORDS = {
    "def", "class", "return", "import", "from", "if", "else", "elif", "for", "in", "not", "None", "True",
    "False", "with", "as", "raise", "try", "except", "finally", "while", "and", "or", "is", "lambda", "yield",
}
_TOKEN = re.compile(r"#.*|\"[^\"]*\"|'[^']*'|[A-Za-z_][A-Za-z0-9_]*|.")
_INK = (31, 31, 31)
_COLOURS = {"keyword": (0, 0, 192), "string": (163, 21, 21), "comment": (0, 128, 0), "number": (9, 134, 88)}
_WS = re.compile(r"\s+")


def font_path() -> Path | None:
    """DejaVu Sans Mono, or ``None`` when the Debian font package is not installed."""
    return next((p for p in FONT_PATHS if p.is_file()), None)


def tesseract_available() -> bool:
    """Whether the ``tesseract`` command (Debian ``tesseract-ocr``) is installed."""
    return shutil.which("tesseract") is not None


@dataclass
class TextRun:
    """Characters drawn from grid column ``column`` on, on a line whose top is ``y``."""

    y: int
    column: int
    text: str


@dataclass
class CodeScreen:
    """A generated screen and the characters on it, on a grid of ``cell_w`` × ``LINE_PX`` cells."""

    image: np.ndarray
    runs: list[TextRun]
    cell_w: float

    def text_in(self, box: Box | None = None) -> str:
        """The text of the characters that lie wholly inside ``box`` (all of them when ``None``), row by row.

        Runs on one row are joined with a space and whitespace is collapsed, the
        way OCR reports a line.
        """
        height, width = self.image.shape[:2]
        box = box or Box(0, 0, width, height)
        rows: dict[int, list[tuple[int, str]]] = {}
        for run in self.runs:
            if run.y < box.top or run.y + LINE_PX > box.bottom:
                continue
            kept = "".join(
                ch
                for i, ch in enumerate(run.text)
                if box.left <= self.x(run.column + i) and self.x(run.column + i + 1) <= box.right
            )
            if kept.strip():
                rows.setdefault(run.y, []).append((run.column, kept))
        lines = [" ".join(text for _col, text in sorted(parts)) for _row, parts in sorted(rows.items())]
        return normalize("\n".join(lines))

    def x(self, column: float) -> int:
        """The left edge of grid column ``column`` in pixels."""
        return round(4 + column * self.cell_w)


def _source_lines() -> list[str]:
    lines: list[str] = []
    for name in SOURCES:
        module = importlib.import_module(name)
        lines += Path(str(module.__file__)).read_text(encoding="utf-8").expandtabs(4).splitlines()
    return lines


def _colour(token: str) -> tuple[int, int, int]:
    if token.startswith("#"):
        return _COLOURS["comment"]
    if token[:1] in "\"'":
        return _COLOURS["string"]
    if token in KEYWORDS:
        return _COLOURS["keyword"]
    if token.isdigit():
        return _COLOURS["number"]
    return _INK


def code_screen(width: int, height: int, first_line: int = 0) -> CodeScreen:
    """An editor showing this repository's source from ``first_line`` on, at ``width`` × ``height``."""
    path = font_path()
    if path is None:
        raise FileNotFoundError("DejaVu Sans Mono is missing: apt-get install fonts-dejavu-core")
    font = ImageFont.truetype(str(path), FONT_PX)
    cell_w = font.getlength("M")
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    top = 4 + LINE_PX + 6
    rows = (height - top - LINE_PX - 8) // LINE_PX
    columns = int((width - 8) // cell_w)
    screen = CodeScreen(np.zeros(0), [], cell_w)
    code_column = SIDEBAR_COLUMNS + 2 + GUTTER_COLUMNS + 2
    # Chrome: the sidebar and tab bar are grey, the status bar blue-grey.
    draw.rectangle((0, 0, width, top - 3), fill=(236, 236, 236))
    draw.rectangle((0, top - 3, screen.x(SIDEBAR_COLUMNS + 1), height), fill=(243, 243, 243))
    draw.rectangle((0, height - LINE_PX - 8, width, height), fill=(220, 226, 235))

    def put(row: int, column: int, text: str, y: int | None = None, colours: bool = False) -> None:
        text = text[: max(0, columns - column)]
        if not text.strip():
            return
        line_top = top + row * LINE_PX if y is None else y
        screen.runs.append(TextRun(line_top, column, text))
        index = 0
        for token in _TOKEN.findall(text) if colours else [text]:
            colour = _colour(token) if colours else _INK
            for ch in token:
                if not ch.isspace():
                    draw.text((screen.x(column + index), line_top + 2), ch, font=font, fill=colour)
                index += 1

    tabs = "   ".join(name.replace(".", "/") + ".py" for name in SOURCES)
    put(0, code_column, tabs, y=4)
    tree = ["nexus", "  app", "  cli", "  engine", "    live", "    media"] + [
        f"      {p.name}" for p in sorted((ROOT / "engine/media").glob("*.py"))
    ] + ["    omni"] + [f"      {p.name}" for p in sorted((ROOT / "engine/omni").glob("*.py"))]
    source = _source_lines()
    for row in range(rows):
        if row < len(tree):
            put(row, 1, tree[row][: SIDEBAR_COLUMNS - 1])
        number = first_line + row
        if number < len(source):
            put(row, SIDEBAR_COLUMNS + 2, f"{number + 1:>{GUTTER_COLUMNS}}")
            put(row, code_column, source[number], colours=True)
    status = "Ln 12, Col 8    Spaces: 4    UTF-8    LF    Python 3.11    main"
    put(0, 1, status, y=height - LINE_PX - 6)
    screen.image = np.asarray(image)
    return screen


def normalize(text: str) -> str:
    """Whitespace collapsed within lines, blank lines dropped."""
    lines = (_WS.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between ``a`` and ``b`` (one row of the table at a time, vectorised)."""
    if not a or not b:
        return len(a) + len(b)
    codes = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    steps = np.arange(len(b) + 1)
    previous = steps.copy()
    for i, ch in enumerate(a, 1):
        current = np.empty_like(previous)
        current[0] = i
        np.minimum(previous[1:] + 1, previous[:-1] + (codes != ord(ch)), out=current[1:])
        # An insertion: current[j] = min over k ≤ j of current[k] + (j − k).
        previous = np.minimum.accumulate(current - steps) + steps
    return int(previous[-1])


def char_accuracy(truth: str, read: str) -> float:
    """1 − edit distance / characters of ``truth`` (both normalized), at least 0."""
    truth, read = normalize(truth), normalize(read)
    if not truth:
        return 1.0 if not read else 0.0
    return max(0.0, 1.0 - edit_distance(truth, read) / len(truth))


def ocr(image: np.ndarray | Path) -> str:
    """What tesseract reads in ``image`` (one uniform block of text, ``--psm 6``)."""
    with tempfile.TemporaryDirectory(prefix="nexus-ocr-") as folder:
        if isinstance(image, Path):
            path = image
        else:
            path = Path(folder) / "image.png"
            Image.fromarray(np.ascontiguousarray(image)).save(path)
        command = ["tesseract", str(path), "-", "--psm", "6"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
    return normalize(result.stdout)
