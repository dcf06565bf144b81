"""Validate the selected dataset: every row checked, the good ones optionally copied, a report by reason."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.expert.datasets.bridge import Job, JobContext, JobOutcome, JobRunner
from app.expert.datasets.common import muted_label, new_dataset_folder, visible_checkboxes
from app.expert.datasets.library import LibraryEntry
from app.expert.datasets.report_view import ReportView
from training.datasets.validator import ValidationReport, validate_folder


class ValidatePanel(QWidget):
    """Runs the validator on the selected dataset and shows its report."""

    wrote = Signal(object)
    """The folder of a clean copy that was written."""
    finished_text = Signal(str)
    """The report's summary line."""
    problem = Signal(str)
    """A problem to show."""

    def __init__(self, root: Path, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.root = Path(root)
        self.runner = runner
        self.entry: LibraryEntry | None = None
        self.target_label = muted_label()
        self.write_clean = QCheckBox("Write the good rows to a new dataset")
        self.write_clean.setChecked(True)
        visible_checkboxes(self.write_clean)
        self.clean_name = QLineEdit()
        self.write_clean.toggled.connect(self.clean_name.setEnabled)
        self.validate_button = QPushButton("Validate")
        self.validate_button.clicked.connect(self.validate)
        self.report_view = ReportView()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.write_clean)
        row.addWidget(self.clean_name, 1)
        row.addWidget(self.validate_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.target_label)
        layout.addLayout(row)
        layout.addWidget(self.report_view, 1)
        runner.started.connect(lambda _label: self.validate_button.setEnabled(False))
        runner.ended.connect(lambda _outcome: self._sync())
        self.set_entry(None)

    def set_entry(self, entry: LibraryEntry | None) -> None:
        """Validate ``entry`` next (the last report stays until then)."""
        self.entry = entry
        if entry is None:
            self.target_label.setText("Select a dataset in the library to validate it.")
        else:
            self.target_label.setText(f"Checks every row of “{entry.name}”: JSON, schema, roles, "
                                      "lengths, media files, media tags, exact and near duplicates.")
            self.clean_name.setText(f"{entry.path.name}-clean")
        self._sync()

    def _sync(self) -> None:
        self.validate_button.setEnabled(self.entry is not None and self.entry.usable and not self.runner.busy)

    def validate(self) -> None:
        """Start the validator on the selected dataset."""
        entry = self.entry
        if entry is None or not entry.usable:
            self.problem.emit("Select a finished dataset to validate.")
            return
        dst: Path | None = None
        if self.write_clean.isChecked():
            try:
                dst = new_dataset_folder(self.root, self.clean_name.text())
            except ValueError as exc:
                self.problem.emit(str(exc))
                return
        src = entry.path

        def work(ctx: JobContext) -> ValidationReport:
            return validate_folder(src, dst, progress=ctx.report, cancel=ctx.cancelled)

        job = Job(f"Validate {entry.name}", work, cleanup=dst)
        if not self.runner.start(job, lambda outcome: self._ended(outcome, dst)):
            self.problem.emit(f"Wait until “{self.runner.label}” ends, or cancel it.")

    def _ended(self, outcome: JobOutcome, dst: Path | None) -> None:
        if not outcome.ok:
            return
        report: ValidationReport = outcome.result
        self.report_view.show_report(report)
        self.finished_text.emit(report.summary())
        if dst is not None:
            self.wrote.emit(dst)
