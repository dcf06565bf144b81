"""The player column of the Podcast tab: the episode, its chapters and transcript, the transport, joining.

It shows snapshots only and says what the listener asks for through the
signals of its bar widgets; the tab decides what a session does with them.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from app.podcast.chapters import ChapterList
from app.podcast.common import clock, muted_label, section_label
from app.podcast.join_bar import JoinBar
from app.podcast.player_bar import PlayerBar
from app.podcast.snapshot import EpisodeSnapshot
from app.podcast.transcript_view import EpisodeTranscriptView
from engine.podcast.formats import FORMATS

CHAPTERS_WIDTH = 210
NO_EPISODE = "No episode"


def _titled(title: str, widget: QWidget) -> QWidget:
    holder = QWidget()
    column = QVBoxLayout(holder)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(6)
    column.addWidget(section_label(title))
    column.addWidget(widget, 1)
    return holder


class PlayerPane(QWidget):
    """Title and details of the shown episode, chapters beside the transcript, then the controls."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shown: EpisodeSnapshot | None = None
        self.generating_id: str | None = None
        self._session_notice = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.title_label = QLabel(NO_EPISODE)
        font = self.title_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setWeight(QFont.Weight.DemiBold)
        self.title_label.setFont(font)
        self.title_label.setWordWrap(True)
        self.meta_label = muted_label()
        self.chapter_list = ChapterList()
        self.transcript_view = EpisodeTranscriptView()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(_titled("Chapters", self.chapter_list))
        self.splitter.addWidget(_titled("Transcript", self.transcript_view))
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([CHAPTERS_WIDTH, 600])
        self.player_bar = PlayerBar()
        self.join_bar = JoinBar()
        self.notice_label = muted_label()
        self.notice_label.hide()
        layout.addWidget(self.title_label)
        layout.addWidget(self.meta_label)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.player_bar)
        layout.addWidget(self.join_bar)
        layout.addWidget(self.notice_label)

    def show_episode(self, snap: EpisodeSnapshot) -> None:
        """Show ``snap`` (merged with what is shown when it is the same episode, so scrolling stays)."""
        if self.shown is None or self.shown.id != snap.id:
            self.transcript_view.clear()
            self.chapter_list.set_current(-1)
        self.shown = snap
        self.title_label.setText(snap.title)
        self.meta_label.setText(self.details(snap))
        self.chapter_list.set_chapters(snap.chapters)
        self.transcript_view.show_rows(snap.rows, snap.ref_titles)

    def clear(self) -> None:
        """Show no episode."""
        self.shown = None
        self.transcript_view.clear()
        self.chapter_list.clear()
        self.title_label.setText(NO_EPISODE)
        self.meta_label.setText("")

    def details(self, snap: EpisodeSnapshot) -> str:
        """``Format · created · length · N turns · status``."""
        fmt = FORMATS.get(snap.format)
        parts = [fmt.title if fmt is not None else "", snap.created]
        if snap.duration_s > 0:
            parts.append(clock(snap.duration_s))
        parts.append(f"{snap.turn_count} turns")
        status = {"writing": "being written…", "failed": "failed: only what was written plays"}.get(snap.status, "")
        if snap.status == "failed" and snap.turn_count == 0:
            status = "failed before any turn was written"
        if snap.id == self.generating_id:
            status = "being made…"
        parts.append(status)
        return "  ·  ".join(part for part in parts if part)

    def show_turn(self, turn_id: int | None) -> None:
        """Highlight the turn being heard; for a script turn, show its position and chapter."""
        self.transcript_view.highlight(turn_id)
        snap = self.shown
        row = snap.row(turn_id) if snap is not None and turn_id is not None else None
        if snap is None or row is None or row.script_index is None:
            return
        index = row.script_index
        self.player_bar.set_position(index, snap.turn_count, snap.elapsed_before(index), snap.duration_s)
        self.chapter_list.set_current(snap.chapter_at(index))

    def show_sentence(self, turn_id: int, sentences: tuple[str, ...], index: int) -> None:
        """Highlight sentence ``index`` of the turn being heard."""
        self.transcript_view.highlight(turn_id, sentences, index)

    def show_state(self, state: str, session_open: bool, voice_reason: str) -> None:
        """Show the player's ``state`` and enable what an open session (or none) allows."""
        shown = self.shown
        self.player_bar.set_state(state, can_play=shown is not None and shown.turn_count > 0)
        if shown is not None and state in ("closed", "opening"):
            self.player_bar.set_position(0, shown.turn_count, 0.0, shown.duration_s)
        self.join_bar.set_available(session_open, voice_reason)

    def set_session_notice(self, text: str) -> None:
        """What the open session cannot do (empty: nothing to say); shown under the join controls."""
        self._session_notice = text
        self.show_notice("")

    def show_notice(self, text: str) -> None:
        """Show ``text`` under the join controls; empty shows the session's notice, if any."""
        text = text or self._session_notice
        self.notice_label.setText(text)
        self.notice_label.setVisible(bool(text))
