""""What the model sees": the pictures of the last turn, as the engine sends them, with their tokens.

A shared screen reaches the model as a small overview plus a focus at native
resolution (``engine.media.frame_policy``), and a picture the model still
sees is not sent again (``MediaPolicy``). This view shows exactly those
images: when the session emits ``turn_started`` (on its control thread,
before the engine has touched the turn) the view asks the engine's own media
policy what it will send (``MediaPolicy.planned``, the same rule
``prepare`` applies) and hands the result to the GUI thread. Clicking a
picture opens it at full size, to judge whether its text is legible.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shiboken6
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPixmap
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from app.live.sources import image_from_array
from app.widgets.labels import section_label
from engine.media.frame_policy import FOCUS, OVERVIEW, image_kind, visual_tokens
from engine.omni.media_policy import MediaPolicy
from engine.omni.turn import Turn

THUMB = QSize(156, 96)
IDLE_NOTE = "The pictures of each turn appear here when the session runs."


@dataclass
class SentPicture:
    """One image of a turn: the picture, what it is, its cost, and a small copy to show."""

    image: np.ndarray
    kind: str
    tokens: int
    thumbnail: QImage | None = None

    @property
    def title(self) -> str:
        """``Overview``, ``Focus (native)`` or ``Screen``."""
        return {OVERVIEW: "Overview", FOCUS: "Focus (native)"}.get(self.kind, "Screen")

    @property
    def caption(self) -> str:
        """``Focus (native) · 1344×756 · 1,296 tokens``."""
        height, width = self.image.shape[:2]
        return f"{self.title} · {width}×{height} · {self.tokens:,} tokens"


@dataclass
class Sight:
    """What one turn sends: its pictures, how many repeats were left out, and the clip's tokens."""

    pictures: list[SentPicture] = field(default_factory=list)
    dropped: int = 0
    had_pictures: bool = False
    clip_frames: int = 0
    clip_tokens: int = 0

    @property
    def tokens(self) -> int:
        """Visual tokens of the pictures (the clip not included)."""
        return sum(p.tokens for p in self.pictures)

    def summary(self) -> str:
        """One or two lines for under the pictures."""
        if not self.had_pictures:
            return "No picture in this turn."
        if not self.pictures:
            lines = ["Nothing new: the screen is unchanged; the model still sees the last pictures."]
        else:
            kept = f"{self.tokens:,} visual tokens this turn"
            if self.dropped:
                kept += f"; {self.dropped} unchanged picture{'s' if self.dropped != 1 else ''} not sent again"
            lines = [kept + "."]
        if self.clip_frames:
            lines.append(f"Plus a clip of {self.clip_frames} small frames ({self.clip_tokens:,} tokens).")
        return "\n".join(lines)


def sight_of(turn: Turn, policy: MediaPolicy) -> Sight:
    """What ``policy.prepare`` will send for ``turn`` (call it before the engine prepares the turn).

    Safe in any thread: the session calls it on its control thread.
    """
    had = bool(turn.user.images)
    kept, dropped = policy.planned(turn)
    # The thumbnails are scaled here, off the GUI thread (a QImage may be made in any thread).
    pictures = [
        SentPicture(i, image_kind(i) or "", visual_tokens(i), image_from_array(i, THUMB)) for i in kept
    ]
    sight = Sight(pictures, dropped, had)
    video = policy.fit(turn.user).video if turn.user.video is not None else None
    if video is not None and video.frames:
        sight.clip_frames = len(video.frames)
        # The vision tower merges each pair of frames into one grid of 28 × 28 tokens.
        sight.clip_tokens = sum(visual_tokens(f) for f in video.frames[::2])
    return sight


def engine_policy(engine: Any) -> MediaPolicy:
    """The media policy ``engine`` applies (the default rule for engines without one)."""
    policy = getattr(engine, "policy", None)
    return policy if isinstance(policy, MediaPolicy) else MediaPolicy()


class _Thumb(QLabel):
    """A picture scaled into ``THUMB`` with its caption as tooltip; a click opens it at full size."""

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setFixedHeight(THUMB.height())
        self.setMinimumWidth(60)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setStyleSheet("QLabel { background: #16181d; border-radius: 6px; }")

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        """A left click opens the picture."""
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(event)


class ModelView(QWidget):
    """The last turn's pictures (overview + focus) with their sizes and visual tokens."""

    sight_ready = Signal(object)
    """A ``Sight``, emitted from the session's thread and shown on the GUI thread."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sight: Sight | None = None
        self._session: Any = None
        self._policy = MediaPolicy()
        self.title = section_label("What the model sees")
        self.thumbs_row = QHBoxLayout()
        self.thumbs_row.setSpacing(6)
        self.thumbs: list[_Thumb] = []
        self.captions: list[QLabel] = []
        self.summary = QLabel(IDLE_NOTE)
        self.summary.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addLayout(self.thumbs_row)
        layout.addWidget(self.summary)
        self.sight_ready.connect(self.show_sight)

    # wiring --------------------------------------------------------------------------------------
    def attach(self, session: Any) -> None:
        """Follow ``session``'s turns (a ``LiveSession``); replaces an earlier session."""
        self.detach()
        self._session = session
        self._policy = engine_policy(session.parts.engine)
        session.turn_started.connect(self._on_turn_started)

    def detach(self) -> None:
        """Stop following the session (the last pictures stay shown)."""
        if self._session is not None:
            self._session.turn_started.disconnect(self._on_turn_started)
            self._session = None

    def _on_turn_started(self, turn: Turn) -> None:
        # The session's control thread, before the engine prepares the turn: plan it with the same rule.
        if shiboken6.isValid(self):
            self.sight_ready.emit(sight_of(turn, self._policy))

    # showing ---------------------------------------------------------------------------------------
    def show_turn(self, turn: Turn, policy: MediaPolicy | None = None) -> None:
        """Show what ``policy`` (the default media rule) will send for the not yet prepared ``turn``."""
        self.show_sight(sight_of(turn, policy or self._policy))

    def show_sight(self, sight: Sight) -> None:
        """Show ``sight``'s pictures and summary."""
        self.sight = sight
        self._set_thumbs(sight.pictures)
        self.summary.setText(sight.summary())

    def clear(self, note: str = IDLE_NOTE) -> None:
        """No pictures, only ``note``."""
        self.sight = None
        self._set_thumbs([])
        self.summary.setText(note)

    def _set_thumbs(self, pictures: list[SentPicture]) -> None:
        while self.thumbs_row.count():
            item = self.thumbs_row.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.thumbs, self.captions = [], []
        for index, picture in enumerate(pictures):
            thumb = _Thumb()
            small = picture.thumbnail
            if small is None:
                small = image_from_array(picture.image, THUMB)
            thumb.setPixmap(QPixmap.fromImage(small))
            thumb.setToolTip(picture.caption + "\nClick to see it at full size.")
            thumb.clicked.connect(lambda i=index: self.open_picture(i))
            caption = QLabel(picture.caption.replace(" · ", "\n", 1))
            caption.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            font = caption.font()
            font.setPointSizeF(font.pointSizeF() * 0.85)
            caption.setFont(font)
            cell = QVBoxLayout()
            cell.setSpacing(2)
            cell.addWidget(thumb)
            cell.addWidget(caption)
            holder = QWidget()
            holder.setLayout(cell)
            cell.setContentsMargins(0, 0, 0, 0)
            # The focus is usually the larger picture: give it more of the row.
            self.thumbs_row.addWidget(holder, 2 if picture.kind == FOCUS else 1)
            self.thumbs.append(thumb)
            self.captions.append(caption)

    def open_picture(self, index: int) -> QDialog:
        """A window with picture ``index`` at its full size (scrolling when larger than the screen)."""
        assert self.sight is not None
        picture = self.sight.pictures[index]
        array = np.ascontiguousarray(picture.image[..., :3], dtype=np.uint8)
        height, width = array.shape[:2]
        image = QImage(array.data, width, height, array.strides[0], QImage.Format.Format_RGB888).copy()
        dialog = QDialog(self)
        dialog.setWindowTitle(f"What the model sees: {picture.caption}")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        label = QLabel()
        label.setPixmap(QPixmap.fromImage(image))
        area = QScrollArea()
        area.setWidget(label)
        layout = QVBoxLayout(dialog)
        layout.addWidget(area)
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        limit = QSize(screen.width() - 80, screen.height() - 120) if screen is not None else QSize(1200, 800)
        dialog.resize(min(width + 40, limit.width()), min(height + 40, limit.height()))
        dialog.show()
        return dialog

