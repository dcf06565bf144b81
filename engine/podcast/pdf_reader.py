"""PDF sources with pymupdf: outline or headings, running headers removed, hyphenation undone."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from engine import feedback
from engine.podcast.document import DocumentUnreadable, ScannedDocument, Section
from engine.podcast.text_tools import OPENING, SPACES, join_lines, join_paragraphs, page_ref


@dataclass
class _PdfPara:
    """A text block of a PDF page after header/footer removal."""

    page: int
    text: str
    size: float


_DAMAGED_HINT = "The file is damaged or incomplete; download or export it again."
# MuPDF's notes while it reads a file that is not intact (a cut-short file, broken streams, a rebuilt xref).
_DAMAGE_NOTES = ("repair", "premature end", "zlib error", "startxref", "length incorrect", "endobj", "endstream",
                 "truncated", "unexpected eof")


def read_pdf(data: bytes, name: str, stem: str) -> tuple[str, list[Section], list[str]]:
    """Title, sections and warnings of a PDF; raises for encrypted, scanned, blank or unreadable files.

    A PDF that is damaged (cut short, corrupted streams) but still gives text
    is read as far as it goes, with a warning that says so and which pages
    gave nothing; one that gives no text at all raises ``DocumentUnreadable``.
    """
    import pymupdf

    pymupdf.TOOLS.mupdf_warnings(reset=True)  # only this file's notes count
    salvaged = False
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # pymupdf raises several unrelated types for damaged files
        doc = _salvage(data)
        if doc is None:
            raise DocumentUnreadable(f"{name} is not a readable PDF ({exc}).", _DAMAGED_HINT) from exc
        salvaged = True
    with doc:
        try:
            if doc.needs_pass:
                raise DocumentUnreadable(
                    f"{name} is password-protected.", "Save an unprotected copy (print to PDF) and load that."
                )
            page_count = doc.page_count
        except RuntimeError as exc:  # "code=7: Invalid number of pages": the page tree was cut off
            raise DocumentUnreadable(
                f"{name} is damaged or incomplete: its list of pages cannot be read ({exc}).", _DAMAGED_HINT
            ) from exc
        if page_count == 0:
            raise DocumentUnreadable(f"{name} has no pages.", "Pick the complete file.")
        lines, failed = _pdf_lines(doc, f"reading {name}")
        damaged = salvaged or bool(doc.is_repaired) or bool(failed) or _has_damage_notes(pymupdf.TOOLS.mupdf_warnings(reset=True))
        if not lines:
            if damaged:
                raise DocumentUnreadable(f"{name} is damaged or incomplete: no page gave any text.", _DAMAGED_HINT)
            if _has_images(doc):
                raise ScannedDocument(
                    f"{name} has no text layer (scanned?).",
                    "Run it through OCR first (e.g. `ocrmypdf in.pdf out.pdf`) and load the result.",
                )
            raise DocumentUnreadable(
                f"{name} has no text and no images (empty pages).", "Pick the complete file."
            )
        paras = _pdf_paragraphs(lines, page_count)
        title = _metadata_title(doc) or stem
        toc = _outline(doc)
    if toc:
        sections = _pdf_sections_by_toc(paras, toc)
    else:
        sections = _pdf_sections_by_headings(paras) or _pdf_sections_by_page(paras)
    warnings = [_damage_warning(name, page_count, lines, failed)] if damaged else []
    return title, sections, warnings


def _salvage(data: bytes) -> Any:
    """A PDF cut off inside an object, opened from its last whole object (MuPDF rebuilds the rest); or None.

    MuPDF repairs most cut-short files itself, but gives up when the cut falls
    inside a stream; dropping the torn object lets it rebuild the cross-reference
    table from the objects before it.
    """
    import pymupdf

    end = data.rfind(b"endobj")
    if not data.startswith(b"%PDF-") or end < 0:
        return None
    try:
        return pymupdf.open(stream=data[: end + len(b"endobj")] + b"\n", filetype="pdf")
    except Exception:  # still unreadable: the caller reports the original error
        return None


def _has_damage_notes(notes: str) -> bool:
    text = notes.lower()
    return any(mark in text for mark in _DAMAGE_NOTES)


def _has_images(doc: Any) -> bool:
    for page in doc:
        try:
            if page.get_images():
                return True
        except Exception:  # a damaged page: it shows nothing either way
            continue
    return False


def _metadata_title(doc: Any) -> str:
    try:
        return str((doc.metadata or {}).get("title") or "")
    except Exception:  # damaged info dictionary
        return ""


def _outline(doc: Any) -> list[tuple[str, int]]:
    """Level 1–2 outline entries (title, 1-based page); none when the outline is damaged."""
    try:
        return [(title_, page) for level, title_, page, *_ in doc.get_toc(simple=True) if level <= 2 and page >= 1]
    except Exception:
        return []


def page_ranges(pages: list[int]) -> str:
    """1-based page numbers as "3, 7–12"."""
    parts: list[str] = []
    start = previous = None
    for page in sorted(set(pages)) + [None]:  # type: ignore[list-item]
        if page is not None and previous is not None and page == previous + 1:
            previous = page
            continue
        if start is not None:
            parts.append(str(start) if start == previous else f"{start}–{previous}")
        start = previous = page
    return ", ".join(parts)


def _damage_warning(name: str, page_count: int, lines: list["_PdfLine"], failed: list[int]) -> str:
    """One sentence for a damaged PDF that was read as far as it goes, and a next step."""
    with_text = {line.page for line in lines}
    empty = [page + 1 for page in range(page_count) if page not in with_text]
    pages = "page" if len(empty) == 1 else "pages"
    gap = f"; {pages} {page_ranges(empty)} of {page_count} gave no text" if empty else ""
    return (
        f"{name} is damaged or incomplete (cut short, or with broken streams): it was read as far as it goes"
        f"{gap}, so some of its text may be missing. For the whole text, download or export it again."
    )


@dataclass
class _PdfLine:
    page: int
    block: int
    text: str
    size: float


def _pdf_lines(doc: Any, stage: str) -> tuple[list[_PdfLine], list[int]]:
    """Every non-blank text line with its page, block and largest font size, in reading order.

    Also returns the 0-based pages that could not be read at all (damaged
    content); progress is reported per page as ``stage``.
    """
    lines: list[_PdfLine] = []
    failed: list[int] = []
    for page_no in range(doc.page_count):
        feedback.progress(stage, page_no, doc.page_count)
        try:
            content = doc[page_no].get_text("dict", sort=True)
        except Exception:  # pymupdf raises RuntimeError and its own types for a damaged page
            failed.append(page_no)
            continue
        for block_no, block in enumerate(content["blocks"]):
            for line in block.get("lines", ()):
                spans = [span for span in line["spans"] if span["text"].strip()]
                if spans:
                    text = "".join(span["text"] for span in line["spans"]).strip()
                    lines.append(_PdfLine(page_no, block_no, text, round(max(s["size"] for s in spans), 1)))
    feedback.progress(stage, doc.page_count, doc.page_count)
    return lines, failed


def _edge_key(text: str) -> str:
    # Page numbers differ from page to page, so digits are masked before counting repeats.
    return re.sub(r"\d+", "#", SPACES.sub(" ", text.lower())).strip()


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
        text = join_lines(line.text for line in group)
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
    return SPACES.sub(" ", text.lower()).strip()


def _pdf_section(title: str, paras: list[_PdfPara], heading: _PdfPara | None) -> Section:
    pages = [para.page for para in paras] + ([heading.page] if heading else [])
    return Section(title, join_paragraphs(p.text for p in paras), page_ref(min(pages) + 1, max(pages) + 1))


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
            # No paragraph on the entry's page matched: it starts on that page, or at the next text after it.
            return (first_on_page if first_on_page is not None else index), False
        if first_on_page is None:
            first_on_page = index
        if _norm(para.text).startswith(title):
            return index, _norm(para.text) == title
    return (first_on_page if first_on_page is not None else len(paras)), False


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
