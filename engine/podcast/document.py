"""What a podcast source becomes: titled sections with references, and the errors of reading one."""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import NexusError


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
    # Problems the reader carried on past, one sentence and a next step each (a damaged PDF read in part).
    warnings: tuple[str, ...] = ()

    @property
    def chars(self) -> int:
        """Number of characters over all sections."""
        return sum(section.chars for section in self.sections)
