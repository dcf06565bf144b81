"""Text clean-up shared by the source readers: joining lines, hyphenation, decoding, sections."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from engine.podcast.document import DocumentUnreadable, Section

SUPPORTED = "PDF, DOCX, Markdown (.md), plain text (.txt), HTML (.html) or an http(s) address"

TEXT_GROUP_CHARS = 2000
OPENING = "Opening"

_HYPHEN_END = re.compile(r"[^\W\d_]-$")
SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def join_lines(lines: Iterable[str]) -> str:
    """Join wrapped lines with spaces, undoing end-of-line hyphenation ("infor-" + "mation")."""
    out = ""
    for raw in lines:
        line = SPACES.sub(" ", raw.replace("\u00ad", "")).strip()
        if not line:
            continue
        if out and _HYPHEN_END.search(out) and line[0].islower():
            out = out[:-1] + line
        else:
            out = f"{out} {line}" if out else line
    return out


def join_paragraphs(paragraphs: Iterable[str]) -> str:
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


def page_ref(first: int, last: int) -> str:
    """Reference for 1-based pages ``first``..``last``."""
    return f"p. {first}" if first == last else f"pp. {first}–{last}"


def snippet(text: str, limit: int = 60) -> str:
    """The first words of ``text``, cut at a word boundary, for a section title."""
    first = text.split("\n", 1)[0]
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0] + "…"


def decode_text(data: bytes, name: str) -> str:
    """Text file bytes as str (UTF-8, else cp1252/latin-1); refuses binary files."""
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
class Block:
    """A heading or a paragraph of a structured document, in reading order."""

    text: str
    heading: bool = False


def sections_from_blocks(blocks: list[Block]) -> list[Section]:
    """Split headed blocks into sections referenced "§ <heading>"; text before any heading opens."""
    sections: list[Section] = []
    title, ref, body = OPENING, "§ opening", []
    for block in blocks:
        if block.heading:
            sections.append(Section(title, join_paragraphs(body), ref))
            title, ref, body = block.text, f"§ {block.text}", []
        else:
            body.append(block.text)
    sections.append(Section(title, join_paragraphs(body), ref))
    return [section for section in sections if section.text]
