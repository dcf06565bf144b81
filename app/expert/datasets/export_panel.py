"""Export the selected dataset for a trainer: LLaMA-Factory, ShareGPT or TRL DPO."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.expert.datasets.bridge import Job, JobContext, JobOutcome, JobRunner
from app.expert.datasets.common import folder_name, muted_label, visible_checkboxes
from app.expert.datasets.library import LibraryEntry
from training.datasets.export import ExportReport, export_llamafactory, export_sharegpt, export_trl_dpo

FORMATS = {
    "llamafactory": "LLaMA-Factory (messages + media, dataset_info.json)",
    "sharegpt": "ShareGPT conversations (SFT samples only)",
    "trl_dpo": "TRL DPO (preference pairs only)",
}


def run_export(fmt: str, src: Path, dst: Path, name: str, alpaca: bool, ctx: JobContext) -> ExportReport:
    """Export ``src`` to ``dst`` in ``fmt`` (worker thread)."""
    if fmt == "llamafactory":
        return export_llamafactory(src, dst, name=name, alpaca_single_turn=alpaca,
                                   progress=ctx.report, cancel=ctx.cancelled)
    if fmt == "sharegpt":
        return export_sharegpt(src, dst, name=name, progress=ctx.report, cancel=ctx.cancelled)
    return export_trl_dpo(src, dst, name=name, progress=ctx.report, cancel=ctx.cancelled)


class ExportPanel(QWidget):
    """Format, file name and destination folder; the result's folder can be opened."""

    finished_text = Signal(str)
    """The export's summary line."""
    problem = Signal(str)
    """A problem to show."""

    def __init__(self, exports_root: Path, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.exports_root = Path(exports_root)
        self.runner = runner
        self.entry: LibraryEntry | None = None
        self.last_folder: Path | None = None
        self.target_label = muted_label()
        self.format_box = QComboBox()
        for key, text in FORMATS.items():
            self.format_box.addItem(text, key)
        self.format_box.currentIndexChanged.connect(self._suggest_folder)
        self.alpaca = visible_checkboxes(QCheckBox("Write single-turn samples in Alpaca form"))
        self.name_edit = QLineEdit("nexus")
        self.folder_edit = QLineEdit()
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._browse)
        self.export_button = QPushButton("Export")
        self.export_button.clicked.connect(self.export)
        self.open_button = QPushButton("Open export folder")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._open)
        self.result_label = muted_label()
        folder = QHBoxLayout()
        folder.setContentsMargins(0, 0, 0, 0)
        folder.addWidget(self.folder_edit, 1)
        folder.addWidget(self.browse_button)
        form = QFormLayout()
        form.addRow("Format", self.format_box)
        form.addRow("", self.alpaca)
        form.addRow("File name", self.name_edit)
        form.addRow("Folder", folder)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.target_label)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.result_label)
        layout.addStretch(1)
        runner.started.connect(lambda _label: self.export_button.setEnabled(False))
        runner.ended.connect(lambda _outcome: self._sync())
        self.set_entry(None)

    def fmt(self) -> str:
        """The chosen format's key."""
        return str(self.format_box.currentData())

    def set_entry(self, entry: LibraryEntry | None) -> None:
        """Export ``entry`` next."""
        self.entry = entry
        self.target_label.setText(f"Exports “{entry.name}”." if entry
                                  else "Select a dataset in the library to export it.")
        self._suggest_folder()
        self._sync()

    def _sync(self) -> None:
        self.export_button.setEnabled(self.entry is not None and self.entry.usable and not self.runner.busy)
        self.alpaca.setEnabled(self.fmt() == "llamafactory")

    def _suggest_folder(self, *_args: object) -> None:
        if self.entry is not None:
            self.folder_edit.setText(str(self.exports_root / folder_name(f"{self.entry.name}-{self.fmt()}")))
        self._sync()

    def _browse(self) -> None:
        start = self.folder_edit.text() or str(Path.home())
        chosen = QFileDialog.getExistingDirectory(self, "Export into", start)
        if chosen:
            self.folder_edit.setText(chosen)

    def export(self) -> None:
        """Start the export."""
        entry = self.entry
        if entry is None or not entry.usable:
            self.problem.emit("Select a finished dataset to export.")
            return
        folder_text = self.folder_edit.text().strip()
        name = self.name_edit.text().strip()
        if not folder_text or not name:
            self.problem.emit("Give the export a folder and a file name.")
            return
        dst = Path(folder_text).expanduser()
        fmt, alpaca, src = self.fmt(), self.alpaca.isChecked(), entry.path
        job = Job(f"Export {entry.name}", lambda ctx: run_export(fmt, src, dst, name, alpaca, ctx),
                  cleanup=None if dst.exists() else dst)
        if not self.runner.start(job, lambda outcome: self._ended(outcome, dst)):
            self.problem.emit(f"Wait until “{self.runner.label}” ends, or cancel it.")

    def _ended(self, outcome: JobOutcome, dst: Path) -> None:
        if not outcome.ok:
            return
        report: ExportReport = outcome.result
        reasons = ", ".join(f"{reason} ({count})" for reason, count in report.reasons.items())
        left_out = f". Left out: {reasons}" if reasons else "."
        self.result_label.setText(f"{report.summary()} in {dst}{left_out}")
        self.last_folder = dst
        self.open_button.setEnabled(True)
        self.finished_text.emit(report.summary())

    def _open(self) -> None:
        if self.last_folder is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.last_folder)))
