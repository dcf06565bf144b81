"""The player's controls: a seek bar, previous turn, play/pause, next turn, stop, where we are, and the speed.

The transport icons are drawn here in the palette's button text colour:
the style's stock media icons are dark grey pixmaps that all but vanish on
the dark theme.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPalette, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QAbstractSlider,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.podcast.common import clock
from app.widgets.labels import ElidedLabel

SPEEDS = (0.75, 1.0, 1.25, 1.5)
ICON_SIZE = 18
STATE_NOTES = {
    "opening": "Opening the speaker…",
    "buffering": "Waiting for the next turn to be recorded…",
    "finished": "The end.",
    "closing": "Stopping…",
}


def _shape(kind: str, size: float) -> QPainterPath:
    """The outline of a transport symbol in a ``size`` × ``size`` box."""
    path = QPainterPath()

    def triangle(tip_x: float, base_x: float) -> None:
        path.addPolygon(QPolygonF([QPointF(base_x, size * 0.2), QPointF(base_x, size * 0.8),
                                   QPointF(tip_x, size * 0.5)]))
        path.closeSubpath()

    if kind == "play":
        triangle(size * 0.8, size * 0.28)
    elif kind == "pause":
        path.addRect(QRectF(size * 0.26, size * 0.2, size * 0.17, size * 0.6))
        path.addRect(QRectF(size * 0.57, size * 0.2, size * 0.17, size * 0.6))
    elif kind == "stop":
        path.addRect(QRectF(size * 0.25, size * 0.25, size * 0.5, size * 0.5))
    elif kind == "previous":
        path.addRect(QRectF(size * 0.2, size * 0.2, size * 0.1, size * 0.6))
        triangle(size * 0.3, size * 0.8)
    elif kind == "next":
        path.addRect(QRectF(size * 0.7, size * 0.2, size * 0.1, size * 0.6))
        triangle(size * 0.7, size * 0.2)
    return path


def media_icon(kind: str, palette: QPalette, size: int = ICON_SIZE) -> QIcon:
    """A transport icon (play, pause, stop, previous, next) in ``palette``'s button text colours."""
    icon = QIcon()
    colours = (
        (QIcon.Mode.Normal, palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.ButtonText)),
        (QIcon.Mode.Disabled, palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText)),
    )
    for mode, colour in colours:
        for ratio in (1, 2):
            pixmap = QPixmap(size * ratio, size * ratio)
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(QColor(0, 0, 0, 0))
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.fillPath(_shape(kind, size), colour)
            painter.end()
            icon.addPixmap(pixmap, mode)
    return icon


def _button(tip: str) -> QToolButton:
    button = QToolButton()
    button.setIconSize(QSize(ICON_SIZE, ICON_SIZE))
    button.setToolTip(tip)
    button.setAccessibleName(tip)
    button.setAutoRaise(True)
    button.setFixedSize(34, 32)
    return button


class PlayerBar(QWidget):
    """A seek bar over the episode's turns with the times, then the transport buttons, the turn and the speed."""

    toggle_requested = Signal()
    previous_requested = Signal()
    next_requested = Signal()
    stop_requested = Signal()
    speed_changed = Signal(float)
    seek_requested = Signal(int)
    """The script turn to play from, chosen on the seek bar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.previous_button = _button("Previous turn")
        self.play_button = _button("Play")
        self.play_button.setAutoRaise(False)
        self.play_button.setFixedSize(44, 34)
        self.next_button = _button("Next turn")
        self.stop_button = _button("Stop (close the speaker)")
        self.position_label = ElidedLabel()
        self.seek_slider = QSlider(Qt.Orientation.Horizontal)
        self.seek_slider.setRange(0, 0)
        self.seek_slider.setPageStep(1)
        self.seek_slider.setAccessibleName("Position in the episode")
        self.seek_slider.setToolTip("Drag or click to play from another turn.")
        self.elapsed_label = QLabel("0:00")
        self.duration_label = QLabel("0:00")
        for label in (self.elapsed_label, self.duration_label):
            label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.speed_combo = QComboBox()
        for speed in SPEEDS:
            self.speed_combo.addItem(f"{speed:g}×", speed)
        self.speed_combo.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_combo.setToolTip("Playback speed (applies from the next sentence; the voices keep their pitch).")
        seek = QHBoxLayout()
        seek.setSpacing(8)
        seek.addWidget(self.elapsed_label)
        seek.addWidget(self.seek_slider, 1)
        seek.addWidget(self.duration_label)
        transport = QHBoxLayout()
        transport.setSpacing(4)
        transport.addWidget(self.previous_button)
        transport.addWidget(self.play_button)
        transport.addWidget(self.next_button)
        transport.addWidget(self.stop_button)
        transport.addSpacing(10)
        transport.addWidget(self.position_label, 1)
        transport.addWidget(QLabel("Speed"))
        transport.addWidget(self.speed_combo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(seek)
        layout.addLayout(transport)
        self.seek_slider.sliderReleased.connect(lambda: self.seek_requested.emit(self.seek_slider.value()))
        self.seek_slider.actionTriggered.connect(self._seek_action)
        self.seek_slider.sliderMoved.connect(self._show_drag)
        self.previous_button.clicked.connect(self.previous_requested)
        self.play_button.clicked.connect(self.toggle_requested)
        self.next_button.clicked.connect(self.next_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        self.speed_combo.currentIndexChanged.connect(lambda _i: self.speed_changed.emit(self.speed))
        self._position = ""
        self._state = "closed"
        self.set_state("closed", can_play=False)

    @property
    def speed(self) -> float:
        """The chosen speed."""
        return float(self.speed_combo.currentData())

    @property
    def state(self) -> str:
        """The state shown: closed, opening, playing, paused, buffering, finished or closing."""
        return self._state

    def set_state(self, state: str, can_play: bool = True) -> None:
        """Show the player's ``state``; ``can_play`` enables Play while no session is open."""
        self._state = state
        open_ = state in ("playing", "paused", "buffering", "finished")
        self.play_button.setToolTip("Pause" if self._playing else "Play")
        self.play_button.setEnabled(open_ or (state == "closed" and can_play))
        for button in (self.previous_button, self.next_button, self.stop_button):
            button.setEnabled(open_)
        self.seek_slider.setEnabled(open_ or (state == "closed" and can_play))
        self._paint_icons()
        self._show()

    def set_position(self, turn_index: int, turns: int, elapsed_s: float, duration_s: float) -> None:
        """Show ``Turn n of N`` and the times beside the seek bar (left out until the audio exists)."""
        if turns <= 0:
            self._position = ""
        else:
            self._position = f"Turn {min(turn_index + 1, turns)} of {turns}"
        known = duration_s > 0
        self.elapsed_label.setText(clock(elapsed_s) if known else "–:––")
        self.duration_label.setText(clock(duration_s) if known else "–:––")
        self.seek_slider.setRange(0, max(0, turns - 1))
        if not self.seek_slider.isSliderDown():
            self.seek_slider.setValue(min(max(turn_index, 0), max(0, turns - 1)))
        self._show()

    def _seek_action(self, action: int) -> None:
        # A click on the track or an arrow key moves one step: play from there (a drag waits for release).
        if self.seek_slider.isSliderDown():
            return
        if action in (QAbstractSlider.SliderAction.SliderMove.value, QAbstractSlider.SliderAction.SliderNoAction.value):
            return
        target = self.seek_slider.sliderPosition()
        self.seek_requested.emit(target)

    def _show_drag(self, index: int) -> None:
        turns = self.seek_slider.maximum() + 1
        self.position_label.setText(f"Play from turn {index + 1} of {turns}")

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        """Redraw the icons in the new colours when the theme changes."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._paint_icons()

    @property
    def _playing(self) -> bool:
        return self._state in ("playing", "buffering")

    def _paint_icons(self) -> None:
        palette = self.palette()
        self.previous_button.setIcon(media_icon("previous", palette))
        self.play_button.setIcon(media_icon("pause" if self._playing else "play", palette))
        self.next_button.setIcon(media_icon("next", palette))
        self.stop_button.setIcon(media_icon("stop", palette))

    def _show(self) -> None:
        note = STATE_NOTES.get(self._state, "")
        self.position_label.setText("  ·  ".join(part for part in (self._position, note) if part))
