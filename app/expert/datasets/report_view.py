"""A validation report: the totals, a table of rows dropped per reason, and examples of the chosen reason."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.expert.datasets.common import ERROR_COLOR, OK_COLOR, muted_label, section_label
from training.datasets import validator as v
from training.datasets.validator import ValidationReport

REASON_TEXT = {
    v.BAD_JSON: "Line is not a JSON object",
    v.SCHEMA: "Does not fit the sample schema",
    v.MEDIA_PATH_UNSAFE: "Media path leaves the dataset",
    v.EMPTY_CONTENT: "A message is empty",
    v.ROLE_ORDER: "Roles out of chat order",
    v.TOO_SHORT: "Text too short",
    v.TOO_LONG: "Text too long",
    v.IDENTICAL_PAIR: "Chosen equals rejected",
    v.MEDIA_TYPE: "Unknown media type tag",
    v.MEDIA_MISSING: "Media file missing",
    v.MEDIA_UNDECODABLE: "Media file does not decode",
    v.PLACEHOLDER_MISMATCH: "Placeholders do not match media",
    v.DUPLICATE: "Exact duplicate",
    v.NEAR_DUPLICATE: "Near duplicate",
}


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class ReportView(QWidget):
    """Shows a ``ValidationReport``; selecting a reason lists its example rows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report: ValidationReport | None = None
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = muted_label()
        self.reasons = _table(["Reason", "Rows", "What it means"])
        header = self.reasons.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.reasons.itemSelectionChanged.connect(self._show_examples)
        self.examples_title = section_label("Examples")
        self.examples = _table(["Where", "Id", "Detail"])
        self.examples.horizontalHeader().resizeSection(0, 160)
        self.examples.horizontalHeader().resizeSection(1, 150)
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(section_label("Dropped rows by reason"))
        upper_layout.addWidget(self.reasons)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.examples_title)
        lower_layout.addWidget(self.examples)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(upper)
        splitter.addWidget(lower)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.summary)
        layout.addWidget(self.details)
        layout.addWidget(splitter, 1)
        self.show_report(None)

    def reason_names(self) -> list[str]:
        """The reasons listed, in table order."""
        return [self.reasons.item(row, 0).text() for row in range(self.reasons.rowCount())]

    def show_report(self, report: ValidationReport | None) -> None:
        """Show ``report`` (None: explain what validation does)."""
        self.report = report
        self.reasons.setRowCount(0)
        self.examples.setRowCount(0)
        if report is None:
            self.summary.setStyleSheet("")
            self.summary.setText("Validate the selected dataset to see which rows would be dropped, and why.")
            self.details.setText("")
            return
        color = OK_COLOR if report.rejected == 0 else ERROR_COLOR
        self.summary.setStyleSheet(f"color: {color}; font-weight: 600;")
        self.summary.setText(report.summary())
        kinds = ", ".join(f"{kind} {count:,}" for kind, count in report.kept_by_kind.items())
        where = f"Clean copy: {report.output}" if report.output else "No clean copy was written."
        self.details.setText(f"Kept by kind: {kinds or 'none'}. {where}")
        ordered = sorted(report.counts_by_reason.items(), key=lambda item: (-item[1], item[0]))
        self.reasons.setRowCount(len(ordered))
        for row, (reason, count) in enumerate(ordered):
            self.reasons.setItem(row, 0, QTableWidgetItem(reason))
            number = QTableWidgetItem(f"{count:,}")
            number.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.reasons.setItem(row, 1, number)
            self.reasons.setItem(row, 2, QTableWidgetItem(REASON_TEXT.get(reason, "")))
        if ordered:
            self.reasons.selectRow(0)
        else:
            self.examples_title.setText("EXAMPLES")

    def _show_examples(self) -> None:
        self.examples.setRowCount(0)
        rows = self.reasons.selectionModel().selectedRows()
        if self.report is None or not rows:
            return
        reason = self.reasons.item(rows[0].row(), 0).text()
        examples = self.report.examples.get(reason, [])
        self.examples_title.setText(f"EXAMPLES OF {reason.upper()} ({len(examples)} shown)")
        self.examples.setRowCount(len(examples))
        for row, example in enumerate(examples):
            for column, key in enumerate(("ref", "id", "detail")):
                item = QTableWidgetItem(str(example.get(key, "")))
                item.setToolTip(str(example.get(key, "")))
                self.examples.setItem(row, column, item)
