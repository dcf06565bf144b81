"""The Podcast tab: two-host episodes from documents."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.widgets.intro_panel import IntroPanel


class PodcastPanel(IntroPanel):
    """Shows the Podcast feature; the episode player grows here."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "Podcast",
            "Turn PDFs, Word files, Markdown, text and web pages into a two-host episode, "
            "played with its transcript and source references.",
            [
                "Formats: Deep Dive, Brief, Critique and Debate, in short, default or long lengths.",
                "Long documents are summarised section by section, so a 300-page PDF works.",
                "Join the show by voice or text: the hosts answer from your sources, then resume.",
                "Episodes are kept in your library and export to WAV or MP3 with chapters.",
            ],
            parent,
        )
