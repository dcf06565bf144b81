"""The Fine-tune page: the job form, the queue's jobs and the selected job's progress and results.

The page owns a ``JobQueue`` over ``<data dir>/jobs`` whose scheduler thread
starts with the page and stops when the page goes or the app quits (a job
that is running keeps running and is found again next time). Everything that
can take long — checking data, submitting, cancelling, deleting, loading an
adapter, generating, merging — runs with ``run_task``; the GUI thread only
reads small files.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QFrame,
    QLabel,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.engine_host import EngineHost
from app.expert.jobs import adapter_actions
from app.expert.jobs.compare_dialog import CompareDialog
from app.expert.jobs.job_detail import JobDetail
from app.expert.jobs.job_files import JobCatalog
from app.expert.jobs.job_form import JobForm
from app.expert.jobs.job_list import JobList
from app.expert.jobs.notifier import Notifier
from app.expert.jobs.queue_bridge import QueueBridge
from app.live.lifetime import while_alive
from app.tasks import run_task
from engine.config import Settings
from engine.error_advice import advice
from engine.errors import NexusError
from training.jobs.preflight import preflight
from training.jobs.queue import JobQueue
from training.jobs.spec import JobSpec, check_spec
from training.jobs.state import JobState

TAIL_INTERVAL_MS = 500
FINISH_TITLES = {
    "completed": "Fine-tune finished",
    "cancelled": "Fine-tune cancelled",
    "failed": "Fine-tune failed",
}


def describe_error(error: BaseException) -> str:
    """A sentence and the next step for an error from a background action."""
    return " ".join(part for part in advice(error) if part)


def _stop_queue(queue: JobQueue, bridge: QueueBridge) -> None:
    # Stop the scheduler before unhooking, so no emission races the bridge's removal.
    queue.stop()
    bridge.detach()


class JobsPage(QWidget):
    """Define, queue, watch and use fine-tune jobs."""

    def __init__(self, settings: Settings, host: EngineHost, parent: QWidget | None = None, *,
                 environment: dict[str, str] | None = None, poll_s: float = 0.5, grace_s: float = 60.0,
                 tail_interval_ms: int = TAIL_INTERVAL_MS) -> None:
        super().__init__(parent)
        self.settings = settings
        self.host = host
        data_dir = settings.folders.resolved_data_dir()
        self.root = data_dir / "jobs"
        self.queue = JobQueue(self.root, poll_s=poll_s, grace_s=grace_s, environment=environment)
        # No Qt parent: the bridge must outlive the page's children until the scheduler has stopped.
        self.bridge = QueueBridge(self.queue)
        self.catalog = JobCatalog(self.root)
        self.notifier = Notifier(self.show_status, self)
        self._busy = False
        self._stopped = False
        self.compare_dialogs: list[CompareDialog] = []

        self.form = JobForm(settings.model.local_path, data_dir / "datasets")
        self.jobs = JobList()
        self.detail = JobDetail()
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._layout()

        self.form.validate_requested.connect(self._validate)
        self.form.queue_requested.connect(self._submit)
        self.jobs.selection_changed.connect(self._select)
        self.jobs.cancel_requested.connect(self._cancel)
        self.jobs.resume_requested.connect(self._resume)
        self.jobs.delete_requested.connect(self._delete)
        self.jobs.open_requested.connect(self._open_folder)
        self.detail.use_requested.connect(self._use_in_live)
        self.detail.compare_requested.connect(self._compare)
        self.detail.export_requested.connect(self._export)
        self.detail.merge_requested.connect(self._merge)
        self.bridge.job_changed.connect(self._job_changed)
        self.bridge.job_finished.connect(self._job_finished)

        self.timer = QTimer(self)
        self.timer.setInterval(tail_interval_ms)
        self.timer.timeout.connect(self.detail.tick)
        self.timer.start()
        self.reload()
        if self.jobs.paths():
            self.jobs.select(self.jobs.paths()[0])
        self.queue.start()
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        queue, bridge = self.queue, self.bridge
        self.destroyed.connect(lambda _obj=None: _stop_queue(queue, bridge))

    def _layout(self) -> None:
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.form)
        scroll.setMinimumWidth(self.form.minimumSizeHint().width() + 16)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(scroll, 1)
        left_layout.addWidget(self.form.footer)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.jobs)
        right.addWidget(self.detail)
        right.setStretchFactor(0, 1)
        right.setStretchFactor(1, 3)
        right.setSizes([200, 600])
        right.setChildrenCollapsible(False)
        self.jobs.setMinimumHeight(110)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status_label)

    # lifetime -------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop tailing and the scheduler thread (a running job goes on; the next start finds it)."""
        if self._stopped:
            return
        self._stopped = True
        self.timer.stop()
        _stop_queue(self.queue, self.bridge)

    def show_status(self, text: str) -> None:
        """A line at the bottom of the page."""
        self.status_label.setText(text)

    # the list -------------------------------------------------------------------------
    def reload(self) -> None:
        """Read every job folder again (a job appeared or went)."""
        self.jobs.set_rows(self.catalog.rows())

    def _job_changed(self, path: Path) -> None:
        row = self.catalog.row(path) if self.catalog.known(path) and path.is_dir() else None
        if row is None or not self.jobs.update_row(row):
            self.reload()
            return
        self.detail.update_row(row)

    def _job_finished(self, path: Path, state: JobState) -> None:
        self._job_changed(path)
        row = self.jobs.row(path)
        name = row.name if row is not None else path.name
        text = f"“{name}” {state.status}."
        if state.message and state.status != "completed":
            text += f" {state.message}"
        title = FINISH_TITLES.get(state.status, "Fine-tune")
        self.notifier.notify(title, text, ok=state.status == "completed")

    def _select(self, path: Path | None) -> None:
        self.detail.show_job(self.jobs.row(path) if path is not None else None)

    # form -----------------------------------------------------------------------------
    def _validate(self, spec: JobSpec) -> None:
        quick = check_spec(spec)
        if quick:
            self.form.show_problems(quick)
        else:
            self.form.show_note("Checking the data, disk and memory…", ok=False)
        self.form.set_busy(True)
        root = self.root
        run_task(lambda: preflight(spec, root), while_alive(self, self._validated))

    def _validated(self, problems: list[str] | None, error: BaseException | None) -> None:
        self.form.set_busy(False)
        if error is not None:
            self.form.show_problems([describe_error(error)])
        elif problems:
            self.form.show_problems(problems)
        else:
            note = self.form.eval_note()
            self.form.show_note(f"No problems found: ready to queue. {note}".strip(), ok=not note)

    def _submit(self, spec: JobSpec) -> None:
        self.form.set_busy(True)
        self.form.show_note("Checking and queueing…", ok=False)
        queue = self.queue
        run_task(lambda: queue.submit(spec), while_alive(self, self._submitted))

    def _submitted(self, folder: Path | None, error: BaseException | None) -> None:
        self.form.set_busy(False)
        if error is not None or folder is None:
            self.form.show_problems([describe_error(error or RuntimeError("nothing was queued"))])
            return
        note = self.form.eval_note()
        self.form.show_note(f"Queued as {folder.name}. {note}".strip(), ok=not note)
        self.reload()
        self.jobs.select(folder)

    # list actions -----------------------------------------------------------------------
    def _cancel(self, path: Path) -> None:
        queue = self.queue
        self.show_status(f"Cancelling {path.name}…")
        done = f"Asked {path.name} to stop; it saves a checkpoint after the current step."
        run_task(lambda: queue.cancel(path),
                 while_alive(self, lambda _r, error: self._after_action(done, error)))

    def _resume(self, path: Path) -> None:
        queue = self.queue
        self.show_status(f"Queueing {path.name} to resume…")
        done = f"{path.name} is queued to resume from its last checkpoint."
        run_task(lambda: queue.resume(path),
                 while_alive(self, lambda _r, error: self._after_action(done, error)))

    def _after_action(self, done: str, error: BaseException | None) -> None:
        self.show_status(describe_error(error) if error is not None else done)
        self.reload()

    def _delete(self, path: Path) -> None:
        answer = QMessageBox.question(
            self, "Delete the job folder",
            f"Delete {path}?\n\nIts checkpoints, logs and adapter are removed for good.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.show_status(f"Deleting {path.name}…")
        run_task(lambda: shutil.rmtree(path), while_alive(self, lambda _r, e: self._deleted(path, e)))

    def _deleted(self, path: Path, error: BaseException | None) -> None:
        self.detail.forget(path)
        self.show_status(f"{path.name} could not be deleted: {error}" if error else f"Deleted {path.name}.")
        self.reload()

    def _open_folder(self, path: Path) -> None:
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            self.show_status(f"The job folder is {path}.")

    # result actions ---------------------------------------------------------------------
    def _start_result_action(self, text: str) -> bool:
        if self._busy:
            self.detail.show_result("Another action is still running; wait for it to finish.", ok=False)
            return False
        self._busy = True
        self.detail.show_busy(text)
        return True

    def _end_result_action(self) -> None:
        self._busy = False

    def _use_in_live(self, path: Path) -> None:
        engine = self.host.engine
        try:
            adapter_actions.check_engine(engine)
        except NexusError as exc:
            self.detail.show_result(str(exc), ok=False)
            return
        if not self._start_result_action("Loading the adapter into the model…"):
            return
        run_task(lambda: adapter_actions.use_in_live(engine, path), while_alive(self, self._used))

    def _used(self, name: str | None, error: BaseException | None) -> None:
        self._end_result_action()
        if error is not None:
            self.detail.show_result(describe_error(error), ok=False)
        else:
            self.detail.show_result(f"Live now answers with the adapter “{name}”.")

    def _compare(self, path: Path) -> None:
        engine = self.host.engine
        try:
            adapter_actions.check_engine(engine)
        except NexusError as exc:
            self.detail.show_result(str(exc), ok=False)
            return
        if not self._start_result_action("Answering two prompts with the base model and the adapter…"):
            return
        row = self.jobs.row(path)
        name = row.name if row is not None else path.name
        run_task(lambda: adapter_actions.run_compare(engine, path),
                 while_alive(self, lambda rows, error: self._compared(name, rows, error)))

    def _compared(self, name: str, rows: list | None, error: BaseException | None) -> None:
        self._end_result_action()
        if error is not None or rows is None:
            self.detail.show_result(describe_error(error or RuntimeError("no answers")), ok=False)
            return
        self.detail.show_result("Compared: base and adapter answers are shown side by side.")
        dialog = CompareDialog(name, adapter_actions.compare_prompts(), rows, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _code, d=dialog: self._forget_dialog(d))
        self.compare_dialogs.append(dialog)
        dialog.show()

    def _forget_dialog(self, dialog: CompareDialog) -> None:
        if dialog in self.compare_dialogs:
            self.compare_dialogs.remove(dialog)

    def choose_folder(self, title: str) -> Path | None:
        """Ask for a destination folder (``None`` when the person cancels)."""
        folder = QFileDialog.getExistingDirectory(self, title, str(Path.home()))
        return Path(folder) if folder else None

    def _export(self, path: Path) -> None:
        chosen = self.choose_folder("Export the adapter to")
        if chosen is None or not self._start_result_action("Exporting the adapter…"):
            return
        run_task(lambda: adapter_actions.export_to(path, chosen),
                 while_alive(self, lambda where, error: self._saved("Exported the adapter to", where, error)))

    def _merge(self, path: Path) -> None:
        chosen = self.choose_folder("Save the merged model in")
        if chosen is None or not self._start_result_action("Merging the adapter into the base model…"):
            return
        run_task(lambda: adapter_actions.merge_to(path, chosen),
                 while_alive(self, lambda where, error: self._saved("Merged the model into", where, error)))

    def _saved(self, what: str, where: Path | None, error: BaseException | None) -> None:
        self._end_result_action()
        if error is not None:
            self.detail.show_result(describe_error(error), ok=False)
        else:
            self.detail.show_result(f"{what} {where}.")
