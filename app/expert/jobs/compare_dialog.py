"""Base model and adapter answers to the same prompts, side by side."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from engine.omni.turn import UserContent
from training.jobs.results import Comparison


def thumbnail(image: np.ndarray, size: int = 72) -> QPixmap:
    """An RGB array as a small pixmap."""
    rgb = np.ascontiguousarray(image[..., :3], dtype=np.uint8)
    height, width = rgb.shape[:2]
    picture = QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
    return QPixmap.fromImage(picture).scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.SmoothTransformation)


def _answer_box(text: str) -> QPlainTextEdit:
    box = QPlainTextEdit(text or "(no answer)")
    box.setReadOnly(True)
    box.setMinimumHeight(90)
    return box


class CompareDialog(QDialog):
    """One row per prompt: the prompt (and its picture), the base answer and the adapter's answer."""

    def __init__(self, job_name: str, prompts: list[UserContent], rows: list[Comparison],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Compare — {job_name}")
        self.resize(900, 420)
        grid = QGridLayout()
        for column, title in enumerate(("Prompt", "Base model", f"With {job_name}")):
            heading = QLabel(f"<b>{title}</b>")
            grid.addWidget(heading, 0, column)
        self.base_boxes: list[QPlainTextEdit] = []
        self.adapter_boxes: list[QPlainTextEdit] = []
        for index, row in enumerate(rows, start=1):
            prompt = QWidget()
            prompt_layout = QVBoxLayout(prompt)
            prompt_layout.setContentsMargins(0, 0, 0, 0)
            text = QLabel(row.prompt)
            text.setWordWrap(True)
            prompt_layout.addWidget(text)
            content = prompts[index - 1] if index - 1 < len(prompts) else None
            if content is not None and content.images:
                picture = QLabel()
                picture.setPixmap(thumbnail(content.images[0]))
                prompt_layout.addWidget(picture)
            prompt_layout.addStretch(1)
            prompt.setMaximumWidth(220)
            base, adapter = _answer_box(row.base), _answer_box(row.adapter)
            self.base_boxes.append(base)
            self.adapter_boxes.append(adapter)
            grid.addWidget(prompt, index, 0)
            grid.addWidget(base, index, 1)
            grid.addWidget(adapter, index, 2)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(grid, 1)
        layout.addWidget(buttons)
