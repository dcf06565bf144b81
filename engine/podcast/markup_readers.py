"""DOCX, Markdown, plain text and HTML sources."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

from engine import feedback
from engine.podcast.document import DocumentUnreadable, Section
from engine.podcast.text_tools import (
    TEXT_GROUP_CHARS,
    Block,
    join_lines,
    join_paragraphs,
    sections_from_blocks,
    snippet,
)

_DOCX_HEADINGS = frozenset({"Heading 1", "Heading 2"})


def read_docx(data: bytes, name: str, stem: str) -> tuple[str, list[Section]]:
    """Title and sections of a Word file: Heading 1/2 start sections ("§ heading")."""
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises zip, XML and package errors for damaged files
        raise DocumentUnreadable(
            f"{name} is not a readable Word document ({exc.__class__.__name__}).",
            "Open it in Word or LibreOffice and save it again as .docx.",
        ) from exc
    title = document.core_properties.title or ""
    blocks: list[Block] = []
    for paragraph in document.paragraphs:
        style = getattr(paragraph.style, "name", "") or ""
        text = join_lines(paragraph.text.splitlines())
        if not text:
            continue
        if style == "Title":
            title = title or text
        else:
            blocks.append(Block(text, style in _DOCX_HEADINGS))
    return title or stem, sections_from_blocks(blocks)


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_MD_FENCE = re.compile(r"^\s*(```|~~~)")
# Progress is reported every this many lines or paragraphs (a call per line would cost more than the work).
_PROGRESS_EVERY = 20_000


def _heading_text(rest: str) -> str:
    """A Markdown heading's text without its closing ``#`` run (linear, unlike a lazy regex)."""
    return rest.rstrip().rstrip("#").rstrip()


def read_markdown(text: str, stem: str) -> tuple[str, list[Section]]:
    """Title and sections of Markdown: # and ## start sections; code fences are left whole."""
    blocks: list[Block] = []
    paragraph: list[str] = []
    in_fence = False
    title = ""
    lines = text.splitlines()
    stage = f"reading {stem}"

    def flush() -> None:
        joined = "\n".join(paragraph).strip()
        if joined:
            blocks.append(Block(joined))
        paragraph.clear()

    for number, line in enumerate(lines):
        if number % _PROGRESS_EVERY == 0:
            feedback.progress(stage, number, len(lines))
        if _MD_FENCE.match(line):
            in_fence = not in_fence
            paragraph.append(line)
            continue
        heading = None if in_fence or not line.startswith("#") else _MD_HEADING.match(line)
        if heading and len(heading.group(1)) <= 2:
            flush()
            text_of = _heading_text(heading.group(2))
            title = title or (text_of if len(heading.group(1)) == 1 else "")
            blocks.append(Block(text_of, heading=True))
        elif not in_fence and not line.strip():
            flush()
        else:
            paragraph.append(line.rstrip())
    flush()
    feedback.progress(stage, len(lines), len(lines))
    return title or stem, sections_from_blocks(blocks)


def read_text(text: str, stem: str) -> tuple[str, list[Section]]:
    """Paragraphs (split at blank lines) grouped into sections of about TEXT_GROUP_CHARS."""
    chunks = re.split(r"\n\s*\n", text)
    stage = f"reading {stem}"
    paragraphs: list[str] = []
    for number, chunk in enumerate(chunks):
        if number % _PROGRESS_EVERY == 0:
            feedback.progress(stage, number, len(chunks))
        paragraph = join_lines(chunk.splitlines())
        if paragraph:
            paragraphs.append(paragraph)
    feedback.progress(stage, len(chunks), len(chunks))
    sections: list[Section] = []
    start, group, group_chars = 0, [], 0
    for number, paragraph in enumerate(paragraphs, start=1):
        if not group:
            start = number
        group.append(paragraph)
        group_chars += len(paragraph)
        if group_chars >= TEXT_GROUP_CHARS or number == len(paragraphs):
            ref = f"¶ {start}" if start == number else f"¶ {start}–{number}"
            body = join_paragraphs(group)
            sections.append(Section(snippet(body), body, ref))
            group, group_chars = [], 0
    first_line = _first_line(text)
    return (first_line if 0 < len(first_line) <= 80 else stem), sections


def _first_line(text: str) -> str:
    """The first non-blank line of ``text``, stripped."""
    stripped = text.lstrip()
    end = stripped.find("\n")
    return (stripped if end < 0 else stripped[:end]).strip()


_HTML_SKIP = frozenset({"script", "style", "nav", "noscript", "template", "svg", "footer", "aside"})
_HTML_HEADINGS = frozenset({"h1", "h2", "h3"})
_HTML_BREAKS = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "tr",
        "table",
        "section",
        "article",
        "main",
        "header",
        "blockquote",
        "pre",
        "h4",
        "h5",
        "h6",
        "dd",
        "dt",
        "figcaption",
        "hr",
    }
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)


class _HtmlBlocks(HTMLParser):
    """Collects the page title and h1–h3/paragraph blocks, skipping scripts, styles and navigation."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.blocks: list[Block] = []
        self._text: list[str] = []
        self._skip_depth = 0
        self._in_title = False
        self._in_heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open a skipped region, the title, a heading or a paragraph break."""
        if tag in _HTML_SKIP:
            self._skip_depth += 1
        elif self._skip_depth:
            return
        elif tag == "title":
            self._in_title = True
        elif tag in _HTML_HEADINGS or tag in _HTML_BREAKS:
            self._flush()
            self._in_heading = self._in_heading or tag in _HTML_HEADINGS

    def handle_endtag(self, tag: str) -> None:
        """Close what :meth:`handle_starttag` opened."""
        if tag in _HTML_SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif self._skip_depth:
            return
        elif tag == "title":
            self._in_title = False
        elif tag in _HTML_HEADINGS:
            self._flush()
            self._in_heading = False
        elif tag in _HTML_BREAKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        """Keep visible text."""
        if self._skip_depth:
            return
        if self._in_title:
            self.title += data
        else:
            self._text.append(data)

    def close(self) -> None:
        """Finish parsing and keep the trailing text."""
        super().close()
        self._flush()

    def _flush(self) -> None:
        text = join_lines([" ".join("".join(self._text).split())])
        self._text.clear()
        if text:
            self.blocks.append(Block(text, self._in_heading))


def decode_html(data: bytes, charset: str | None) -> str:
    """HTML bytes as text, using the HTTP or <meta> charset when given, else UTF-8 with fallbacks."""
    if not charset:
        declared = _META_CHARSET.search(data[:4096])
        charset = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        return data.decode(charset, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def read_html(text: str, fallback_title: str) -> tuple[str, list[Section]]:
    """Title and sections of a web page: scripts, styles and navigation dropped; h1–h3 start sections."""
    parser = _HtmlBlocks()
    stage = f"reading {fallback_title}"
    step = 1 << 20
    for start in range(0, len(text), step):  # fed in pieces so that a large page reports progress
        feedback.progress(stage, start, len(text))
        parser.feed(text[start : start + step])
    parser.close()
    feedback.progress(stage, len(text), len(text))
    title = " ".join(parser.title.split())
    if not title:
        title = next((block.text for block in parser.blocks if block.heading), fallback_title)
    return title, sections_from_blocks(parser.blocks)
