"""The selected job: status, progress with ETA, the live loss plot, the runner log and result actions.

``tick`` is called on a timer; it reads only what the job appended since the
last tick (see ``job_files``), so watching a running job costs the GUI
thread a small file read and a few points.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QPalette, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.expert.jobs.job_files import JobRow, LogTail, ProgressTail, duration
from app.expert.jobs.job_list import METHOD_TEXT, STATUS_COLORS
from app.expert.jobs.loss_plot import LossPlot
from training.jobs.spec import is_gptq_checkpoint

LOG_LINES = 200
GPTQ_MERGE_TIP = ("An adapter cannot be merged into a GPTQ-Int4 base. Use it as it is (Use in Live), "
                  "or train on the bf16 model to merge.")
MERGE_TIP = "Merge the adapter into a copy of the bf16 base model (a full checkpoint; takes a while)."


def _eta_text(row: JobRow, last: dict[str, Any] | None) -> str:
    state = row.state
    if state.status == "running" and last is not None:
        parts = [f"ETA {duration(last.get('eta_s'))}"]
        if last.get("tokens_per_s"):
            parts.append(f"{last['tokens_per_s']:.0f} tok/s")
        if last.get("gpu_gb"):
            parts.append(f"GPU {last['gpu_gb']:.1f} GB")
        elif last.get("rss_gb"):
            parts.append(f"RAM {last['rss_gb']:.1f} GB")
        return " · ".join(parts)
    if state.status == "running":
        return "Starting…"
    if state.status in ("completed", "cancelled", "failed") and state.started and state.finished:
        return f"{state.status.capitalize()} after {duration(state.finished - state.started)}"
    return state.status.capitalize()


class JobDetail(QWidget):
    """Everything about one job; emits the result actions the page carries out."""

    use_requested = Signal(object)
    compare_requested = Signal(object)
    export_requested = Signal(object)
    merge_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job: Path | None = None
        self._row: JobRow | None = None
        self._tails: dict[Path, ProgressTail] = {}
        self._log: LogTail | None = None
        self._gptq: dict[Path, bool] = {}

        self.title_label = QLabel("No job selected")
        title_font = self.title_label.font()
        title_font.setPointSizeF(title_font.pointSizeF() * 1.15)
        title_font.setBold(True)
        self.title_label.setFont(title_font)
        self.status_label = QLabel()
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("")
        self.eta_label = QLabel()
        self.eta_label.setMinimumWidth(160)
        self.eta_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        self.plot = LossPlot()
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(LOG_LINES)
        self.log_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(max(7.0, QFont().pointSizeF() * 0.9))
        self.log_view.setFont(mono)
        self.log_view.setPlaceholderText("The runner's log appears here.")
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.plot)
        splitter.addWidget(self.log_view)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([300, 120])
        splitter.setChildrenCollapsible(False)

        self.use_button = QPushButton("Use in Live")
        self.use_button.setToolTip("Load the adapter into the running model and answer with it.")
        self.compare_button = QPushButton("Compare")
        self.compare_button.setToolTip("Answer two fixed prompts (text, and text with a picture) with the "
                                       "base model and with the adapter, side by side.")
        self.export_button = QPushButton("Export adapter…")
        self.merge_button = QPushButton("Merge…")
        for button, signal in (
            (self.use_button, self.use_requested),
            (self.compare_button, self.compare_requested),
            (self.export_button, self.export_requested),
            (self.merge_button, self.merge_requested),
        ):
            button.clicked.connect(lambda _checked=False, s=signal: self.job is not None and s.emit(self.job))
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        heading = QHBoxLayout()
        heading.addWidget(self.title_label)
        heading.addWidget(self.status_label)
        heading.addStretch(1)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.eta_label)
        actions = QHBoxLayout()
        for button in (self.use_button, self.compare_button, self.export_button, self.merge_button):
            actions.addWidget(button)
        actions.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(heading)
        layout.addWidget(self.message_label)
        layout.addLayout(progress_row)
        layout.addWidget(splitter, 1)
        layout.addLayout(actions)
        layout.addWidget(self.result_label)
        self.show_job(None)

    # which job ------------------------------------------------------------------------
    def show_job(self, row: JobRow | None) -> None:
        """Show ``row``'s job (or nothing): its plot from what was read so far, the log's end."""
        self.job = row.path if row is not None else None
        self._row = row
        self.log_view.clear()
        self.result_label.clear()
        if row is None:
            self._log = None
            self.plot.clear("Select a job to see its loss curve.")
            self.title_label.setText("No job selected")
            self.status_label.clear()
            self.message_label.clear()
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.progress.setFormat("")
            self.eta_label.clear()
            self._update_actions()
            return
        self.plot.clear()
        self._log = LogTail(row.path)
        if row.path not in self._gptq:
            self._gptq[row.path] = is_gptq_checkpoint(Path(row.base_model).expanduser())
        tail = self._tails.setdefault(row.path, ProgressTail(row.path))
        self.plot.add_rows(tail.rows)
        self.update_row(row)
        self.tick()

    def update_row(self, row: JobRow) -> None:
        """The job's state changed: status, message, progress and the actions it allows."""
        if row.path != self.job:
            return
        self._row = row
        state = row.state
        self.title_label.setText(row.name)
        color = STATUS_COLORS[state.status].name() if state.status in STATUS_COLORS else "gray"
        method = METHOD_TEXT.get(row.method, row.method)
        self.status_label.setText(f"{method} · <span style='color:{color}'>{state.status}</span>")
        self.message_label.setText(state.message)
        self.message_label.setVisible(bool(state.message))
        self._set_progress(state.step, state.max_steps)
        self.eta_label.setText(_eta_text(row, self._last_train_row()))
        self._update_actions()

    def forget(self, path: Path) -> None:
        """Drop what was read of a deleted job."""
        self._tails.pop(Path(path), None)
        self._gptq.pop(Path(path), None)

    # tailing --------------------------------------------------------------------------
    def tick(self) -> None:
        """Read what the selected job appended (progress lines, log text) and show it."""
        if self.job is None:
            return
        tail = self._tails.setdefault(self.job, ProgressTail(self.job))
        new = tail.read_new()
        if new:
            self.plot.add_rows(new)
            last = new[-1]
            if last.get("step") is not None:
                self._set_progress(int(last["step"]), int(last.get("max_steps") or 0))
            if self._row is not None:
                self.eta_label.setText(_eta_text(self._row, self._last_train_row()))
        if self._log is not None:
            text = self._log.read_new()
            if text:
                self._append_log(text)

    def _last_train_row(self) -> dict[str, Any] | None:
        if self.job is None or self.job not in self._tails:
            return None
        for row in reversed(self._tails[self.job].rows[-20:]):
            if row.get("loss") is not None or row.get("eta_s") is not None:
                return row
        return None

    def _set_progress(self, step: int, max_steps: int) -> None:
        if max_steps > 0:
            self.progress.setRange(0, max_steps)
            self.progress.setValue(min(step, max_steps))
            self.progress.setFormat("%v / %m steps")
        elif self._row is not None and self._row.state.status == "running":
            self.progress.setRange(0, 0)  # busy: the runner has not said how many steps yet
        else:
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.progress.setFormat("not started")

    def _append_log(self, text: str) -> None:
        bar = self.log_view.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 2
        cursor = self.log_view.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)
        if at_end:
            bar.setValue(bar.maximum())

    # results --------------------------------------------------------------------------
    def _update_actions(self) -> None:
        completed = self._row is not None and self._row.state.status == "completed"
        for button in (self.use_button, self.compare_button, self.export_button):
            button.setEnabled(completed)
        gptq = self.job is not None and self._gptq.get(self.job, False)
        self.merge_button.setEnabled(completed and not gptq)
        self.merge_button.setToolTip(GPTQ_MERGE_TIP if gptq else MERGE_TIP)

    def show_result(self, text: str, ok: bool = True) -> None:
        """A message about a result action (what happened, or why not)."""
        color = "#2eb872" if ok else "#e5484d"
        self.result_label.setStyleSheet(f"color: {color}")
        self.result_label.setText(text)

    def show_busy(self, text: str) -> None:
        """A neutral message while a result action runs."""
        self.result_label.setStyleSheet("")
        self.result_label.setText(text)

