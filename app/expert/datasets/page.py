"""The Datasets page of the Expert tab.

The library sits on the left; on the right, tabs preview the selected
dataset (filters, rows, one row's messages and media), chart its counts,
build new datasets, validate, mix and export. One job runs at a time, in a
worker, followed by the strip at the foot of the page (progress and Cancel);
a failed job or a form problem shows in the banner above everything.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QScrollArea, QSplitter, QTabWidget, QVBoxLayout, QWidget

from app.expert.datasets.bridge import JobOutcome, JobRunner
from app.expert.datasets.build_panel import BuildPanel
from app.expert.datasets.common import datasets_dir, error_text, exports_dir, section_label
from app.expert.datasets.export_panel import ExportPanel
from app.expert.datasets.job_strip import JobStrip
from app.expert.datasets.library import LibraryEntry, LibraryView
from app.expert.datasets.mix_panel import MixPanel
from app.expert.datasets.preview_loader import PreviewRow
from app.expert.datasets.preview_table import PreviewTable
from app.expert.datasets.sample_view import SampleView
from app.expert.datasets.stats_chart import StatsView
from app.expert.datasets.validate_panel import ValidatePanel
from app.live.indicators import Banner
from engine.config import Settings

LIBRARY_WIDTH = 300


class DatasetsPage(QWidget):
    """Library, preview, statistics, build, validate, mix and export of the datasets under the data dir."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.root: Path = datasets_dir(settings)
        self.entry: LibraryEntry | None = None
        self.runner = JobRunner(self)
        self.banner = Banner()
        self.library = LibraryView(self.root)
        self.preview = PreviewTable()
        self.sample_view = SampleView(settings.audio.output_device)
        self.stats = StatsView()
        self.build_panel = BuildPanel(settings, self.root, self.runner)
        self.validate_panel = ValidatePanel(self.root, self.runner)
        self.mix_panel = MixPanel(self.root, self.runner)
        self.export_panel = ExportPanel(exports_dir(settings), self.runner)
        self.strip = JobStrip(self.runner)
        self._layout()
        self._connect()
        self.library.refresh()

    def _layout(self) -> None:
        left = QWidget()
        left.setMinimumWidth(260)
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        column.addWidget(section_label("Library"))
        column.addWidget(self.library, 1)
        preview = QSplitter(Qt.Orientation.Vertical)
        preview.addWidget(self.preview)
        preview.addWidget(self.sample_view)
        preview.setChildrenCollapsible(False)
        preview.setSizes([330, 400])
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for widget, title in ((preview, "Preview"), (self.stats, "Statistics"), (self.build_panel, "Build"),
                              (self.validate_panel, "Validate"), (self.mix_panel, "Mix"),
                              (self.export_panel, "Export")):
            self.tabs.addTab(self._padded(widget), title)
        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(left)
        body.addWidget(self.tabs)
        body.setChildrenCollapsible(False)
        body.setStretchFactor(1, 1)
        body.setSizes([LIBRARY_WIDTH, 900])
        self.body = body
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(8)
        layout.addWidget(self.banner)
        layout.addWidget(body, 1)
        layout.addWidget(self.strip)

    @staticmethod
    def _padded(widget: QWidget) -> QWidget:
        holder = QWidget()
        layout = QHBoxLayout(holder)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.addWidget(widget)
        # A scroll area keeps a wide form (Build) from setting the whole window's minimum width.
        area = QScrollArea()
        area.setWidget(holder)
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        return area

    def _connect(self) -> None:
        self.library.selection_changed.connect(self._dataset_selected)
        self.library.entries_changed.connect(self.mix_panel.set_entries)
        self.library.problem.connect(self.show_problem)
        self.preview.row_selected.connect(self._row_selected)
        self.runner.started.connect(self._job_started)
        self.runner.ended.connect(self._job_ended)
        for panel in (self.build_panel, self.validate_panel, self.mix_panel, self.export_panel):
            panel.problem.connect(self.show_problem)
            panel.finished_text.connect(self.strip.show_result)
        self.build_panel.built.connect(self._dataset_made)
        self.validate_panel.wrote.connect(lambda _path: self.library.refresh())
        self.mix_panel.wrote.connect(self._dataset_made)

    # reactions --------------------------------------------------------------------------
    def show_problem(self, message: str, hint: str = "") -> None:
        """Show ``message`` in the banner."""
        self.banner.show_problem(message, hint)

    def _job_started(self, _label: str) -> None:
        # A new job makes the last failure old news; deleting waits until the job no longer reads.
        self.banner.dismiss()
        self.library.delete_button.setEnabled(False)

    def _dataset_selected(self, entry: LibraryEntry | None) -> None:
        self.library.delete_button.setEnabled(entry is not None and not self.runner.busy)
        if entry == self.entry:
            return
        self.entry = entry
        usable = entry if entry is not None and entry.usable else None
        self.preview.show_dataset(usable.path if usable else None, usable.card if usable else None)
        self.stats.show_card(usable.card if usable else None)
        self.validate_panel.set_entry(entry)
        self.export_panel.set_entry(entry)
        if entry is not None and not entry.usable:
            self.preview.status_label.setText(
                f"“{entry.name}” is not a finished dataset: {entry.problem}.")

    def _row_selected(self, row: PreviewRow | None) -> None:
        self.sample_view.show_row(self.preview.root, row)

    def _dataset_made(self, path: Path) -> None:
        self.library.refresh(select=path)

    def _job_ended(self, outcome: JobOutcome) -> None:
        self.library.delete_button.setEnabled(self.library.current() is not None)
        if outcome.error is not None:
            self.show_problem(f"{outcome.job.label} failed: {error_text(outcome.error)}")
        elif outcome.cancelled:
            self.library.refresh()
