"""Review the candidates from Live sessions and podcast episodes before they become a dataset.

Each candidate can be unticked (left out) or have its question and answer
edited; the edits go straight into the ``Review``. The dialog only collects:
saving runs in the page's job runner when the dialog is accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.expert.datasets.common import (
    ERROR_COLOR,
    error_text,
    muted_label,
    section_label,
    visible_checkboxes,
)
from app.expert.datasets.media_preview import MediaPreview, load_files
from app.live.lifetime import while_alive
from app.tasks import run_task
from training.datasets.from_sessions import Candidate, Review

COLUMNS = ("Keep", "From", "You said", "Answer", "Media", "Note")
PREVIEW_CHARS = 90
THUMB_H = 120


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "…"


def _media_text(candidate: Candidate) -> str:
    return ", ".join(kind for kind, path in (("image", candidate.image), ("audio", candidate.audio)) if path)


class ReviewDialog(QDialog):
    """The candidates of ``review`` in a table, an editor for the selected one, and the new dataset's name.

    ``name_problem(name)`` says why a name cannot be used (empty when it can).
    """

    def __init__(self, review: Review, default_name: str, name_problem: Callable[[str], str] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._name_problem = name_problem
        self.setWindowTitle("Review samples from your sessions")
        self.resize(980, 640)
        self.review = review
        self._filling = False
        self._media_token = 0
        self.table = QTableWidget(len(review.candidates), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        visible_checkboxes(self.table)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.ResizeToContents)
        self._fill_table()
        self.table.itemChanged.connect(self._item_changed)
        self.table.itemSelectionChanged.connect(self._selected)
        self.user_edit = QPlainTextEdit()
        self.assistant_edit = QPlainTextEdit()
        self.user_edit.textChanged.connect(lambda: self._text_edited("user"))
        self.assistant_edit.textChanged.connect(lambda: self._text_edited("assistant"))
        self.media_label = QLabel()
        self.media_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.media_info = muted_label()
        editor = QWidget()
        editor_layout = QHBoxLayout(editor)
        editor_layout.setContentsMargins(0, 0, 0, 0)
        texts = QVBoxLayout()
        texts.addWidget(section_label("You said"))
        texts.addWidget(self.user_edit, 1)
        texts.addWidget(section_label("Answer"))
        texts.addWidget(self.assistant_edit, 2)
        media = QVBoxLayout()
        media.addWidget(section_label("Media"))
        media.addWidget(self.media_label)
        media.addWidget(self.media_info)
        media.addStretch(1)
        editor_layout.addLayout(texts, 3)
        editor_layout.addLayout(media, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(editor)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([300, 280])
        self.name_edit = QLineEdit(default_name)
        self.kept_label = muted_label()
        self.problem_label = QLabel()
        self.problem_label.setStyleSheet(f"color: {ERROR_COLOR};")
        self.problem_label.hide()
        form = QFormLayout()
        form.addRow("New dataset", self.name_edit)
        buttons = QDialogButtonBox.StandardButton
        self.buttons = QDialogButtonBox(buttons.Save | buttons.Cancel)
        self.buttons.button(buttons.Save).setText("Save dataset")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addLayout(form, 1)
        bottom.addWidget(self.kept_label)
        bottom.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(muted_label("Untick what should not be learned, and fix wording where the answer "
                                     "was wrong or cut off. Interrupted answers start unticked."))
        layout.addWidget(splitter, 1)
        layout.addWidget(self.problem_label)
        layout.addLayout(bottom)
        self._count_kept()
        self._set_editor(None)
        if review.candidates:
            self.table.selectRow(0)

    # public ----------------------------------------------------------------------------
    def name(self) -> str:
        """The name typed for the new dataset."""
        return self.name_edit.text().strip()

    def set_kept(self, row: int, keep: bool) -> None:
        """Tick or untick the candidate in ``row``."""
        self.table.item(row, 0).setCheckState(Qt.CheckState.Checked if keep else Qt.CheckState.Unchecked)

    def kept(self) -> list[Candidate]:
        """The candidates that will be saved."""
        return [c for c in self.review.candidates if c.keep]

    def accept(self) -> None:
        """Close with Save when a name is given and something is kept."""
        if not self.name():
            self._problem("Give the new dataset a name.")
            return
        if self._name_problem is not None and (problem := self._name_problem(self.name())):
            self._problem(problem)
            return
        if not self.kept():
            self._problem("Every candidate is unticked: tick at least one to save a dataset.")
            return
        super().accept()

    # internals -------------------------------------------------------------------------
    def _problem(self, text: str) -> None:
        self.problem_label.setText(text)
        self.problem_label.show()

    def _fill_table(self) -> None:
        self._filling = True
        for row, candidate in enumerate(self.review.candidates):
            keep = QTableWidgetItem()
            flags = Qt.ItemFlag
            keep.setFlags(flags.ItemIsUserCheckable | flags.ItemIsEnabled | flags.ItemIsSelectable)
            keep.setCheckState(Qt.CheckState.Checked if candidate.keep else Qt.CheckState.Unchecked)
            self.table.setItem(row, 0, keep)
            cells = ((1, candidate.origin), (2, _short(candidate.user)), (3, _short(candidate.assistant)),
                     (4, _media_text(candidate)), (5, candidate.note))
            for column, text in cells:
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        self._filling = False

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != 0:
            return
        candidate = self.review.candidates[item.row()]
        self.review.edit(candidate.id, keep=item.checkState() == Qt.CheckState.Checked)
        self._count_kept()

    def _count_kept(self) -> None:
        self.kept_label.setText(f"{len(self.kept())} of {len(self.review.candidates)} kept")
        self.problem_label.hide()

    def _current(self) -> Candidate | None:
        rows = self.table.selectionModel().selectedRows()
        return self.review.candidates[rows[0].row()] if rows else None

    def _selected(self) -> None:
        self._set_editor(self._current())

    def _set_editor(self, candidate: Candidate | None) -> None:
        self._filling = True
        self.user_edit.setPlainText(candidate.user if candidate else "")
        self.assistant_edit.setPlainText(candidate.assistant if candidate else "")
        self._filling = False
        for edit in (self.user_edit, self.assistant_edit):
            edit.setEnabled(candidate is not None)
        self.media_label.clear()
        self.media_info.setText("" if candidate and candidate.media() else "No media.")
        if candidate is not None and candidate.media():
            self._load_media(candidate)

    def _text_edited(self, field: str) -> None:
        candidate = self._current()
        if self._filling or candidate is None:
            return
        row = self.review.candidates.index(candidate)
        if field == "user":
            self.review.edit(candidate.id, user=self.user_edit.toPlainText())
            self.table.item(row, 2).setText(_short(candidate.user))
        else:
            self.review.edit(candidate.id, assistant=self.assistant_edit.toPlainText())
            self.table.item(row, 3).setText(_short(candidate.assistant))

    def _load_media(self, candidate: Candidate) -> None:
        self._media_token += 1
        token = self._media_token
        pairs = (("image", candidate.image), ("audio", candidate.audio))
        files = [(kind, Path(path)) for kind, path in pairs if path]
        self.media_info.setText("Loading…")

        def loaded(previews: list[MediaPreview] | None, error: BaseException | None) -> None:
            if token != self._media_token:
                return
            if error is not None:
                self.media_info.setText(f"Media could not be read: {error_text(error)}")
                return
            lines = []
            for preview in previews or []:
                if preview.error:
                    lines.append(f"{preview.kind}: {preview.error}")
                elif preview.image is not None:
                    self.media_label.setPixmap(QPixmap.fromImage(preview.image).scaledToHeight(
                        min(THUMB_H, preview.image.height()), Qt.TransformationMode.SmoothTransformation))
                    lines.append(f"image {preview.width}×{preview.height}")
                elif preview.duration_s is not None:
                    lines.append(f"audio {preview.duration_s:.1f} s")
            self.media_info.setText("\n".join(lines))

        run_task(lambda: load_files(files), while_alive(self, loaded))
