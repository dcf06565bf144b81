"""The preview of the selected dataset: filters, a lazily filled table, and the selected row.

Rows come from a ``PreviewCursor`` in a worker, a batch at a time: the first
batch when a dataset or a filter is chosen, the next ones when the view
scrolls to the end (Qt's ``canFetchMore``/``fetchMore``). A token drops the
batches of a dataset or filter that is no longer shown, and tells their
worker to stop reading.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.expert.datasets.common import ERROR_COLOR, KIND_COLORS, error_text, muted_label
from app.expert.datasets.preview_loader import (
    MODALITIES,
    PreviewBatch,
    PreviewCursor,
    PreviewFilter,
    PreviewRow,
)
from app.live.lifetime import while_alive
from app.tasks import run_task
from training.datasets.store import DatasetCard

FIRST_BATCH = 2000
MORE_BATCH = 2000
HEADERS = ("#", "Id", "Kind", "Domain", "Category", "User message / prompt")
ALL = "All"

_Index = QModelIndex | QPersistentModelIndex


class PreviewModel(QAbstractTableModel):
    """The rows read so far; asks its owner for more when the view reaches the end."""

    def __init__(self, fetch: Any, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[PreviewRow] = []
        self.more = False
        self.loading = False
        self._fetch = fetch

    def reset(self, rows: list[PreviewRow] | None = None, more: bool = False) -> None:
        """Replace every row."""
        self.beginResetModel()
        self.rows = list(rows or [])
        self.more = more
        self.endResetModel()

    def append(self, rows: list[PreviewRow], more: bool) -> None:
        """Add a batch at the end."""
        self.more = more
        if rows:
            start = len(self.rows)
            self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
            self.rows.extend(rows)
            self.endInsertRows()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (f"{row.number:,}", row.id, row.kind_text, row.domain, row.category,
                    row.broken and f"{row.broken}: {row.summary}" or row.summary)[column]
        if role == Qt.ItemDataRole.ForegroundRole and column == 2:
            kind = "broken" if row.broken else (row.media_kinds[0] if row.media_kinds else row.kind)
            return QColor(KIND_COLORS.get(kind, ERROR_COLOR))
        if role == Qt.ItemDataRole.ToolTipRole and column == 5:
            return row.summary
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def canFetchMore(self, parent: _Index) -> bool:
        return not parent.isValid() and self.more and not self.loading

    def fetchMore(self, parent: _Index) -> None:
        if self.canFetchMore(parent):
            self._fetch()


class PreviewTable(QWidget):
    """Filters (domain, category, modality) over a table of the dataset's rows."""

    row_selected = Signal(object)
    """The selected ``PreviewRow``, or None."""
    batch_loaded = Signal()
    """A batch of rows arrived (or the dataset was cleared)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.root: Path | None = None
        self.card: DatasetCard | None = None
        self._cursor: PreviewCursor | None = None
        self._token = 0
        self.domain_box = QComboBox()
        self.category_box = QComboBox()
        self.modality_box = QComboBox()
        self.modality_box.addItems([ALL, *MODALITIES])
        for box in (self.domain_box, self.category_box):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(9)
        for box in (self.domain_box, self.category_box, self.modality_box):
            box.currentIndexChanged.connect(self._filters_changed)
        self.status_label = muted_label()
        self.model = PreviewModel(self._load_more, self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.view.horizontalHeader()
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        for column, width in enumerate((54, 150, 96, 110, 130)):
            header.resizeSection(column, width)
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        filters = QHBoxLayout()
        filters.setContentsMargins(0, 0, 0, 0)
        for text, box in (("Domain", self.domain_box), ("Category", self.category_box),
                          ("Modality", self.modality_box)):
            filters.addWidget(QLabel(text))
            filters.addWidget(box, 1 if box is not self.modality_box else 0)
            filters.addSpacing(6)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(filters)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.status_label)
        self._fill_filter_boxes()
        self.status_label.setText("Select a dataset in the library to see its rows.")

    # public ---------------------------------------------------------------------------
    @property
    def loading(self) -> bool:
        """Whether a batch is being read."""
        return self.model.loading

    def show_dataset(self, root: Path | None, card: DatasetCard | None) -> None:
        """Preview the dataset at ``root`` (None clears the table); filters go back to All."""
        self.root = Path(root) if root is not None else None
        self.card = card
        self._fill_filter_boxes()
        self._restart()

    def set_filters(self, domain: str | None = None, category: str | None = None,
                    modality: str | None = None) -> None:
        """Choose the filters (None = All) and reload."""
        choices = ((self.domain_box, domain), (self.category_box, category), (self.modality_box, modality))
        for box, value in choices:
            box.blockSignals(True)
            box.setCurrentIndex(max(0, box.findText(value)) if value else 0)
            box.blockSignals(False)
        self._restart()

    def filters(self) -> PreviewFilter:
        """The filters chosen in the boxes."""

        def value(box: QComboBox) -> str | None:
            return None if box.currentIndex() <= 0 else box.currentText()

        return PreviewFilter(value(self.domain_box), value(self.category_box), value(self.modality_box))

    def select_row(self, index: int) -> None:
        """Select the ``index``-th row shown."""
        self.view.selectRow(index)

    def current(self) -> PreviewRow | None:
        """The selected row."""
        return self._row_at(self.view.currentIndex())

    def _row_at(self, index: QModelIndex) -> PreviewRow | None:
        if index.isValid() and index.row() < len(self.model.rows):
            return self.model.rows[index.row()]
        return None

    # loading ----------------------------------------------------------------------------
    def _fill_filter_boxes(self) -> None:
        card = self.card
        for box, counts in ((self.domain_box, card.counts_by_domain if card else {}),
                            (self.category_box, card.counts_by_category if card else {})):
            box.blockSignals(True)
            box.clear()
            box.addItem(ALL)
            for name in sorted(counts):
                box.addItem(name)
            box.blockSignals(False)
        self.modality_box.blockSignals(True)
        self.modality_box.setCurrentIndex(0)
        self.modality_box.blockSignals(False)
        for box in (self.domain_box, self.category_box, self.modality_box):
            box.setEnabled(card is not None)

    def _filters_changed(self) -> None:
        self._restart()

    def _restart(self) -> None:
        self._token += 1
        self.model.loading = False
        self.model.reset()
        self.status_label.setStyleSheet("")
        self.row_selected.emit(None)
        if self.root is None:
            self._cursor = None
            self.status_label.setText("Select a dataset in the library to see its rows.")
            self.batch_loaded.emit()
            return
        self._cursor = PreviewCursor(self.root, self.filters())
        self._read(FIRST_BATCH)

    def _load_more(self) -> None:
        if self._cursor is not None and not self._cursor.exhausted and not self.model.loading:
            self._read(MORE_BATCH)

    def _read(self, count: int) -> None:
        cursor = self._cursor
        assert cursor is not None
        token = self._token
        self.model.loading = True
        self.status_label.setText("Reading rows…")

        def stale() -> bool:
            return token != self._token

        def arrived(batch: PreviewBatch | None, error: BaseException | None) -> None:
            if stale():
                return
            self.model.loading = False
            if error is not None or batch is None:
                self.model.more = False
                reason = error_text(error) if error is not None else "no rows came back"
                self.status_label.setText(f"The rows could not be read: {reason}")
                self.status_label.setStyleSheet(f"color: {ERROR_COLOR};")
                self.batch_loaded.emit()
                return
            self.status_label.setStyleSheet("")
            self.model.append(batch.rows, more=not batch.exhausted)
            self._describe(batch)
            self.batch_loaded.emit()

        run_task(lambda: cursor.next_batch(count, stale), while_alive(self, arrived))

    def _describe(self, batch: PreviewBatch) -> None:
        shown = len(self.model.rows)
        # A finished read knows the true count (a card can lag behind hand-edited shards).
        total = self.card.total if self.card and not batch.exhausted else batch.scanned
        filtered = self.filters() != PreviewFilter()
        if filtered:
            text = f"{shown:,} matching rows" + (f" of {batch.scanned:,} read" if batch.scanned else "")
        else:
            text = f"{shown:,} of {total:,} rows"
        if not batch.exhausted:
            text += " — scroll down to read more"
        self.status_label.setText(text)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.row_selected.emit(self._row_at(current))
