"""The episode library: saved episodes with Play, Delete and Export….

Listing reads every ``episode.json`` and deleting removes a folder of audio,
and exporting joins and encodes the whole episode, so each runs off the Qt
thread; the buttons wait for their job and the outcome shows under the list.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.live.indicators import problem_text
from app.live.lifetime import while_alive
from app.podcast.common import ERROR_COLOR, muted_label
from app.tasks import run_task
from engine.podcast.episode import EpisodeStore, EpisodeSummary, load_episode
from engine.podcast.export import ExportResult, export_episode

COLUMNS = ("Title", "Date", "Length", "Status")
ID_ROLE = Qt.ItemDataRole.UserRole + 1
STATUS_TEXT = {"ready": "Ready", "writing": "Writing", "failed": "Failed"}
WATCH_DELAY_MS = 400
EMPTY_NOTE = "No episodes yet: add sources and press Generate."


def _length(summary: EpisodeSummary) -> str:
    if summary.duration_s <= 0:
        return "—"
    minutes, seconds = divmod(int(round(summary.duration_s)), 60)
    return f"{minutes}:{seconds:02d}"


def failed_note(summary: EpisodeSummary) -> str:
    """What a failed episode holds and what to do with it."""
    if summary.turns == 0:
        return "Generation failed before any turn was written: there is nothing to play. Delete it, or make it again."
    return (f"Generation failed after {summary.turns} turns: what was written is kept and plays, but the episode "
            "stops there. Make it again to get the whole episode.")


def playable(summary: EpisodeSummary | None) -> bool:
    """Whether the episode has anything to play (a failed one may have no turn at all)."""
    return summary is not None and summary.turns > 0


def ask_to_delete(parent: QWidget, title: str) -> bool:
    """Ask whether the episode called ``title`` may be deleted."""
    answer = QMessageBox.question(
        parent,
        "Delete episode",
        f"Delete “{title}” and its audio? This cannot be undone.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def choose_folder(parent: QWidget) -> Path | None:
    """Ask for the folder to export into."""
    folder = QFileDialog.getExistingDirectory(parent, "Export episode to folder", str(Path.home()))
    return Path(folder) if folder else None


def export_to(folder: Path, out_dir: Path) -> ExportResult:
    """Export the episode in ``folder`` as WAV, MP3 and Markdown into ``out_dir`` (worker thread)."""
    return export_episode(load_episode(folder), out_dir)


class LibraryView(QWidget):
    """Saved episodes of ``store``, newest first."""

    play_requested = Signal(str, object)
    """``(episode id, its folder)``."""
    selected = Signal(str, object)
    """``(episode id, its folder)`` of the episode clicked; an empty id when none is selected."""
    deleted = Signal(str)
    """The id of an episode that was deleted."""

    def __init__(self, store: EpisodeStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._summaries: dict[str, EpisodeSummary] = {}
        self._busy: set[str] = set()
        self._generating: str | None = None
        self._playing: str | None = None
        self._listing = 0
        self.tree = QTreeWidget()
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setAccessibleName("Episode library")
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.play_button = QPushButton("Play")
        self.delete_button = QPushButton("Delete")
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the episode as WAV, MP3 and a Markdown transcript with chapters.")
        self.note_label = muted_label(EMPTY_NOTE)
        self.note_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        buttons.addWidget(self.play_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.note_label)
        self.play_button.clicked.connect(self._play)
        self.delete_button.clicked.connect(self.confirm_delete)
        self.export_button.clicked.connect(self.choose_export)
        self.tree.itemDoubleClicked.connect(lambda _item, _column: self._play())
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        # Episodes made elsewhere (nexus-cli podcast make) or changed on disk appear without a restart.
        self.watcher = QFileSystemWatcher(self)
        self._watch_timer = QTimer(self)
        self._watch_timer.setSingleShot(True)
        self._watch_timer.setInterval(WATCH_DELAY_MS)
        self._watch_timer.timeout.connect(self.refresh)
        self.watcher.directoryChanged.connect(lambda _path: self._watch_timer.start())
        self.watcher.fileChanged.connect(lambda _path: self._watch_timer.start())
        self._sync_buttons()

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt override)
        """No: the list gives up height before the note under it wraps, so the column around it can shrink."""
        return False

    # queries ------------------------------------------------------------------------
    def episode_ids(self) -> list[str]:
        """The listed episodes' ids, top to bottom."""
        return [self.tree.topLevelItem(i).data(0, ID_ROLE) for i in range(self.tree.topLevelItemCount())]

    def current_id(self) -> str:
        """The selected episode's id, or an empty string."""
        items = self.tree.selectedItems()
        return str(items[0].data(0, ID_ROLE)) if items else ""

    def summary(self, episode_id: str) -> EpisodeSummary | None:
        """The listed summary of ``episode_id``."""
        return self._summaries.get(episode_id)

    # actions ------------------------------------------------------------------------
    def refresh(self, select: str | None = None) -> None:
        """List the episodes again in the background, then select ``select`` (or keep the selection)."""
        self._listing += 1
        token = self._listing
        keep = select if select is not None else self.current_id()
        run_task(self.store.list, while_alive(self, lambda r, e: self._listed(token, keep, r, e)))

    def select(self, episode_id: str) -> None:
        """Select the episode ``episode_id`` if it is listed."""
        for row in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(row)
            if item.data(0, ID_ROLE) == episode_id:
                self.tree.setCurrentItem(item)
                return

    def set_generating(self, episode_id: str | None) -> None:
        """Mark the episode being generated (it cannot be deleted or exported meanwhile)."""
        self._generating = episode_id
        self._sync_buttons()

    def set_playing(self, episode_id: str | None) -> None:
        """Mark the episode open in the player (it cannot be deleted meanwhile)."""
        self._playing = episode_id
        self._sync_buttons()

    def confirm_delete(self) -> None:
        """Ask, then delete the selected episode and its audio."""
        episode_id = self.current_id()
        summary = self._summaries.get(episode_id)
        if summary is None:
            return
        if ask_to_delete(self, summary.title):
            self.delete(episode_id)

    def delete(self, episode_id: str) -> None:
        """Delete ``episode_id`` in the background (no question asked)."""
        self._busy.add(episode_id)
        self._sync_buttons()
        self.note_label.setText("Deleting…")
        run_task(lambda: self.store.delete(episode_id),
                 while_alive(self, lambda _r, e: self._deleted(episode_id, e)))

    def choose_export(self) -> None:
        """Ask for a folder, then export the selected episode into it."""
        episode_id = self.current_id()
        if episode_id not in self._summaries:
            return
        folder = choose_folder(self)
        if folder is not None:
            self.export(episode_id, folder)

    def export(self, episode_id: str, out_dir: Path) -> None:
        """Export ``episode_id`` into ``out_dir`` in the background."""
        summary = self._summaries.get(episode_id)
        if summary is None:
            return
        self._busy.add(episode_id)
        self._sync_buttons()
        self.note_label.setText(f"Exporting “{summary.title}”…")
        run_task(lambda: export_to(summary.folder, out_dir),
                 while_alive(self, lambda r, e: self._exported(episode_id, r, e)))

    # results ------------------------------------------------------------------------
    def _listed(self, token: int, keep: str, summaries: list[EpisodeSummary] | None,
                error: BaseException | None) -> None:
        if token != self._listing:
            return
        if error is not None or summaries is None:
            self.note_label.setText(f"The library could not be read: {problem_text(error or OSError())[0]}")
            return
        self._summaries = {summary.id: summary for summary in summaries}
        self._watch([summary.folder for summary in summaries])
        self.tree.blockSignals(True)
        self.tree.clear()
        for summary in summaries:
            item = QTreeWidgetItem([summary.title, summary.created.split(" ")[0], _length(summary),
                                    STATUS_TEXT.get(summary.status, summary.status.capitalize())])
            item.setData(0, ID_ROLE, summary.id)
            item.setToolTip(0, f"{summary.title}\n{summary.created} · {summary.turns} turns\n{summary.folder}")
            if summary.status == "failed":
                item.setToolTip(3, failed_note(summary))
                item.setForeground(3, QBrush(QColor(ERROR_COLOR)))
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.tree.addTopLevelItem(item)
        self.tree.blockSignals(False)
        if keep:
            self.select(keep)
        if not summaries:
            self.note_label.setText(EMPTY_NOTE)
        elif self.note_label.text() == EMPTY_NOTE:
            self.note_label.setText("")
        self._sync_buttons()

    def _watch(self, folders: list[Path]) -> None:
        """Watch the library folder (new and removed episodes) and each episode's folder (rewritten files).

        Before the first episode the library folder may not exist: its nearest existing parent is watched.
        """
        root = self.store.root
        wanted = [str(root)] if root.is_dir() else [str(next((p for p in root.parents if p.is_dir()), root))]
        wanted += [str(folder) for folder in folders if folder.is_dir()]
        stale = [path for path in self.watcher.directories() if path not in wanted]
        if stale:
            self.watcher.removePaths(stale)
        fresh = [path for path in wanted if path not in self.watcher.directories()]
        if fresh:
            self.watcher.addPaths(fresh)

    def _deleted(self, episode_id: str, error: BaseException | None) -> None:
        self._busy.discard(episode_id)
        if error is not None:
            self.note_label.setText(f"Not deleted: {problem_text(error)[0]}")
        else:
            self.note_label.setText("Episode deleted.")
            self.deleted.emit(episode_id)
        self.refresh()

    def _exported(self, episode_id: str, result: ExportResult | None, error: BaseException | None) -> None:
        self._busy.discard(episode_id)
        self._sync_buttons()
        if error is not None or result is None:
            message, hint = problem_text(error or RuntimeError("nothing was exported"))
            self.note_label.setText(f"Not exported: {message} {hint}".strip())
            return
        names = ", ".join(path.name for path in (result.wav, result.mp3, result.transcript) if path is not None)
        self.note_label.setText(f"Exported {names} to {result.transcript.parent}")

    def _play(self) -> None:
        episode_id = self.current_id()
        summary = self._summaries.get(episode_id)
        if summary is not None and playable(summary):
            self.play_requested.emit(episode_id, summary.folder)
        elif summary is not None:
            self.note_label.setText(failed_note(summary))

    def _selection_changed(self) -> None:
        episode_id = self.current_id()
        summary = self._summaries.get(episode_id)
        self.selected.emit(episode_id, summary.folder if summary is not None else None)
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        episode_id = self.current_id()
        chosen = episode_id in self._summaries
        free = chosen and episode_id not in self._busy and episode_id != self._generating
        summary = self._summaries.get(episode_id)
        self.play_button.setEnabled(playable(summary))
        self.play_button.setToolTip(failed_note(summary) if summary is not None and not playable(summary)
                                    else "Play the episode (double-click does the same).")
        self.delete_button.setEnabled(free and episode_id != self._playing)
        self.export_button.setEnabled(free)
        if episode_id == self._generating:
            why = "This episode is still being made."
        elif episode_id == self._playing:
            why = "Stop the player to delete the episode it plays."
        else:
            why = "Delete the episode and its audio."
        self.delete_button.setToolTip(why)
