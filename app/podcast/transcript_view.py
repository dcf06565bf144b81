"""The episode transcript: who says what, where it comes from, and what is being heard now.

Each row is drawn as a card holding a small rich-text document: the speaker
(in their host's colour), the text, and the source references, whose
tooltip names the section they point at. The turn being heard gets an
accent bar and tint, and the sentence being spoken a stronger tint. A
listener's question is a right-aligned bubble in the accent colour; the
hosts' answers and the bridge back are indented with an amber bar, so the
interruption reads as one aside. Colours come from the palette, so the
light and dark themes both stay readable.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QHelpEvent, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
    QWidget,
)

from app.podcast.snapshot import TranscriptRow
from app.podcast.transcript_model import ROW_ROLE, Span, TranscriptModel, sentence_span
from app.widgets.card_list import CardListView, card_width, mix

EMPTY_HINT = "Choose an episode in the library, or generate one.\nIts transcript appears here."
SEEK_HINT = "Double-click to play from here."

_OUTER_X = 10
_GAP_Y = 3
_PAD_X = 12
_PAD_Y = 7
_INDENT = 30
_QUESTION_SHARE = 0.8
_RADIUS = 8
_BAR = 3


@dataclass(frozen=True)
class Colors:
    """The transcript's colours for one palette."""

    text: QColor
    muted: QColor
    card: QColor
    current: QColor
    accent: QColor
    sentence: QColor
    hosts: tuple[QColor, QColor]
    listener_fill: QColor
    listener_ink: QColor
    aside_fill: QColor
    aside_bar: QColor
    ref: QColor


def colors_for(palette: QPalette) -> Colors:
    """Colours with enough contrast on ``palette``'s base (light or dark)."""
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    accent = palette.color(QPalette.ColorRole.Highlight)
    dark = base.lightness() < 128
    hosts = (QColor("#8ab4ff"), QColor("#5fd4c0")) if dark else (QColor("#1d4ed8"), QColor("#0f766e"))
    amber = QColor("#f0a030") if dark else QColor("#b45309")
    return Colors(
        text=text,
        muted=mix(text, base, 0.45),
        card=mix(base, text, 0.045),
        current=mix(base, accent, 0.16 if dark else 0.10),
        accent=accent,
        sentence=mix(base, accent, 0.50 if dark else 0.26),
        hosts=hosts,
        listener_fill=accent,
        listener_ink=palette.color(QPalette.ColorRole.HighlightedText),
        aside_fill=mix(base, amber, 0.12 if dark else 0.08),
        aside_bar=amber,
        ref=mix(text, base, 0.35),
    )


def _css(color: QColor) -> str:
    return color.name()


def row_html(row: TranscriptRow, colors: Colors, font: QFont, current: bool, span: Span | None) -> str:
    """The rich text of ``row`` (with the sentence at ``span`` marked when ``current``)."""
    small = max(6.0, font.pointSizeF() * 0.86)
    if row.kind == "chapter":
        return (
            f'<p style="margin:0; color:{_css(colors.muted)}; font-size:{small:.1f}pt; font-weight:600">'
            f"CHAPTER {row.chapter + 1}</p>"
            f'<p style="margin:0; font-size:{font.pointSizeF() * 1.12:.1f}pt; font-weight:700">'
            f"{html.escape(row.text)}</p>"
        )
    ink = colors.listener_ink if row.kind == "question" else colors.text
    if row.kind == "question":
        caption = "You asked" + {"voice": " · spoken", "text": " · typed"}.get(row.via, "")
        caption_color = colors.listener_ink
    elif row.kind == "answer":
        caption, caption_color = f"{row.speaker} · answering you", colors.aside_bar
    elif row.kind == "bridge":
        caption, caption_color = f"{row.speaker} · back to the episode", colors.aside_bar
    else:
        caption, caption_color = row.speaker, colors.hosts[row.host]
    marker = "▶ " if current else ""
    text = row.text
    if current and span is not None:
        start, end = span
        body = (
            f"{html.escape(text[:start])}"
            f'<span style="background-color:{_css(colors.sentence)}">{html.escape(text[start:end])}</span>'
            f"{html.escape(text[end:])}"
        )
    else:
        body = html.escape(text)
    style = "font-style:italic; " if row.kind == "bridge" else ""
    parts = [
        f'<p style="margin:0; color:{_css(caption_color)}; font-size:{small:.1f}pt; font-weight:700">'
        f"{marker}{html.escape(caption)}</p>",
        f'<p style="margin-top:2px; margin-bottom:0; {style}color:{_css(ink)}">{body}</p>',
    ]
    if row.refs:
        links = " &nbsp;·&nbsp; ".join(
            f'<a href="ref:{number}" style="color:{_css(colors.ref)}; text-decoration:none">'
            f"{html.escape(ref)}</a>"
            for number, ref in enumerate(row.refs)
        )
        parts.append(f'<p style="margin-top:3px; margin-bottom:0; font-size:{small:.1f}pt">{links}</p>')
    return "".join(parts)


class TurnDelegate(QStyledItemDelegate):
    """Paints a ``TranscriptRow`` as a card; caches one document per row until it or the width changes."""

    def __init__(self, model: TranscriptModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.ref_titles: dict[str, str] = {}
        self._docs: dict[int, tuple[tuple[object, ...], QTextDocument]] = {}

    def forget(self) -> None:
        """Drop cached documents (after the rows were replaced)."""
        for _key, doc in self._docs.values():
            doc.deleteLater()
        self._docs.clear()

    @staticmethod
    def card_span(row: TranscriptRow, width: int) -> tuple[int, int]:
        """``(left, width)`` of the row's card in a view ``width`` wide."""
        usable = max(160, width - 2 * _OUTER_X)
        if row.kind == "question":
            card = int(usable * _QUESTION_SHARE)
            return _OUTER_X + usable - card, card
        if row.kind in ("answer", "bridge"):
            return _OUTER_X + _INDENT, usable - _INDENT
        return _OUTER_X, usable

    def _state(self, row: TranscriptRow) -> tuple[bool, Span | None]:
        current = row.id == self.model.current_id and row.kind != "chapter"
        return current, self.model.span if current else None

    def document(self, row: TranscriptRow, width: int, font: QFont, palette: QPalette) -> QTextDocument:
        """The laid-out rich text of ``row`` for a view ``width`` wide."""
        current, span = self._state(row)
        _left, card = self.card_span(row, width)
        text_width = max(80, card - 2 * _PAD_X - _BAR)
        key = (row, text_width, font.key(), palette.cacheKey(), current, span)
        cached = self._docs.get(row.id)
        if cached is not None and cached[0] == key:
            return cached[1]
        if cached is not None:
            cached[1].deleteLater()
        # Owned by the delegate, so Python's garbage collector never frees one on a worker thread.
        doc = QTextDocument(self)
        doc.setDocumentMargin(0)
        doc.setDefaultFont(font)
        doc.setHtml(row_html(row, colors_for(palette), font, current, span))
        doc.setTextWidth(text_width)
        self._docs[row.id] = (key, doc)
        return doc

    def _origin(self, row: TranscriptRow, rect: QRect) -> QPointF:
        left, _card = self.card_span(row, rect.width())
        return QPointF(rect.left() + left + _PAD_X + _BAR, rect.top() + _GAP_Y + _PAD_Y)

    def sizeHint(  # noqa: N802 (Qt override)
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        """The card's height at the view's current width."""
        row = index.data(ROW_ROLE)
        if not isinstance(row, TranscriptRow):
            return super().sizeHint(option, index)
        width = card_width(option)
        doc = self.document(row, width, option.font, option.palette)  # type: ignore[attr-defined]
        extra = 10 if row.kind == "chapter" else 0
        return QSize(width, int(doc.size().height()) + 2 * (_PAD_Y + _GAP_Y) + extra)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        """The card, its bar and its document."""
        row = index.data(ROW_ROLE)
        if not isinstance(row, TranscriptRow):
            return
        rect: QRect = option.rect  # type: ignore[attr-defined]
        palette: QPalette = option.palette  # type: ignore[attr-defined]
        colors = colors_for(palette)
        doc = self.document(row, rect.width(), option.font, palette)  # type: ignore[attr-defined]
        current, _span = self._state(row)
        left, card_width = self.card_span(row, rect.width())
        extra = 10 if row.kind == "chapter" else 0
        card = QRect(rect.left() + left, rect.top() + _GAP_Y + extra, card_width, rect.height() - 2 * _GAP_Y - extra)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        bar: QColor | None = None
        if row.kind == "chapter":
            if index.row() > 0:
                painter.setBrush(colors.muted)
                painter.drawRect(QRect(card.left(), card.top() - extra // 2, card.width(), 1))
        else:
            if row.kind == "question":
                fill = colors.listener_fill
            elif row.kind in ("answer", "bridge"):
                fill, bar = colors.aside_fill, colors.aside_bar
            else:
                fill = colors.current if current else colors.card
            if current:
                bar = colors.accent if row.kind != "question" else None
            painter.setBrush(fill)
            painter.drawRoundedRect(card, _RADIUS, _RADIUS)
            if bar is not None:
                painter.setBrush(bar)
                painter.drawRoundedRect(QRect(card.left(), card.top(), _BAR + 2, card.height()), 2, 2)
        origin = self._origin(row, rect)
        painter.translate(origin.x(), origin.y() + extra)
        doc.drawContents(painter)
        painter.restore()

    def helpEvent(  # noqa: N802 (Qt override)
        self,
        event: QHelpEvent,
        view: QAbstractItemView,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        """Tooltips: a reference names its section; a script turn says it can be played from."""
        row = index.data(ROW_ROLE)
        if event.type() != QEvent.Type.ToolTip or not isinstance(row, TranscriptRow):
            return super().helpEvent(event, view, option, index)
        rect: QRect = option.rect  # type: ignore[attr-defined]
        doc = self.document(row, rect.width(), option.font, option.palette)  # type: ignore[attr-defined]
        extra = 10 if row.kind == "chapter" else 0
        origin = self._origin(row, rect)
        point = QPointF(event.pos()) - origin - QPointF(0, extra)
        anchor = doc.documentLayout().anchorAt(point)
        tip = ""
        if anchor.startswith("ref:"):
            ref = row.refs[int(anchor.removeprefix("ref:"))]
            title = self.ref_titles.get(ref, "")
            tip = f"{ref}\n{title}" if title and title != ref else ref
        elif row.script_index is not None:
            tip = SEEK_HINT
        if tip:
            QToolTip.showText(event.globalPos(), tip, view)
        else:
            QToolTip.hideText()
        return True


class EpisodeTranscriptView(CardListView):
    """The transcript of one episode; double-clicking a script turn asks to play from it."""

    empty_hint = EMPTY_HINT

    seek_requested = Signal(int)
    """The script index of the turn that was double-clicked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.transcript = TranscriptModel(self)
        self.cards = TurnDelegate(self.transcript, self)
        self.setModel(self.transcript)
        self.setItemDelegate(self.cards)
        self.setUniformItemSizes(False)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setMouseTracking(True)
        self.verticalScrollBar().setSingleStep(16)
        self.setAccessibleName("Episode transcript")
        self.doubleClicked.connect(self._double_clicked)

    def show_rows(self, rows: tuple[TranscriptRow, ...] | list[TranscriptRow], ref_titles: dict[str, str]) -> None:
        """Show ``rows`` (merged with what is shown, so the scroll position stays)."""
        self.cards.ref_titles = dict(ref_titles)
        self.transcript.set_rows(rows)

    def highlight(self, turn_id: int | None, sentences: tuple[str, ...] = (), index: int = -1) -> None:
        """Mark the turn being heard and, when its sentences are known, the sentence ``index``."""
        row = self.transcript.row_of(turn_id) if turn_id is not None else -1
        span = None
        if row >= 0 and 0 <= index < len(sentences):
            span = sentence_span(self.transcript.rows()[row].text, sentences, index)
        follow = self._current_visible()
        self.transcript.set_current(turn_id, span)
        if row >= 0 and follow:
            target = self.transcript.index(row)
            if not self.viewport().rect().contains(self.visualRect(target)):
                self.scrollTo(target, QAbstractItemView.ScrollHint.PositionAtCenter)

    def clear(self) -> None:
        """Remove every row."""
        self.cards.forget()
        self.transcript.clear()

    def _current_visible(self) -> bool:
        """Whether the listener is following along (the turn being heard is on screen, or none is)."""
        current = self.transcript.current_id
        row = self.transcript.row_of(current) if current is not None else -1
        if row < 0:
            return True
        return self.viewport().rect().intersects(self.visualRect(self.transcript.index(row)))

    def _double_clicked(self, index: QModelIndex) -> None:
        row = index.data(ROW_ROLE)
        if isinstance(row, TranscriptRow) and row.script_index is not None:
            self.seek_requested.emit(row.script_index)
