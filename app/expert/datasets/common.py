"""Small pieces shared by the Datasets page: folders, names, error texts, headings and colours."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QWidget

from app.widgets.labels import muted_label, section_label  # noqa: F401 - used by the tab's widgets
from engine.config import Settings
from engine.error_advice import advice
from engine.errors import NexusError

W = TypeVar("W", bound=QWidget)

# Saturated enough to read on the light and the dark palette alike.
ROLE_COLORS = {"system": "#8b5cf6", "user": "#3b82f6", "assistant": "#10b981",
               "chosen": "#10b981", "rejected": "#ef4444", "prompt": "#3b82f6"}
KIND_COLORS = {"text": "#3b82f6", "image": "#f59e0b", "audio": "#10b981", "video": "#ec4899",
               "pair": "#8b5cf6"}
ERROR_COLOR = "#e5484d"
OK_COLOR = "#22a06b"


def datasets_dir(settings: Settings) -> Path:
    """Where the workbench keeps dataset folders."""
    return settings.folders.resolved_data_dir() / "datasets"


def episodes_dir(settings: Settings) -> Path:
    """The podcast library's folder."""
    return settings.folders.resolved_data_dir() / "episodes"


def recipes_dir(settings: Settings) -> Path:
    """The folder of the user's own Hub recipes."""
    return settings.folders.resolved_data_dir() / "recipes"


def exports_dir(settings: Settings) -> Path:
    """The default parent folder of exports."""
    return settings.folders.resolved_data_dir() / "exports"


def folder_name(text: str) -> str:
    """``text`` as a safe folder name (letters, digits, ``.``, ``_`` and ``-``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip()).strip("-.") or "dataset"


def new_dataset_folder(root: Path, name: str) -> Path:
    """The folder for a new dataset called ``name`` under ``root``; ValueError when the name is taken."""
    if not name.strip():
        raise ValueError("Give the new dataset a name.")
    path = Path(root) / folder_name(name)
    if path.exists():
        raise ValueError(f"A dataset folder called '{path.name}' already exists; choose another name.")
    return path


def error_text(error: BaseException) -> str:
    """A sentence for ``error``: its message and next step, never an empty string."""
    if isinstance(error, NexusError):
        return f"{error.message} {error.hint}".strip()
    text = str(error).strip()
    if isinstance(error, KeyError) and text.startswith("'"):
        return text.strip("'") or type(error).__name__
    if isinstance(error, ValueError) and text and "null" not in text:
        return text  # the forms' own checks raise ValueError with a full sentence
    # Anything else (a file-system fault, an unexpected error): a sentence and the next step.
    return " ".join(part for part in advice(error) if part)




def clock(seconds: float) -> str:
    """``m:ss.s`` for short media, ``h:mm:ss`` for long ones."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class _IndicatorContrast(QObject):
    """Keeps the check boxes of one widget visible on a dark palette (see ``visible_checkboxes``)."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self._widget = widget
        self._tuning = False
        widget.installEventFilter(self)
        self.apply()

    def apply(self) -> None:
        """Set the widget's outline colour from the application palette in use now."""
        self._tuning = True
        window = QApplication.palette().color(QPalette.ColorRole.Window)
        # A fresh palette overrides nothing; setting one role overrides only that role.
        palette = QPalette()
        if window.lightness() < 128:
            palette.setColor(QPalette.ColorRole.Window, window.lighter(260))
        self._widget.setPalette(palette)
        self._tuning = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        changes = (QEvent.Type.ApplicationPaletteChange, QEvent.Type.PaletteChange)
        if event.type() in changes and not self._tuning:
            self.apply()
        return False


def visible_checkboxes(widget: W) -> W:
    """Make the check boxes of ``widget`` (a list, tree or table) stand out on a dark palette.

    Fusion draws a check box's outline from the window colour darkened; on a
    dark palette that is the colour of the view behind it and the box
    vanishes. Lightening the window role of this widget only brings it back;
    the view's text and background keep the application's colours.
    """
    _IndicatorContrast(widget)
    return widget
