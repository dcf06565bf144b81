"""Text clean-up shared by the source readers: joining lines, hyphenation, decoding, sections."""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from engine.podcast.document import DocumentUnreadable, Section

SUPPORTED = "PDF, DOCX, Markdown (.md), plain text (.txt), HTML (.html) or an http(s) address"

TEXT_GROUP_CHARS = 2000
OPENING = "Opening"

_HYPHEN_END = re.compile(r"[^\W\d_]-$")
SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")
# Typographic ligatures (ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ) that PDFs keep as one character: a voice would skip or misread them.
_LIGATURES = str.maketrans({chr(code): unicodedata.normalize("NFKC", chr(code)) for code in range(0xFB00, 0xFB07)})


def spell_out_ligatures(text: str) -> str:
    """``text`` with ligature characters written as their letters ("ﬁ" → "fi")."""
    return text.translate(_LIGATURES)


def _hyphenated(tail: str) -> bool:
    """Whether text ending in ``tail`` (its last two characters) ends in a letter and a hyphen."""
    return bool(_HYPHEN_END.search(tail))


def join_lines(lines: Iterable[str]) -> str:
    """Join wrapped lines with spaces, undoing end-of-line hyphenation ("infor-" + "mation").

    Linear in the text's length: only the last two characters written are
    looked at, and the pieces are joined once at the end.
    """
    pieces: list[str] = []
    tail = ""
    for raw in lines:
        line = SPACES.sub(" ", raw.replace("\u00ad", "")).strip()
        if not line:
            continue
        if pieces and _hyphenated(tail) and line[0].islower():
            pieces[-1] = pieces[-1][:-1]  # the hyphen goes; the pieces are single lines, so this is cheap
            tail = tail[:-1]
        elif pieces:
            pieces.append(" ")
            tail = " "
        pieces.append(line)
        tail = (tail + line)[-2:]
    return "".join(pieces)


def join_paragraphs(paragraphs: Iterable[str]) -> str:
    """Join paragraphs with blank lines, merging a word hyphenated across a paragraph or page break."""
    pieces: list[str] = []
    tail = ""
    for paragraph in paragraphs:
        if not paragraph:
            continue
        if pieces and _hyphenated(tail) and paragraph[0].islower():
            pieces[-1] = pieces[-1][:-1]
            tail = tail[:-1]
        elif pieces:
            pieces.append("\n\n")
            tail = "\n\n"
        pieces.append(paragraph)
        tail = (tail + paragraph)[-2:]
    return "".join(pieces)


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
    """Text file bytes as str (UTF-16 with a byte-order mark, UTF-8, else cp1252/latin-1); refuses binary files."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise DocumentUnreadable(
                f"{name} starts like UTF-16 text but is damaged.", "Save it again as UTF-8 text."
            ) from None
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
