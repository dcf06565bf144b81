"""The queue's jobs as a table, with Cancel, Resume, Delete folder and Open folder.

Rows are keyed by job folder. A change to one job updates its row in place;
only a new or vanished job rebuilds the table, keeping the selection.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.expert.jobs.job_files import JobRow, when

COLUMNS = ("Name", "Method", "Status", "Step", "Last loss", "Started")
METHOD_TEXT = {"lora_sft": "LoRA SFT", "dpo": "DPO"}
STATUS_COLORS = {
    "queued": QColor(148, 163, 184),
    "running": QColor(77, 144, 254),
    "cancelling": QColor(245, 159, 0),
    "cancelled": QColor(245, 159, 0),
    "failed": QColor(229, 72, 77),
    "completed": QColor(46, 184, 114),
}
ACTIVE = ("queued", "running")
FINISHED = ("cancelled", "failed", "completed")


def row_texts(row: JobRow) -> tuple[str, ...]:
    """The cells of one job's row."""
    state = row.state
    if state.max_steps:
        step = f"{state.step} / {state.max_steps}"
    else:
        step = str(state.step) if state.step else "—"
    loss = f"{row.loss:.4f}" if row.loss is not None else "—"
    return (row.name, METHOD_TEXT.get(row.method, row.method), state.status, step, loss, when(state.started))


class JobList(QWidget):
    """A table of jobs and the buttons that act on the selected one."""

    selection_changed = Signal(object)
    """The selected job's ``Path``, or ``None``."""
    cancel_requested = Signal(object)
    resume_requested = Signal(object)
    delete_requested = Signal(object)
    open_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: dict[Path, JobRow] = {}
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.cancel_button = QPushButton("Cancel")
        self.resume_button = QPushButton("Resume")
        self.delete_button = QPushButton("Delete folder…")
        self.open_button = QPushButton("Open folder")
        for button, signal in (
            (self.cancel_button, self.cancel_requested),
            (self.resume_button, self.resume_requested),
            (self.delete_button, self.delete_requested),
            (self.open_button, self.open_requested),
        ):
            button.clicked.connect(lambda _checked=False, s=signal: self._act(s))
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.resume_button)
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    # rows -----------------------------------------------------------------------------
    def set_rows(self, rows: list[JobRow]) -> None:
        """Show ``rows`` (newest first), keeping the selected job selected."""
        selected = self.selected()
        self.table.blockSignals(True)
        self.table.setRowCount(len(rows))
        self._rows = {}
        for index, row in enumerate(rows):
            self._fill(index, row)
        self.table.blockSignals(False)
        if selected in self._rows:
            self.select(selected)
        elif selected is not None:
            self.table.clearSelection()
            self._selection_changed()
        self._update_buttons()

    def update_row(self, row: JobRow) -> bool:
        """Refresh one job's row; False when the job is not in the table."""
        index = self._index(row.path)
        if index is None:
            return False
        self._fill(index, row)
        if row.path == self.selected():
            self._update_buttons()
        return True

    def row(self, path: Path) -> JobRow | None:
        """The row shown for ``path``."""
        return self._rows.get(Path(path))

    def paths(self) -> list[Path]:
        """The jobs shown, top to bottom."""
        return [self.table.item(i, 0).data(Qt.ItemDataRole.UserRole) for i in range(self.table.rowCount())]

    def select(self, path: Path) -> None:
        """Select the job in ``path`` (if it is shown)."""
        index = self._index(Path(path))
        if index is not None:
            self.table.selectRow(index)

    def selected(self) -> Path | None:
        """The selected job's folder."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _index(self, path: Path) -> int | None:
        for index in range(self.table.rowCount()):
            item = self.table.item(index, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == path:
                return index
        return None

    def _fill(self, index: int, row: JobRow) -> None:
        self._rows[row.path] = row
        for column, text in enumerate(row_texts(row)):
            item = self.table.item(index, column)
            if item is None:
                item = QTableWidgetItem()
                self.table.setItem(index, column, item)
            item.setText(text)
            if column == 0:
                item.setData(Qt.ItemDataRole.UserRole, row.path)
                item.setToolTip(str(row.path))
            elif column == 2:
                item.setForeground(STATUS_COLORS.get(row.state.status, QColor(148, 163, 184)))
                item.setToolTip(row.state.message)
            if column >= 3:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    # actions ----------------------------------------------------------------------------
    def _selection_changed(self) -> None:
        self._update_buttons()
        self.selection_changed.emit(self.selected())

    def _update_buttons(self) -> None:
        path = self.selected()
        row = self._rows.get(path) if path is not None else None
        status = row.state.status if row is not None else None
        self.cancel_button.setEnabled(status in ACTIVE)
        self.resume_button.setEnabled(status in ("cancelled", "failed"))
        self.delete_button.setEnabled(status in FINISHED)
        in_use = status is not None and status not in FINISHED
        self.delete_button.setToolTip("Cancel the job first; a queued or running job's folder is in use."
                                      if in_use else "")
        self.open_button.setEnabled(row is not None)

    def _act(self, signal: SignalInstance) -> None:
        path = self.selected()
        if path is not None:
            signal.emit(path)
