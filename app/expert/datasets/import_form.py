"""Build source: local files (JSON, JSONL, CSV, Parquet) and LLaMA-Factory folders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.expert.datasets.bridge import Job, JobContext
from app.expert.datasets.common import muted_label
from app.expert.datasets.source_form import stamped
from training.datasets.normalize import ImportReport, import_files

FILE_FILTER = "Data files (*.json *.jsonl *.csv *.parquet);;All files (*)"


def run_import(paths: list[Path], dst: Path, domain: str, category: str, source: str | None,
               ctx: JobContext) -> ImportReport:
    """Import ``paths`` into ``dst``; an import that keeps no row is an error (with the reasons)."""
    report = import_files(paths, dst, domain=domain, category=category, source=source,
                          progress=ctx.report, cancel=ctx.cancelled)
    if not report.cancelled and report.imported == 0:
        reasons = "; ".join(f"{reason} ({count})" for reason, count in list(report.reasons.items())[:3])
        unreadable = "; ".join(f"{Path(f.path).name}: {f.error}" for f in report.files if f.error)
        why = reasons or unreadable
        raise ValueError("No row could be imported" + (f": {why}" if why else "."))
    return report


class ImportForm(QWidget):
    """Files and folders to import, with the domain, category and source tags for their rows."""

    title = "Import files"
    resumable = False

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.files = QListWidget()
        self.add_files_button = QPushButton("Add files…")
        self.add_folder_button = QPushButton("Add LLaMA-Factory folder…")
        self.remove_button = QPushButton("Remove")
        self.add_files_button.clicked.connect(self._pick_files)
        self.add_folder_button.clicked.connect(self._pick_folder)
        self.remove_button.clicked.connect(self._remove)
        self.domain = QLineEdit("imported")
        self.category = QLineEdit("general")
        self.source = QLineEdit()
        self.source.setPlaceholderText("the file name")
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.add_files_button)
        buttons.addWidget(self.add_folder_button)
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)
        form = QFormLayout()
        form.addRow("Domain", self.domain)
        form.addRow("Category", self.category)
        form.addRow("Source", self.source)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.files, 1)
        layout.addLayout(buttons)
        layout.addLayout(form)
        layout.addWidget(muted_label("Formats are detected per row (OpenAI messages, Alpaca, ShareGPT, "
                                     "prompt/completion, preference pairs, …). Bad rows are skipped and "
                                     "counted."))

    def paths(self) -> list[Path]:
        """The files and folders listed."""
        return [Path(self.files.item(i).text()) for i in range(self.files.count())]

    def add_paths(self, paths: list[Path | str]) -> None:
        """List ``paths`` (duplicates are ignored)."""
        have = {str(p) for p in self.paths()}
        for path in paths:
            if str(path) not in have:
                self.files.addItem(str(path))
                have.add(str(path))

    def _pick_files(self) -> None:
        chosen, _ = QFileDialog.getOpenFileNames(self, "Files to import", str(Path.home()), FILE_FILTER)
        self.add_paths(chosen)

    def _pick_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "LLaMA-Factory folder (with dataset_info.json)",
                                                  str(Path.home()))
        if chosen:
            self.add_paths([chosen])

    def _remove(self) -> None:
        for item in self.files.selectedItems():
            self.files.takeItem(self.files.row(item))

    def default_name(self) -> str:
        """``import-<time>``."""
        return stamped("import")

    def job(self, dst: Path) -> Job:
        """Import the listed files into ``dst``."""
        paths = self.paths()
        if not paths:
            raise ValueError("Add the files or folders to import.")
        domain, category = self.domain.text().strip(), self.category.text().strip()
        if not domain or not category:
            raise ValueError("Give the imported rows a domain and a category.")
        source = self.source.text().strip() or None
        return Job("Import", lambda ctx: run_import(paths, dst, domain, category, source, ctx), cleanup=dst)

    def summary(self, result: Any) -> str:
        """The report's line and the commonest skip reasons."""
        report: ImportReport = result
        reasons = ", ".join(f"{reason} ({count})" for reason, count in list(report.reasons.items())[:2])
        return report.summary() + (f" — skipped: {reasons}" if reasons else "")
