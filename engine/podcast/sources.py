"""Read podcast sources (PDF, DOCX, Markdown, text, HTML, web pages) into referenced sections.

Every loader returns a :class:`Source` whose sections carry a human reference
("p. 12", "pp. 3–4", "§ 2.1 Methods", "¶ 4–9") so that a script written from
them can cite where a statement came from.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from engine.errors import NexusError

PDF_SUFFIXES = frozenset({".pdf"})
DOCX_SUFFIXES = frozenset({".docx"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
TEXT_SUFFIXES = frozenset({".txt", ".text", ""})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
SUPPORTED = "PDF, DOCX, Markdown (.md), plain text (.txt), HTML (.html) or an http(s) address"

TEXT_GROUP_CHARS = 2000
MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024
OPENING = "Opening"
_SAVE_PAGE_HINT = "Save the page in a browser (File › Save Page As…) and load the .html file instead."

_HYPHEN_END = re.compile(r"[^\W\d_]-$")
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class DocumentUnreadable(NexusError):
    """A source file or address cannot be read into text."""


class ScannedDocument(DocumentUnreadable):
    """A PDF holds page images but no text layer (a scan that needs OCR)."""


@dataclass(frozen=True)
class Section:
    """A titled run of text with a reference back into the source."""

    title: str
    text: str
    ref: str

    @property
    def chars(self) -> int:
        """Number of characters of text."""
        return len(self.text)


@dataclass(frozen=True)
class Source:
    """One document or web page read into sections."""

    path_or_url: str
    kind: str
    title: str
    sections: tuple[Section, ...]
    sha256: str

    @property
    def chars(self) -> int:
        """Number of characters over all sections."""
        return sum(section.chars for section in self.sections)


def load_source(path_or_url: str | Path, timeout_s: float = 15) -> Source:
    """Read one file or http(s) address into a :class:`Source`; raise :class:`DocumentUnreadable`."""
    target = str(path_or_url)
    if _is_url(target):
        return _load_url(target, timeout_s)
    path = Path(target).expanduser()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DocumentUnreadable(f"{path} does not exist.", "Check the file name and folder.") from None
    except IsADirectoryError:
        raise DocumentUnreadable(
            f"{path} is a folder, not a document.", "Pass the files inside it."
        ) from None
    except OSError as exc:
        raise DocumentUnreadable(f"{path} cannot be read: {exc.strerror or exc}.") from exc
    if not data:
        raise DocumentUnreadable(f"{path.name} is empty (0 bytes).", "Pick the complete file.")
    suffix = path.suffix.lower()
    if suffix in PDF_SUFFIXES:
        kind, title, sections = "pdf", *_read_pdf(data, path.name, path.stem)
    elif suffix in DOCX_SUFFIXES:
        kind, title, sections = "docx", *_read_docx(data, path.name, path.stem)
    elif suffix in MARKDOWN_SUFFIXES:
        kind, title, sections = "markdown", *_read_markdown(_decode_text(data, path.name), path.stem)
    elif suffix in HTML_SUFFIXES:
        kind, title, sections = "html", *_read_html(_decode_html(data, None), path.stem)
    elif suffix in TEXT_SUFFIXES:
        kind, title, sections = "text", *_read_text(_decode_text(data, path.name), path.stem)
    else:
        raise DocumentUnreadable(f"{path.name}: {suffix} files are not supported.", f"Use {SUPPORTED}.")
    return _finish(str(path), kind, title, sections, data)


def load_sources(paths: Iterable[str | Path], timeout_s: float = 15) -> list[Source]:
    """Read several sources for one episode, in order; the first unreadable one raises."""
    return [load_source(item, timeout_s=timeout_s) for item in paths]


def _finish(name: str, kind: str, title: str, sections: list[Section], data: bytes) -> Source:
    kept = tuple(section for section in sections if section.text)
    if not kept:
        raise DocumentUnreadable(
            f"{_display_name(name)} contains no readable text.", "Pick a document with text."
        )
    return Source(name, kind, title.strip() or _display_name(name), kept, hashlib.sha256(data).hexdigest())


def _is_url(target: str) -> bool:
    return target.lower().startswith(("http://", "https://"))


def _display_name(name: str) -> str:
    return name if _is_url(name) else Path(name).name


# ---------------------------------------------------------------- text helpers


def _join_lines(lines: Iterable[str]) -> str:
    """Join wrapped lines with spaces, undoing end-of-line hyphenation ("infor-" + "mation")."""
    out = ""
    for raw in lines:
        line = _SPACES.sub(" ", raw.replace("\u00ad", "")).strip()
        if not line:
            continue
        if out and _HYPHEN_END.search(out) and line[0].islower():
            out = out[:-1] + line
        else:
            out = f"{out} {line}" if out else line
    return out


def _join_paragraphs(paragraphs: Iterable[str]) -> str:
    """Join paragraphs with blank lines, merging a word hyphenated across a paragraph or page break."""
    merged: list[str] = []
    for paragraph in paragraphs:
        if not paragraph:
            continue
        if merged and _HYPHEN_END.search(merged[-1]) and paragraph[0].islower():
            merged[-1] = merged[-1][:-1] + paragraph
        else:
            merged.append(paragraph)
    return "\n\n".join(merged)


def _page_ref(first: int, last: int) -> str:
    """Reference for 1-based pages ``first``..``last``."""
    return f"p. {first}" if first == last else f"pp. {first}–{last}"


def _snippet(text: str, limit: int = 60) -> str:
    first = text.split("\n", 1)[0]
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0] + "…"


def _decode_text(data: bytes, name: str) -> str:
    if b"\x00" in data[:4096]:
        raise DocumentUnreadable(f"{name} looks like a binary file, not text.", f"Use {SUPPORTED}.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Legacy text files are mostly Windows-1252; latin-1 never fails as a last resort.
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


@dataclass
class _Block:
    """A heading or a paragraph of a structured document, in reading order."""

    text: str
    heading: bool = False


def _sections_from_blocks(blocks: list[_Block]) -> list[Section]:
    """Split headed blocks into sections referenced "§ <heading>"; text before any heading opens."""
    sections: list[Section] = []
    title, ref, body = OPENING, "§ opening", []
    for block in blocks:
        if block.heading:
            sections.append(Section(title, _join_paragraphs(body), ref))
            title, ref, body = block.text, f"§ {block.text}", []
        else:
            body.append(block.text)
    sections.append(Section(title, _join_paragraphs(body), ref))
    return [section for section in sections if section.text]


# ------------------------------------------------------------------------- PDF


@dataclass
class _PdfPara:
    """A text block of a PDF page after header/footer removal."""

    page: int
    text: str
    size: float


def _read_pdf(data: bytes, name: str, stem: str) -> tuple[str, list[Section]]:
    import pymupdf

    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # pymupdf raises several unrelated types for damaged files
        raise DocumentUnreadable(
            f"{name} is not a readable PDF ({exc}).",
            "The file is damaged or incomplete; download or export it again."
        ) from exc
    with doc:
        if doc.needs_pass:
            raise DocumentUnreadable(
                f"{name} is password-protected.", "Save an unprotected copy (print to PDF) and load that."
            )
        if doc.page_count == 0:
            raise DocumentUnreadable(f"{name} has no pages.", "Pick the complete file.")
        lines = _pdf_lines(doc)
        if not lines:
            if any(page.get_images() for page in doc):
                raise ScannedDocument(
                    f"{name} has no text layer (scanned?).",
                    "Run it through OCR first (e.g. `ocrmypdf in.pdf out.pdf`) and load the result.",
                )
            raise DocumentUnreadable(
                f"{name} has no text and no images (empty pages).", "Pick the complete file."
            )
        paras = _pdf_paragraphs(lines, doc.page_count)
        title = (doc.metadata or {}).get("title") or stem
        toc = [(title_, page) for level, title_, page, *_ in doc.get_toc(simple=True) if level <= 2]
    if toc:
        sections = _pdf_sections_by_toc(paras, toc)
    else:
        sections = _pdf_sections_by_headings(paras) or _pdf_sections_by_page(paras)
    return title, sections


@dataclass
class _PdfLine:
    page: int
    block: int
    text: str
    size: float


def _pdf_lines(doc: Any) -> list[_PdfLine]:
    """Every non-blank text line with its page, block and largest font size, in reading order."""
    lines: list[_PdfLine] = []
    for page_no, page in enumerate(doc):
        content = page.get_text("dict", sort=True)
        for block_no, block in enumerate(content["blocks"]):
            for line in block.get("lines", ()):
                spans = [span for span in line["spans"] if span["text"].strip()]
                if spans:
                    text = "".join(span["text"] for span in line["spans"]).strip()
                    lines.append(_PdfLine(page_no, block_no, text, round(max(s["size"] for s in spans), 1)))
    return lines


def _edge_key(text: str) -> str:
    # Page numbers differ from page to page, so digits are masked before counting repeats.
    return re.sub(r"\d+", "#", _SPACES.sub(" ", text.lower())).strip()


def _running_lines(lines: list[_PdfLine], page_count: int) -> set[int]:
    """Indexes of header/footer lines: the top or bottom two lines that recur on most pages."""
    if page_count < 3:
        return set()
    by_page: dict[int, list[int]] = {}
    for index, line in enumerate(lines):
        by_page.setdefault(line.page, []).append(index)
    edges = {page: set(indexes[:2] + indexes[-2:]) for page, indexes in by_page.items()}
    counts: Counter[str] = Counter()
    for indexes in edges.values():
        counts.update({_edge_key(lines[i].text) for i in indexes})
    threshold = max(3, math.ceil(page_count / 2))
    recurring = {key for key, count in counts.items() if count >= threshold}
    dropped = {i for indexes in edges.values() for i in indexes if _edge_key(lines[i].text) in recurring}
    # Running heads are a small share of a page; losing most of the text means templated body text.
    kept = sum(len(line.text) for i, line in enumerate(lines) if i not in dropped)
    return dropped if kept * 2 >= sum(len(line.text) for line in lines) else set()


def _pdf_paragraphs(lines: list[_PdfLine], page_count: int) -> list[_PdfPara]:
    dropped = _running_lines(lines, page_count)
    paras: list[_PdfPara] = []
    group: list[_PdfLine] = []

    def flush() -> None:
        text = _join_lines(line.text for line in group)
        if text:
            paras.append(_PdfPara(group[0].page, text, max(line.size for line in group)))
        group.clear()

    for index, line in enumerate(lines):
        if index in dropped:
            continue
        if group and (line.page, line.block) != (group[0].page, group[0].block):
            flush()
        group.append(line)
    if group:
        flush()
    return paras


def _norm(text: str) -> str:
    return _SPACES.sub(" ", text.lower()).strip()


def _pdf_section(title: str, paras: list[_PdfPara], heading: _PdfPara | None) -> Section:
    pages = [para.page for para in paras] + ([heading.page] if heading else [])
    return Section(title, _join_paragraphs(p.text for p in paras), _page_ref(min(pages) + 1, max(pages) + 1))


def _pdf_sections_by_toc(paras: list[_PdfPara], toc: list[tuple[str, int]]) -> list[Section]:
    """Sections from the outline: each entry runs from its heading (or page start) to the next entry."""
    starts: list[tuple[str, int, bool]] = []
    floor = 0
    for title, page in toc:
        start, matched = _find_toc_start(paras, _norm(title), page - 1, floor)
        starts.append((title.strip(), start, matched))
        floor = start
    sections = []
    if starts and starts[0][1] > 0:
        sections.append(_pdf_section("Front matter", paras[: starts[0][1]], None))
    for number, (title, start, matched) in enumerate(starts):
        end = starts[number + 1][1] if number + 1 < len(starts) else len(paras)
        heading = paras[start] if matched else None
        body = paras[start + 1 : end] if matched else paras[start:end]
        if body or heading:
            sections.append(_pdf_section(title, body, heading))
    return sections


def _find_toc_start(paras: list[_PdfPara], title: str, page: int, floor: int) -> tuple[int, bool]:
    """Index of the paragraph where a TOC entry starts, and whether it is the heading itself."""
    first_on_page = None
    for index in range(floor, len(paras)):
        para = paras[index]
        if para.page < page:
            continue
        if para.page > page:
            break
        if first_on_page is None:
            first_on_page = index
        if _norm(para.text).startswith(title):
            return index, _norm(para.text) == title
    if first_on_page is not None:
        return first_on_page, False
    later = [i for i in range(floor, len(paras)) if paras[i].page >= page]
    return (later[0] if later else len(paras)), False


def _body_size(paras: list[_PdfPara]) -> float:
    weights: Counter[float] = Counter()
    for para in paras:
        weights[para.size] += len(para.text)
    return weights.most_common(1)[0][0]


def _pdf_sections_by_headings(paras: list[_PdfPara]) -> list[Section]:
    """Sections started by short paragraphs set clearly larger than the body text; [] if none."""
    body = _body_size(paras)
    is_heading = [para.size >= body * 1.15 and len(para.text) <= 150 for para in paras]
    if not any(is_heading):
        return []
    sections: list[Section] = []
    title, heading, group = OPENING, None, []
    for para, head in zip(paras, is_heading):
        if head:
            if group:
                sections.append(_pdf_section(title, group, heading))
            title, heading, group = para.text, para, []
        else:
            group.append(para)
    if group:
        sections.append(_pdf_section(title, group, heading))
    return sections


def _pdf_sections_by_page(paras: list[_PdfPara]) -> list[Section]:
    by_page: dict[int, list[_PdfPara]] = {}
    for para in paras:
        by_page.setdefault(para.page, []).append(para)
    return [_pdf_section(f"Page {page + 1}", group, None) for page, group in by_page.items()]


# ------------------------------------------------------------------------ DOCX

_DOCX_HEADINGS = frozenset({"Heading 1", "Heading 2"})


def _read_docx(data: bytes, name: str, stem: str) -> tuple[str, list[Section]]:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises zip, XML and package errors for damaged files
        raise DocumentUnreadable(
            f"{name} is not a readable Word document ({exc.__class__.__name__}).",
            "Open it in Word or LibreOffice and save it again as .docx.",
        ) from exc
    title = document.core_properties.title or ""
    blocks: list[_Block] = []
    for paragraph in document.paragraphs:
        style = getattr(paragraph.style, "name", "") or ""
        text = _join_lines(paragraph.text.splitlines())
        if not text:
            continue
        if style == "Title":
            title = title or text
        else:
            blocks.append(_Block(text, style in _DOCX_HEADINGS))
    return title or stem, _sections_from_blocks(blocks)


# -------------------------------------------------------------------- Markdown

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_FENCE = re.compile(r"^\s*(```|~~~)")


def _read_markdown(text: str, stem: str) -> tuple[str, list[Section]]:
    blocks: list[_Block] = []
    paragraph: list[str] = []
    in_fence = False
    title = ""

    def flush() -> None:
        joined = "\n".join(paragraph).strip()
        if joined:
            blocks.append(_Block(joined))
        paragraph.clear()

    for line in text.splitlines():
        if _MD_FENCE.match(line):
            in_fence = not in_fence
            paragraph.append(line)
            continue
        heading = None if in_fence else _MD_HEADING.match(line)
        if heading and len(heading.group(1)) <= 2:
            flush()
            title = title or (heading.group(2) if len(heading.group(1)) == 1 else "")
            blocks.append(_Block(heading.group(2), heading=True))
        elif not in_fence and not line.strip():
            flush()
        else:
            paragraph.append(line.rstrip())
    flush()
    return title or stem, _sections_from_blocks(blocks)


# ------------------------------------------------------------------ plain text


def _read_text(text: str, stem: str) -> tuple[str, list[Section]]:
    """Paragraphs (split at blank lines) grouped into sections of about TEXT_GROUP_CHARS."""
    paragraphs = [_join_lines(chunk.splitlines()) for chunk in re.split(r"\n\s*\n", text)]
    paragraphs = [p for p in paragraphs if p]
    sections: list[Section] = []
    start, group = 0, []
    for number, paragraph in enumerate(paragraphs, start=1):
        if not group:
            start = number
        group.append(paragraph)
        if sum(len(p) for p in group) >= TEXT_GROUP_CHARS or number == len(paragraphs):
            ref = f"¶ {start}" if start == number else f"¶ {start}–{number}"
            body = _join_paragraphs(group)
            sections.append(Section(_snippet(body), body, ref))
            group = []
    first_line = text.strip().split("\n", 1)[0].strip() if text.strip() else ""
    return (first_line if 0 < len(first_line) <= 80 else stem), sections


# ------------------------------------------------------------------------ HTML

_HTML_SKIP = frozenset({"script", "style", "nav", "noscript", "template", "svg", "footer", "aside"})
_HTML_HEADINGS = frozenset({"h1", "h2", "h3"})
_HTML_BREAKS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "tr", "table", "section", "article", "main", "header",
     "blockquote", "pre", "h4", "h5", "h6", "dd", "dt", "figcaption", "hr"}
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)


class _HtmlBlocks(HTMLParser):
    """Collects the page title and h1–h3/paragraph blocks, skipping scripts, styles and navigation."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.blocks: list[_Block] = []
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
        text = _join_lines([" ".join("".join(self._text).split())])
        self._text.clear()
        if text:
            self.blocks.append(_Block(text, self._in_heading))


def _decode_html(data: bytes, charset: str | None) -> str:
    if not charset:
        declared = _META_CHARSET.search(data[:4096])
        charset = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        return data.decode(charset, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def _read_html(text: str, fallback_title: str) -> tuple[str, list[Section]]:
    parser = _HtmlBlocks()
    parser.feed(text)
    parser.close()
    title = " ".join(parser.title.split())
    if not title:
        title = next((block.text for block in parser.blocks if block.heading), fallback_title)
    return title, _sections_from_blocks(parser.blocks)


# ------------------------------------------------------------------- web pages


def _load_url(url: str, timeout_s: float) -> Source:
    request = urllib.request.Request(url, headers={"User-Agent": "Nexus podcast sources (urllib)"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            data = response.read(MAX_DOWNLOAD_BYTES + 1)
            content_type = response.headers.get_content_type()
            charset = response.headers.get_content_charset()
    except urllib.error.HTTPError as exc:
        raise DocumentUnreadable(
            f"{url} could not be fetched: the server answered HTTP {exc.code} {exc.reason}.",
            f"Check the address. {_SAVE_PAGE_HINT}",
        ) from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise DocumentUnreadable(
            f"{url} could not be fetched ({reason}) (offline?).", _SAVE_PAGE_HINT
        ) from exc
    except ValueError as exc:
        raise DocumentUnreadable(f"{url} is not a valid address ({exc}).") from exc
    if len(data) > MAX_DOWNLOAD_BYTES:
        raise DocumentUnreadable(f"{url} is larger than {MAX_DOWNLOAD_BYTES // 2**20} MiB.", _SAVE_PAGE_HINT)
    if not data:
        raise DocumentUnreadable(f"{url} returned an empty page.", _SAVE_PAGE_HINT)
    fallback = url.rstrip("/").rsplit("/", 1)[-1] or url
    if content_type == "application/pdf" or data.startswith(b"%PDF-"):
        title, sections = _read_pdf(data, url, fallback)
        return _finish(url, "pdf", title, sections, data)
    title, sections = _read_html(_decode_html(data, charset), fallback)
    return _finish(url, "web", title, sections, data)
