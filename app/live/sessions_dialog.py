"""Recorded Live sessions: list them, open their folder, delete them after a confirmation.

Listing reads every transcript and deleting removes whole folders, so both
run off the Qt thread.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.live.lifetime import while_alive
from app.tasks import run_task
from engine.live.recorder import SessionInfo, delete_session, list_sessions


def session_title(info: SessionInfo) -> str:
    """``2024-05-01 14:03:22 · 3 turns`` from a folder named ``20240501-140322``."""
    stamp = info.started
    if len(stamp) >= 15 and stamp[8] == "-":
        day = f"{stamp[0:4]}-{stamp[4:6]}-{stamp[6:8]}"
        stamp = f"{day} {stamp[9:11]}:{stamp[11:13]}:{stamp[13:15]}{stamp[15:]}"
    return f"{stamp} · {info.turns} turn{'s' if info.turns != 1 else ''}"


class SessionsDialog(QDialog):
    """The sessions recorded under ``data_dir``, newest first."""

    def __init__(self, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Recorded sessions")
        self.setMinimumSize(460, 340)
        self.data_dir = Path(data_dir)
        self.loading = False
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.list = QListWidget()
        self.list.setAlternatingRowColors(True)
        self.list.setStyleSheet("QListWidget::item { padding: 5px 6px; }")
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.open_button = QPushButton("Open folder")
        self.open_button.clicked.connect(self._open_folder)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.clicked.connect(self.delete_selected)
        actions = QHBoxLayout()
        actions.addWidget(self.open_button)
        actions.addWidget(self.delete_button)
        actions.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.list, 1)
        layout.addLayout(actions)
        layout.addWidget(close)
        self.refresh()

    def refresh(self) -> None:
        """List the sessions again."""
        self.loading = True
        self.note.setText("Looking for recorded sessions…")
        self._update_buttons()
        data_dir = self.data_dir
        run_task(lambda: list_sessions(data_dir), while_alive(self, self._show))

    def selected(self) -> SessionInfo | None:
        """The highlighted session."""
        item = self.list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def delete_selected(self) -> None:
        """Ask, then delete the highlighted session and everything recorded in it."""
        info = self.selected()
        if info is None:
            return
        answer = QMessageBox.question(
            self,
            "Delete session?",
            f"Delete the session of {session_title(info)}?\n\nIts transcript, pictures and recordings "
            f"in {info.path} are removed for good.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.loading = True
        self._update_buttons()
        run_task(lambda: delete_session(info.path), while_alive(self, self._deleted))

    def _show(self, sessions: list[SessionInfo] | None, error: BaseException | None) -> None:
        self.loading = False
        self.list.clear()
        if error is not None:
            self.note.setText(f"The sessions could not be listed: {error}")
        elif not sessions:
            self.note.setText(
                f"No recorded sessions in {self.data_dir}. Tick “Record session” before Start to keep one."
            )
        else:
            plural = "s" if len(sessions) != 1 else ""
            self.note.setText(f"{len(sessions)} recorded session{plural} in {self.data_dir}")
            for info in sessions:
                item = QListWidgetItem(session_title(info))
                item.setData(Qt.ItemDataRole.UserRole, info)
                item.setToolTip(str(info.path))
                self.list.addItem(item)
            self.list.setCurrentRow(0)
        self._update_buttons()

    def _deleted(self, _result: object, error: BaseException | None) -> None:
        if error is not None:
            self.loading = False
            self.note.setText(f"The session could not be deleted: {error}")
            self._update_buttons()
            return
        self.refresh()

    def _open_folder(self) -> None:
        info = self.selected()
        if info is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(info.path)))

    def _update_buttons(self) -> None:
        has = self.selected() is not None and not self.loading
        self.open_button.setEnabled(has)
        self.delete_button.setEnabled(has)
