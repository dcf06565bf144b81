"""PDF sources with pymupdf: outline or headings, running headers removed, hyphenation undone."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from engine.podcast.document import DocumentUnreadable, ScannedDocument, Section
from engine.podcast.text_tools import OPENING, SPACES, join_lines, join_paragraphs, page_ref


@dataclass
class _PdfPara:
    """A text block of a PDF page after header/footer removal."""

    page: int
    text: str
    size: float


def read_pdf(data: bytes, name: str, stem: str) -> tuple[str, list[Section]]:
    """Title and sections of a PDF; raises for encrypted, scanned, blank or damaged files."""
    import pymupdf

    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # pymupdf raises several unrelated types for damaged files
        raise DocumentUnreadable(
            f"{name} is not a readable PDF ({exc}).",
            "The file is damaged or incomplete; download or export it again.",
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
