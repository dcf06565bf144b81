"""The detail pane: one record's messages (coloured by role) and its media.

Images and video first frames show as thumbnails, audio as its duration, a
waveform and a Play button. The media are decoded in a worker; a token drops
the result when another row was selected meanwhile.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.expert.datasets.audio_playback import ClipPlayer
from app.expert.datasets.common import ERROR_COLOR, KIND_COLORS, ROLE_COLORS, clock, error_text, muted_label
from app.expert.datasets.media_preview import MediaPreview, load_previews
from app.expert.datasets.preview_loader import PreviewRow
from app.expert.datasets.waveform import WaveformView
from app.live.lifetime import while_alive
from app.tasks import run_task

SHOWN_THUMB_W = 260
SHOWN_THUMB_H = 170
CARD_WIDTH = 290


def _message_block(role: str, text: str, color: str) -> str:
    body = html.escape(text) if text else "<i>(empty)</i>"
    return (
        f'<table width="100%" cellspacing="0" cellpadding="0" style="margin-bottom: 8px;"><tr>'
        f'<td width="4" bgcolor="{color}"></td><td width="8"></td><td>'
        f'<div style="color: {color}; font-weight: 600;">{html.escape(role)}</div>'
        f'<div style="white-space: pre-wrap;">{body}</div></td></tr></table>'
    )


def _content(value: Any) -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [("", value)]
    if isinstance(value, list):
        return [(str(m.get("role", "?")), str(m.get("content", ""))) for m in value if isinstance(m, dict)]
    return [("", "" if value is None else str(value))]


def messages_html(data: dict[str, Any]) -> str:
    """The record's conversation as HTML: a coloured bar and role name before each message."""
    blocks: list[str] = []
    if "chosen" in data or "rejected" in data:
        for key in ("prompt", "chosen", "rejected"):
            for role, text in _content(data.get(key)):
                title = key if not role or key == "prompt" and role == "user" else f"{key} · {role}"
                blocks.append(_message_block(title, text, ROLE_COLORS[key]))
    else:
        for role, text in _content(data.get("messages")):
            blocks.append(_message_block(role, text, ROLE_COLORS.get(role, ERROR_COLOR)))
    return "".join(blocks) or "<i>No messages.</i>"


class MediaCard(QFrame):
    """One media file: a title, then a thumbnail (image, video) or a waveform and Play (audio), then facts."""

    def __init__(self, preview: MediaPreview, player: ClipPlayer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preview = preview
        self.player = player
        self.setObjectName("mediaCard")
        self.setStyleSheet("QFrame#mediaCard { border: 1px solid palette(mid); border-radius: 6px; }")
        self.setFixedWidth(CARD_WIDTH)
        self.title = QLabel(self._title())
        self.title.setStyleSheet(f"color: {KIND_COLORS.get(preview.kind, ERROR_COLOR)}; font-weight: 600;")
        self.title.setToolTip(str(preview.path))
        self.info_label = muted_label(self._info())
        self.thumbnail: QLabel | None = None
        self.waveform: WaveformView | None = None
        self.play_button: QPushButton | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(6)
        layout.addWidget(self.title)
        if preview.error:
            problem = QLabel(preview.error)
            problem.setWordWrap(True)
            problem.setStyleSheet(f"color: {ERROR_COLOR};")
            layout.addWidget(problem)
        elif preview.image is not None:
            self.thumbnail = QLabel()
            pixmap = QPixmap.fromImage(preview.image)
            if pixmap.width() > SHOWN_THUMB_W or pixmap.height() > SHOWN_THUMB_H:
                pixmap = pixmap.scaled(SHOWN_THUMB_W, SHOWN_THUMB_H, Qt.AspectRatioMode.KeepAspectRatio,
                                       Qt.TransformationMode.SmoothTransformation)
            elif max(pixmap.width(), pixmap.height()) < 96:
                # Tiny images (icons, test swatches) are enlarged so they can be seen at all.
                pixmap = pixmap.scaled(96, 96, Qt.AspectRatioMode.KeepAspectRatio,
                                       Qt.TransformationMode.FastTransformation)
            self.thumbnail.setPixmap(pixmap)
            self.thumbnail.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            layout.addWidget(self.thumbnail)
        elif preview.kind == "audio":
            self.waveform = WaveformView()
            self.waveform.set_peaks(preview.peaks)
            self.play_button = QPushButton("▶ Play")
            self.play_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            self.play_button.clicked.connect(self._toggle)
            player.playing_changed.connect(self._sync_button)
            row = QHBoxLayout()
            row.setSpacing(8)
            row.addWidget(self.play_button)
            row.addWidget(self.waveform, 1)
            layout.addLayout(row)
        layout.addWidget(self.info_label)

    def _title(self) -> str:
        preview = self.preview
        kind = preview.kind + (f" · {preview.type}" if preview.type else "")
        return f"{kind} — {preview.name}"

    def _info(self) -> str:
        preview = self.preview
        parts: list[str] = []
        if preview.width and preview.height:
            parts.append(f"{preview.width}×{preview.height}")
        if preview.duration_s is not None:
            parts.append(clock(preview.duration_s))
        if preview.sample_rate:
            channels = "mono" if preview.channels == 1 else f"{preview.channels} channels"
            parts.append(f"{preview.sample_rate:,} Hz {channels}")
        if preview.fps:
            parts.append(f"{preview.fps:g} fps")
        if preview.kind == "video" and preview.image is not None:
            parts.append("first frame")
        return " · ".join(parts)

    def _toggle(self) -> None:
        if self.player.playing and self.player.path == self.preview.path:
            self.player.stop()
        else:
            self.player.play(self.preview.path)

    def _sync_button(self, _playing: bool) -> None:
        if self.play_button is not None:
            mine = self.player.playing and self.player.path == self.preview.path
            self.play_button.setText("■ Stop" if mine else "▶ Play")


class SampleView(QWidget):
    """Shows the selected ``PreviewRow`` of the dataset at ``root``."""

    def __init__(self, output_device: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.root: Path | None = None
        self.row: PreviewRow | None = None
        self.media_cards: list[MediaCard] = []
        self.loading_media = False
        self._token = 0
        self.player = ClipPlayer(output_device, self)
        self.player.failed.connect(self._play_failed)
        self.title = QLabel()
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.title.setFont(font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tags = muted_label()
        self.media_status = muted_label()
        self.media_column = QVBoxLayout()
        self.media_column.setContentsMargins(0, 0, 0, 0)
        self.media_column.setSpacing(8)
        self.media_column.addStretch(1)
        media_holder = QWidget()
        media_holder.setLayout(self.media_column)
        self.media_area = QScrollArea()
        self.media_area.setWidget(media_holder)
        self.media_area.setWidgetResizable(True)
        self.media_area.setFrameShape(QFrame.Shape.NoFrame)
        self.media_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.media_area.setFixedWidth(CARD_WIDTH + self.media_area.verticalScrollBar().sizeHint().width() + 2)
        self.media_area.hide()
        self.messages = QTextBrowser()
        self.messages.setOpenLinks(False)
        self.messages.setFrameShape(QFrame.Shape.StyledPanel)
        self.messages.setBackgroundRole(QPalette.ColorRole.Base)
        media = QVBoxLayout()
        media.setContentsMargins(0, 0, 0, 0)
        media.addWidget(self.media_area, 1)
        media.addWidget(self.media_status)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(10)
        body.addLayout(media)
        body.addWidget(self.messages, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.tags)
        layout.addLayout(body, 1)
        self.show_row(None, None)

    def show_row(self, root: Path | None, row: PreviewRow | None) -> None:
        """Show ``row`` of the dataset at ``root`` (None clears the pane)."""
        self._token += 1
        self.root, self.row = root, row
        self._clear_media()
        if row is None:
            self.title.setText("No row selected")
            self.tags.setText("Select a row of the preview to see its messages and media.")
            self.messages.clear()
            self.media_status.hide()
            return
        self.title.setText(row.id or f"Row {row.number}")
        where = f"{row.shard} line {row.line}"
        if row.broken:
            self.tags.setText(where)
            self.messages.setHtml(f'<p style="color: {ERROR_COLOR};">{html.escape(row.broken)}</p>'
                                  f"<pre>{html.escape(row.summary)}</pre>")
            self.media_status.hide()
            return
        tags = [row.kind_text, row.domain, row.category, row.source]
        style = row.data.get("repetition_style")
        if style:
            tags.append(f"repetition {style}")
        if row.data.get("training_mode"):
            tags.append(str(row.data["training_mode"]))
        self.tags.setText(" · ".join(t for t in tags if t) + f"   ({where})")
        self.messages.setHtml(messages_html(row.data))
        if row.media_kinds and root is not None:
            self._load_media(Path(root), row)
        else:
            self.media_status.hide()

    def _clear_media(self) -> None:
        self.player.stop()
        for card in self.media_cards:
            self.media_column.removeWidget(card)
            card.deleteLater()
        self.media_cards = []
        self.media_area.hide()
        self.loading_media = False

    def _load_media(self, root: Path, row: PreviewRow) -> None:
        token = self._token
        self.loading_media = True
        self.media_status.setStyleSheet("")
        self.media_status.setText("Loading media…")
        self.media_status.setFixedWidth(self.media_area.width())
        self.media_status.show()
        data = row.data

        def loaded(previews: list[MediaPreview] | None, error: BaseException | None) -> None:
            if token != self._token:
                return
            self.loading_media = False
            if error is not None:
                self.media_status.setStyleSheet(f"color: {ERROR_COLOR};")
                self.media_status.setText(f"The media could not be read: {error_text(error)}")
                return
            self.media_status.hide()
            for preview in previews or []:
                card = MediaCard(preview, self.player)
                self.media_column.insertWidget(self.media_column.count() - 1, card)
                self.media_cards.append(card)
            self.media_area.show()

        run_task(lambda: load_previews(root, data), while_alive(self, loaded))

    def _play_failed(self, message: str) -> None:
        self.media_status.setStyleSheet(f"color: {ERROR_COLOR};")
        self.media_status.setText(message)
        self.media_status.show()
