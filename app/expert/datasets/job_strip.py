"""The strip at the foot of the page: what the running job does, its progress bar and Cancel."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QSizePolicy, QWidget

from app.expert.datasets.bridge import JobOutcome, JobRunner
from app.expert.datasets.common import ERROR_COLOR, error_text


class JobStrip(QWidget):
    """Follows ``runner``: a label, a progress bar (busy when the share is unknown) and Cancel."""

    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.label = QLabel("Ready.")
        # A long error must not widen the window: the label shrinks, the tooltip keeps the whole text.
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.label.setMinimumWidth(120)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(12)
        self.bar.setMaximumWidth(360)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.cancel_button)
        runner.started.connect(self._started)
        runner.progressed.connect(self._progressed)
        runner.ended.connect(self._ended)
        self._idle()

    def _say(self, text: str, color: str = "") -> None:
        self.label.setStyleSheet(f"color: {color};" if color else "")
        self.label.setText(text)
        self.label.setToolTip(text)

    def _idle(self) -> None:
        self.bar.hide()
        self.cancel_button.hide()

    def _started(self, label: str) -> None:
        self._say(f"{label}…")
        self.bar.setRange(0, 0)
        self.bar.show()
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        self.cancel_button.show()

    def _progressed(self, fraction: object, text: str) -> None:
        if not self.runner.busy:
            return
        self._say(text)
        if isinstance(fraction, float):
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(fraction * 1000))
        else:
            self.bar.setRange(0, 0)

    def _cancel(self) -> None:
        self.runner.cancel()
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancelling…")
        self._say(f"{self.runner.label}: cancelling…")

    def _ended(self, outcome: JobOutcome) -> None:
        self._idle()
        label = outcome.job.label
        if outcome.cancelled:
            self._say(f"{label}: cancelled.")
        elif outcome.error is not None:
            self._say(f"{label} failed: {error_text(outcome.error)}", ERROR_COLOR)
        else:
            self._say(f"{label}: done.")

    def show_result(self, text: str) -> None:
        """Replace the end line with a summary of what the job made."""
        self._say(text)
