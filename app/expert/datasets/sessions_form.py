"""Build source: your recorded Live sessions and podcast episodes, reviewed before saving."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from app.expert.datasets.bridge import Job, JobContext
from app.expert.datasets.common import ERROR_COLOR, error_text, muted_label, visible_checkboxes
from app.expert.datasets.source_form import stamped
from app.live.lifetime import while_alive
from app.tasks import run_task
from engine.live.recorder import list_sessions
from engine.podcast.episode import EpisodeStore
from training.datasets.from_sessions import Review, collect_candidates, save_reviewed
from training.datasets.store import DatasetCard

PATH_ROLE = Qt.ItemDataRole.UserRole
REVIEW_FILE = "review.json"


@dataclass(frozen=True)
class Recording:
    """A Live session or a podcast episode that can give samples."""

    path: Path
    title: str


def list_recordings(data_dir: Path, episodes_dir: Path) -> list[Recording]:
    """Recorded Live sessions, then podcast episodes, newest first (worker thread)."""
    found = [Recording(info.path, f"Live session {info.started} — {info.turns} turns")
             for info in list_sessions(data_dir)]
    found += [Recording(summary.folder, f"Podcast “{summary.title}” — {summary.created}")
              for summary in EpisodeStore(episodes_dir).list()]
    return found


def save_review(review: Review, dst: Path) -> DatasetCard:
    """Write the kept candidates to ``dst`` and the whole review beside them, so the edits stay on record."""
    card = save_reviewed(review, dst, name=dst.name)
    review.save(dst / REVIEW_FILE)
    return card


class SessionsForm(QWidget):
    """Tick sessions and episodes; building collects their candidates for the review dialog."""

    title = "From my sessions"
    resumable = False

    def __init__(self, data_dir: Path, episodes_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self.episodes_dir = Path(episodes_dir)
        self.loading = False
        self.list = QListWidget()
        visible_checkboxes(self.list)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.status = muted_label()
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(muted_label("Live sessions are recorded when recording is on in the Live tab. "
                                     "Building opens a review where you edit or untick each sample."))
        self.refresh()

    def refresh(self) -> None:
        """List the recordings again (worker thread)."""
        self.loading = True
        self.status.setStyleSheet("")
        self.status.setText("Looking for recordings…")
        data_dir, episodes_dir = self.data_dir, self.episodes_dir
        run_task(lambda: list_recordings(data_dir, episodes_dir), while_alive(self, self._listed))

    def _listed(self, found: list[Recording] | None, error: BaseException | None) -> None:
        self.loading = False
        self.list.clear()
        if error is not None:
            self.status.setStyleSheet(f"color: {ERROR_COLOR};")
            self.status.setText(f"The recordings could not be listed: {error_text(error)}")
            return
        for recording in found or []:
            item = QListWidgetItem(recording.title)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            item.setData(PATH_ROLE, str(recording.path))
            item.setToolTip(str(recording.path))
            self.list.addItem(item)
        self.status.setText(f"{len(found)} recordings." if found else "No recorded sessions or episodes yet.")

    def checked(self) -> list[Path]:
        """The ticked recordings."""
        return [Path(self.list.item(i).data(PATH_ROLE)) for i in range(self.list.count())
                if self.list.item(i).checkState() == Qt.CheckState.Checked]

    def check_all(self) -> None:
        """Tick every recording."""
        for index in range(self.list.count()):
            self.list.item(index).setCheckState(Qt.CheckState.Checked)

    def default_name(self) -> str:
        """``my-sessions-<time>``."""
        return stamped("my-sessions")

    def job(self, dst: Path) -> Job:
        """Collect the candidates of the ticked recordings (the review comes next)."""
        folders = self.checked()
        if not folders:
            raise ValueError("Tick at least one session or episode.")

        def work(_ctx: JobContext) -> Review:
            review = collect_candidates(folders)
            if not review.candidates:
                raise ValueError("The chosen recordings hold no answered turns to learn from.")
            return review

        return Job("Collect samples", work)

    def save_job(self, review: Review, dst: Path) -> Job:
        """The job that saves the reviewed candidates into ``dst``."""
        return Job("Save reviewed samples", lambda _ctx: save_review(review, dst), cleanup=dst)

    def summary(self, result: Any) -> str:
        """What was saved."""
        card: DatasetCard = result
        return f"{card.total:,} reviewed samples → {card.name}"
