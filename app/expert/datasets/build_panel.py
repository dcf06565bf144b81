"""The Build area: pick a source, fill its form, name the dataset and build it off the Qt thread.

Building from sessions takes two jobs with the review dialog between them:
collect the candidates, let the user edit and untick them, save the kept ones.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.expert.datasets.bridge import JobOutcome, JobRunner
from app.expert.datasets.common import episodes_dir, folder_name, new_dataset_folder, recipes_dir
from app.expert.datasets.hub_form import HubForm
from app.expert.datasets.import_form import ImportForm
from app.expert.datasets.preference_form import PreferenceForm
from app.expert.datasets.review_dialog import ReviewDialog
from app.expert.datasets.sessions_form import SessionsForm
from app.expert.datasets.source_form import SourceForm
from app.expert.datasets.synthetic_form import SyntheticForm
from engine.config import Settings
from training.datasets.from_sessions import Review
from training.datasets.hub import STATE_NAME

SOURCE_LIST_WIDTH = 150


class BuildPanel(QWidget):
    """Sources on the left, the chosen source's form on the right, name and Build below."""

    built = Signal(object)
    """The folder a build wrote (or left to resume), for the library to show."""
    finished_text = Signal(str)
    """A line about what a build made."""
    problem = Signal(str)
    """A form problem to show."""

    def __init__(self, settings: Settings, root: Path, runner: JobRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.root = Path(root)
        self.runner = runner
        self.review_dialog: ReviewDialog | None = None
        data_dir = settings.folders.resolved_data_dir()
        self.synthetic = SyntheticForm()
        self.preference = PreferenceForm()
        self.hub = HubForm(recipes_dir(settings))
        self.importer = ImportForm()
        self.sessions = SessionsForm(data_dir, episodes_dir(settings))
        self.forms: list[SourceForm] = [self.synthetic, self.preference, self.hub, self.importer,
                                        self.sessions]
        self.sources = QListWidget()
        self.sources.setFixedWidth(SOURCE_LIST_WIDTH)
        self.stack = QStackedWidget()
        for form in self.forms:
            self.sources.addItem(form.title)
            self.stack.addWidget(form)  # type: ignore[arg-type]
        self.sources.currentRowChanged.connect(self._source_changed)
        self.name_edit = QLineEdit()
        self.name_edit.textEdited.connect(self._name_typed)
        self._name_auto = True
        self.build_button = QPushButton("Build")
        self.build_button.setDefault(True)
        self.build_button.clicked.connect(self.build)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.addWidget(QLabel("New dataset"))
        bottom.addWidget(self.name_edit, 1)
        bottom.addWidget(self.build_button)
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(self.stack, 1)
        right.addLayout(bottom)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        layout.addWidget(self.sources)
        layout.addLayout(right, 1)
        runner.started.connect(lambda _label: self.build_button.setEnabled(False))
        runner.ended.connect(lambda _outcome: self.build_button.setEnabled(True))
        self.sources.setCurrentRow(0)

    def current_form(self) -> SourceForm:
        """The form of the chosen source."""
        return self.forms[max(0, self.sources.currentRow())]

    def choose(self, form: SourceForm) -> None:
        """Show ``form``."""
        self.sources.setCurrentRow(self.forms.index(form))

    def _source_changed(self, row: int) -> None:
        self.stack.setCurrentIndex(row)
        self.build_button.setText("Review…" if self.forms[row] is self.sessions else "Build")
        if self._name_auto:
            self.name_edit.setText(self.forms[row].default_name())

    def _name_typed(self, text: str) -> None:
        self._name_auto = not text.strip()

    def _destination(self, form: SourceForm) -> Path:
        name = self.name_edit.text()
        if form.resumable and name.strip():
            existing = self.root / folder_name(name)
            if (existing / STATE_NAME).is_file():
                return existing
        return new_dataset_folder(self.root, name)

    def build(self) -> None:
        """Start the chosen source's job (its problems are shown, nothing starts)."""
        if self.runner.busy:
            self.problem.emit(f"Wait until “{self.runner.label}” ends, or cancel it.")
            return
        form = self.current_form()
        try:
            dst = self._destination(form)
            job = form.job(dst)
        except ValueError as exc:
            self.problem.emit(str(exc))
            return
        self.runner.start(job, lambda outcome: self._ended(form, dst, outcome))

    def _ended(self, form: SourceForm, dst: Path, outcome: JobOutcome) -> None:
        if outcome.cancelled and form.resumable and dst.is_dir():
            self.finished_text.emit("Download paused: build again with the same name, recipe and total "
                                    "to continue.")
            self.built.emit(dst)
            return
        if not outcome.ok:
            return
        if isinstance(outcome.result, Review):
            self._review(outcome.result, dst.name)
            return
        self.finished_text.emit(form.summary(outcome.result))
        self.built.emit(dst)
        self._name_auto = True
        self.name_edit.setText(form.default_name())

    def _name_problem(self, name: str) -> str:
        try:
            new_dataset_folder(self.root, name)
        except ValueError as exc:
            return str(exc)
        return ""

    def _review(self, review: Review, name: str) -> None:
        dialog = ReviewDialog(review, name, self._name_problem, self)
        self.review_dialog = dialog
        dialog.accepted.connect(lambda: self._save_review(dialog))
        dialog.finished.connect(lambda _code: self._forget_dialog(dialog))
        dialog.open()

    def _forget_dialog(self, dialog: ReviewDialog) -> None:
        if self.review_dialog is dialog:
            self.review_dialog = None
        dialog.deleteLater()

    def _save_review(self, dialog: ReviewDialog) -> None:
        try:
            dst = new_dataset_folder(self.root, dialog.name())
        except ValueError as exc:
            self.problem.emit(str(exc))
            return
        job = self.sessions.save_job(dialog.review, dst)
        if not self.runner.start(job, lambda outcome: self._ended(self.sessions, dst, outcome)):
            self.problem.emit(f"Wait until “{self.runner.label}” ends, then save the review again.")
