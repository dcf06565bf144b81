"""Read podcast sources (PDF, DOCX, Markdown, text, HTML, web pages) into referenced sections.

Every loader returns a :class:`Source` whose sections carry a human reference
("p. 12", "pp. 3–4", "§ 2.1 Methods", "¶ 4–9") so that a script written from
them can cite where a statement came from.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from engine import feedback
from engine.podcast.document import DocumentUnreadable, ScannedDocument, Section, Source
from engine.podcast.markup_readers import decode_html, read_docx, read_html, read_markdown, read_text
from engine.podcast.pdf_reader import read_pdf
from engine.podcast.text_tools import SUPPORTED, decode_text, spell_out_ligatures

PDF_SUFFIXES = frozenset({".pdf"})
DOCX_SUFFIXES = frozenset({".docx"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
TEXT_SUFFIXES = frozenset({".txt", ".text", ""})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024
_SAVE_PAGE_HINT = "Save the page in a browser (File › Save Page As…) and load the .html file instead."

__all__ = ["DocumentUnreadable", "ScannedDocument", "Section", "Source", "load_source", "load_sources"]


def load_source(path_or_url: str | Path, timeout_s: float = 15) -> Source:
    """Read one file or http(s) address into a :class:`Source`; raise :class:`DocumentUnreadable`.

    Long reads report progress and a damaged file read in part reports its
    warning through :mod:`engine.feedback` (the CLI prints both on stderr);
    the warnings are also kept in ``Source.warnings``.
    """
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
    warnings: list[str] = []
    if suffix in PDF_SUFFIXES:
        kind, title, sections, warnings = "pdf", *read_pdf(data, path.name, path.stem)
    elif suffix in DOCX_SUFFIXES:
        kind, title, sections = "docx", *read_docx(data, path.name, path.stem)
    elif suffix in MARKDOWN_SUFFIXES:
        kind, title, sections = "markdown", *read_markdown(decode_text(data, path.name), path.stem)
    elif suffix in HTML_SUFFIXES:
        kind, title, sections = "html", *read_html(decode_html(data, None), path.stem)
    elif suffix in TEXT_SUFFIXES:
        kind, title, sections = "text", *read_text(decode_text(data, path.name), path.stem)
    else:
        raise DocumentUnreadable(f"{path.name}: {suffix} files are not supported.", f"Use {SUPPORTED}.")
    return _finish(str(path), kind, title, sections, data, warnings)


def load_sources(paths: Iterable[str | Path], timeout_s: float = 15) -> list[Source]:
    """Read several sources for one episode, in order; the first unreadable one raises."""
    return [load_source(item, timeout_s=timeout_s) for item in paths]


def _finish(
    name: str, kind: str, title: str, sections: list[Section], data: bytes, warnings: list[str] | None = None
) -> Source:
    kept = tuple(
        replace(section, title=spell_out_ligatures(section.title), text=spell_out_ligatures(section.text))
        for section in sections
        if section.text
    )
    title = spell_out_ligatures(title)
    if not kept:
        raise DocumentUnreadable(
            f"{_display_name(name)} contains no readable text.", "Pick a document with text."
        )
    for warning in warnings or ():
        feedback.warn(warning)
    return Source(
        name,
        kind,
        title.strip() or _display_name(name),
        kept,
        hashlib.sha256(data).hexdigest(),
        tuple(warnings or ()),
    )


def _is_url(target: str) -> bool:
    return target.lower().startswith(("http://", "https://"))


def _display_name(name: str) -> str:
    return name if _is_url(name) else Path(name).name


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
        title, sections, warnings = read_pdf(data, url, fallback)
        return _finish(url, "pdf", title, sections, data, warnings)
    title, sections = read_html(decode_html(data, charset), fallback)
    return _finish(url, "web", title, sections, data)
