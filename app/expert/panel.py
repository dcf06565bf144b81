"""The Expert tab: the dataset workbench and the fine-tune job board, as two pages."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from app.engine_host import EngineHost
from app.expert.datasets.page import DatasetsPage
from app.expert.jobs.page import JobsPage
from engine.config import Settings


class ExpertPanel(QWidget):
    """Datasets (build, preview, validate, mix, export) and Fine-tune (jobs, progress, results)."""

    def __init__(self, settings: Settings, host: EngineHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pages = QTabWidget()
        self.datasets_page = DatasetsPage(settings)
        self.jobs_page = JobsPage(settings, host)
        self.pages.addTab(self.datasets_page, "Datasets")
        self.pages.addTab(self.jobs_page, "Fine-tune")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.pages)
        self.settings = settings

    def set_settings(self, settings: Settings) -> None:
        """Adopt new settings: a new local model folder becomes the fine-tune form's base model."""
        old = self.settings.model.local_path
        self.settings = settings
        self.jobs_page.settings = settings
        self.jobs_page.form.replace_default_model(old, settings.model.local_path)
