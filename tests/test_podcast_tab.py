"""The Podcast tab: sources read off the Qt thread, generation, the library, the player and its transcript.

Episodes come from the real pipeline with the scripted hosts and the bundled
Piper voice (``tests/podcast_fixtures.py``). Without a sound server the
player's signals are emitted by hand; with the PulseAudio null sink from
scripts/test the episode really plays and a typed question is answered.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QPoint, Qt, QThreadPool
from PySide6.QtGui import QHelpEvent, QPalette
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem, QToolTip, QWidget
from pytestqt.qtbot import QtBot

import app.podcast.sources_list as sources_module
from app.engine_host import EngineHost
from app.podcast.panel import PodcastPanel
from app.podcast.playback import OpenedSession
from app.podcast.snapshot import TranscriptRow, snapshot
from app.podcast.transcript_model import TranscriptModel, sentence_span
from app.podcast.transcript_view import colors_for, row_html
from app.theme import apply_theme
from engine.config import Settings, settings_from_values
from engine.media.player import Player
from engine.podcast.builder import host_voices
from engine.podcast.episode import Episode, EpisodeStore, EpisodeTurn, Interaction, load_episode
from engine.podcast.formats import EpisodeSpec
from engine.podcast.scripted import ScriptedHosts
from engine.podcast.session import PodcastSession
from tests.conftest import needs_pulse
from tests.podcast_fixtures import host_voice_pair, make_episode, write_solar_markdown
from tests.speech_fixtures import piper_voice_onnx, whisper_tiny_dir

QUESTION = "What happens to solar panels when the weather is cold?"

_windows: list[QWidget] = []


@pytest.fixture(autouse=True)
def close_windows(qtbot: QtBot) -> Iterator[None]:
    """Stop the tab's work and destroy its windows after each test, while no worker thread runs Python.

    With PySide 6.12 a garbage collection that runs on a worker thread while a
    Qt object tree is being destroyed can traverse it half-destroyed and crash,
    so the speaker, the generator and the thread pool are finished first and
    the windows are deleted here rather than in the next test's event loop.
    """
    yield
    while _windows:
        window = _windows.pop()
        panels = [window] if isinstance(window, PodcastPanel) else window.findChildren(PodcastPanel)
        for panel in panels:
            panel.shutdown()
            assert panel.generation.wait(60), "the generator did not stop"
        QThreadPool.globalInstance().waitForDone(60_000)
        window.close()
        window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def podcast_settings(**voices: object) -> Settings:
    """Fresh settings whose hosts speak with the bundled Piper voice (no download needed)."""
    onnx = str(piper_voice_onnx())
    values = {"host_a_voice": onnx, "host_b_voice": onnx, "whisper_model": "whisper-not-downloaded", **voices}
    return settings_from_values({"ui": {"first_run_done": True}, "voices": values})


def make_panel(qtbot: QtBot, settings: Settings | None = None) -> PodcastPanel:
    host = EngineHost()
    panel = PodcastPanel(settings or podcast_settings(), host)
    # Owned by the panel, so it is destroyed on the GUI thread with it, never by a garbage collection
    # that happens to run on a worker thread.
    host.setParent(panel)
    _windows.append(panel)
    panel.resize(1150, 700)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def data_dir(nexus_dirs: dict[str, Path]) -> Path:
    folder = nexus_dirs["data"]
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def library_episode(qtbot: QtBot, panel: PodcastPanel, episode: Episode) -> None:
    """Wait for ``episode`` in the library and select it (its transcript is shown)."""
    panel.library.refresh()
    qtbot.waitUntil(lambda: episode.id in panel.library.episode_ids(), timeout=10_000)
    panel.library.select(episode.id)
    qtbot.waitUntil(lambda: panel.shown is not None and panel.shown.id == episode.id, timeout=10_000)


def unstarted_session(episode: Episode, spec: EpisodeSpec) -> PodcastSession:
    """A session over ``episode`` whose speaker is never opened (the player's signals are emitted by hand)."""
    a, b = host_voice_pair()
    assert episode.folder is not None
    return PodcastSession(episode, EpisodeStore(episode.folder.parent), host_voices(spec, a, b), ScriptedHosts(),
                          Player(sample_rate=16_000))


def add_interaction(episode: Episode, after_turn: int) -> Interaction:
    question = EpisodeTurn(episode.next_turn_id(), "Listener", QUESTION, [], 0, "question")
    interaction = Interaction(len(episode.interactions), after_turn, 0, "text", question)
    episode.interactions.append(interaction)
    interaction.answers.append(EpisodeTurn(episode.next_turn_id(), "Alex",
                                           "Good question. Thin films absorb sunlight when the weather is cold.",
                                           ["§ Cells"], 0, "answer"))
    interaction.answers.append(EpisodeTurn(episode.next_turn_id(), "Alex", "Now, back to where we were.", [], 0,
                                           "bridge"))
    return interaction


# sources --------------------------------------------------------------------------------
def test_a_markdown_source_is_read_off_the_gui_thread_and_listed(qtbot: QtBot, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    readers: list[threading.Thread] = []
    real_load = sources_module.load_source

    def spying_load(target: str):  # type: ignore[no-untyped-def]
        readers.append(threading.current_thread())
        return real_load(target)

    monkeypatch.setattr(sources_module, "load_source", spying_load)
    panel = make_panel(qtbot)
    assert not panel.form.generate_button.isEnabled()
    assert panel.form.generate_button.toolTip() == "Add a source first."
    path = write_solar_markdown(tmp_path / "solar.md")
    panel.sources_list.add([path])
    item = panel.sources_list.list.item(0)
    assert item.text().endswith("Reading…") and panel.sources_list.reading
    qtbot.waitUntil(lambda: not panel.sources_list.reading, timeout=10_000)
    assert readers and all(thread is not threading.main_thread() for thread in readers)
    assert item.text() == "Solar power\n6 sections · 3,302 characters"
    assert item.toolTip() == str(path)
    [source] = panel.sources_list.sources()
    assert source.title == "Solar power" and len(source.sections) == 6
    assert panel.form.generate_button.isEnabled()
    panel.sources_list.add([path])
    assert panel.sources_list.list.count() == 1, "a source already listed is not added twice"
    panel.sources_list.list.item(0).setSelected(True)
    qtbot.mouseClick(panel.sources_list.remove_button, Qt.MouseButton.LeftButton)
    assert panel.sources_list.list.count() == 0 and not panel.form.generate_button.isEnabled()


def test_unreadable_sources_show_their_reason_inline(qtbot: QtBot, tmp_path: Path) -> None:
    panel = make_panel(qtbot)
    empty = tmp_path / "empty.md"
    empty.write_bytes(b"")
    odd = tmp_path / "slides.key"
    odd.write_bytes(b"binary")
    panel.sources_list.add([empty, odd, tmp_path / "missing.pdf"])
    qtbot.waitUntil(lambda: not panel.sources_list.reading, timeout=10_000)
    texts = [panel.sources_list.list.item(i).text() for i in range(3)]
    assert texts[0].startswith("empty.md\nempty.md is empty (0 bytes).")
    assert texts[1].startswith("slides.key\nslides.key: .key files are not supported.")
    assert texts[2].startswith("missing.pdf\n") and "does not exist" in texts[2]
    entry = panel.sources_list.entries()[0]
    assert entry.error and entry.hint == "Pick the complete file."
    assert entry.hint in panel.sources_list.list.item(0).toolTip()
    assert panel.sources_list.sources() == []
    assert not panel.form.generate_button.isEnabled()
    assert panel.form.generate_button.toolTip() == "None of the sources could be read."


# generation -----------------------------------------------------------------------------
def test_generate_reports_each_stage_and_adds_the_episode_to_the_library(qtbot: QtBot, tmp_path: Path) -> None:
    panel = make_panel(qtbot)
    panel.host.set_engine(ScriptedHosts(), name="Scripted", device="cpu")
    panel.sources_list.add([write_solar_markdown(tmp_path / "solar.md")])
    qtbot.waitUntil(panel.form.generate_button.isEnabled, timeout=10_000)
    panel.form.format_combo.setCurrentIndex(panel.form.format_combo.findData("brief"))
    panel.form.length_combo.setCurrentIndex(panel.form.length_combo.findData("short"))
    assert panel.form.length_combo.currentText() == "Short · 1 min"
    panel.form.steer_edit.setPlainText("for beginners")
    stages: list[str] = []
    texts: list[str] = []
    panel.generation.progress.connect(lambda stage, _done, _total: stages.append(stage))
    panel.generation.progress.connect(lambda *_args: texts.append(panel.form.stage_label.text()))
    chapters: list[str] = []
    panel.generation.chapter_ready.connect(lambda snap: chapters.append(snap.id))
    qtbot.mouseClick(panel.form.generate_button, Qt.MouseButton.LeftButton)
    assert panel.form.cancel_button.isVisible() and panel.form.progress.isVisible()
    assert not panel.form.format_combo.isEnabled()
    qtbot.waitUntil(lambda: not panel.generation.running, timeout=120_000)
    assert not panel.banner.isVisible(), panel.banner.message_label.text()
    assert list(dict.fromkeys(stages)) == ["notes", "outline", "script", "audio"]
    assert any(text.startswith("Writing the script") for text in texts)
    assert any(text.startswith("Recording the hosts: turn") for text in texts)
    assert panel.form.stage_label.text().startswith("Ready: “") and panel.form.generate_button.isVisible()
    assert chapters, "the first chapter is announced before the episode is finished"
    # The library is listed again once the episode is finished (earlier listings showed it being written;
    # the library follows the folder, so one may catch the script done before the last audio).
    qtbot.waitUntil(lambda: getattr(panel.library.summary(chapters[0]), "status", "") == "ready"
                    and panel.library.summary(chapters[0]).duration_s > 30, timeout=10_000)
    summary = panel.library.summary(chapters[0])
    assert summary is not None and summary.duration_s > 30
    item = panel.library.tree.topLevelItem(0)
    assert (item.text(0), item.text(3)) == (summary.title, "Ready") and item.text(2).count(":") == 1
    assert panel.shown is not None and panel.shown.id == chapters[0]
    assert panel.player.transcript_view.transcript.rowCount() == summary.turns + len(panel.shown.chapters)
    assert panel.player.player_bar.play_button.isEnabled()


def test_cancel_keeps_what_was_written(qtbot: QtBot, tmp_path: Path) -> None:
    panel = make_panel(qtbot)
    panel.host.set_engine(ScriptedHosts(token_s=0.05), name="Scripted", device="cpu")
    panel.sources_list.add([write_solar_markdown(tmp_path / "solar.md")])
    qtbot.waitUntil(panel.form.generate_button.isEnabled, timeout=10_000)
    stages: list[str] = []
    panel.generation.progress.connect(lambda stage, _done, _total: stages.append(stage))
    panel.generate()
    qtbot.waitUntil(lambda: "notes" in stages, timeout=60_000)
    qtbot.mouseClick(panel.form.cancel_button, Qt.MouseButton.LeftButton)
    assert panel.form.cancel_button.text() == "Cancelling…"
    qtbot.waitUntil(lambda: not panel.generation.running, timeout=60_000)
    assert panel.form.stage_label.text().startswith("Cancelled.")
    assert not panel.banner.isVisible()
    assert panel.form.generate_button.isVisible() and panel.form.generate_button.isEnabled()


def test_missing_voices_are_reported_in_the_panel(qtbot: QtBot, tmp_path: Path) -> None:
    panel = make_panel(qtbot, settings_from_values({"ui": {"first_run_done": True}}))
    panel.host.set_engine(ScriptedHosts(), name="Scripted", device="cpu")
    panel.sources_list.add([write_solar_markdown(tmp_path / "solar.md")])
    qtbot.waitUntil(panel.form.generate_button.isEnabled, timeout=10_000)
    panel.generate()
    qtbot.waitUntil(panel.banner.isVisible, timeout=30_000)
    assert "not downloaded" in panel.banner.message_label.text()
    assert panel.banner.hint_label.text()
    assert not panel.generation.running and panel.form.generate_button.isVisible()


def test_generate_without_a_downloaded_model_explains_what_to_do(qtbot: QtBot, tmp_path: Path) -> None:
    panel = make_panel(qtbot)
    panel.sources_list.add([write_solar_markdown(tmp_path / "solar.md")])
    qtbot.waitUntil(panel.form.generate_button.isEnabled, timeout=10_000)
    panel.generate()
    assert panel.form.stage_label.text() == "Loading the model…"
    qtbot.waitUntil(panel.banner.isVisible, timeout=30_000)
    assert "not downloaded" in panel.banner.message_label.text()
    assert "nexus-cli models download" in panel.banner.hint_label.text()
    assert panel.form.generate_button.isVisible() and panel.form.generate_button.isEnabled()


# the player and its transcript --------------------------------------------------------------
def test_an_episode_fills_the_transcript_and_chapters_and_the_highlight_follows_the_player(
    qtbot: QtBot, nexus_dirs: dict[str, Path]
) -> None:
    spec = EpisodeSpec("brief", "short")
    episode = make_episode(data_dir(nexus_dirs), spec)
    panel = make_panel(qtbot)
    library_episode(qtbot, panel, episode)
    model = panel.player.transcript_view.transcript
    rows = model.rows()
    assert [row.kind for row in rows].count("chapter") == len(episode.chapters) >= 1
    assert [row.id for row in rows if row.kind == "script"] == [turn.id for turn in episode.turns]
    assert rows[1].speaker == "Alex" and rows[1].text == episode.turns[0].text
    assert rows[1].refs == tuple(episode.turns[0].refs)
    assert panel.player.chapter_list.topLevelItemCount() == len(episode.chapters)
    assert panel.player.chapter_list.topLevelItem(0).text(0) == f"1.  {episode.chapters[0].title}"
    assert panel.player.title_label.text() == episode.title
    assert "Brief" in panel.player.meta_label.text() and f"{len(episode.turns)} turns" in panel.player.meta_label.text()
    assert panel.player.player_bar.play_button.isEnabled()

    session = unstarted_session(episode, spec)
    panel.playback.adopt(OpenedSession(session, snapshot(episode), "Joining by voice is off: no microphone."))
    assert panel.session is session
    assert panel.player.join_bar.ask_button.isEnabled() and not panel.player.join_bar.join_button.isEnabled()
    assert panel.player.notice_label.text().startswith("Joining by voice is off")
    turn = episode.turns[2]
    session.player.turn_started.emit(turn)
    assert model.current_id == turn.id
    assert panel.player.player_bar.position_label.text().startswith(f"Turn 3 of {len(episode.turns)}")
    assert panel.player.chapter_list.topLevelItem(0).font(0).bold()
    longer = EpisodeTurn(999, "Alex", "First part here. Second  part\nhere! Third.", [], 0)
    assert sentence_span(longer.text, ["First part here.", "Second part here!", "Third."], 1) == (17, 35)
    session.player.sentence_started.emit(turn, 0)
    assert model.current_id == turn.id and model.span == (0, len(turn.text))
    session.player.state_changed.emit("playing")
    assert panel.player.player_bar.play_button.toolTip() == "Pause"

    # The listener's interaction appears inline, after the turn it interrupted.
    add_interaction(episode, after_turn=2)
    session.transcript_changed.emit(episode)
    kinds = [row.kind for row in model.rows()]
    start = [row.id for row in model.rows()].index(turn.id)
    assert kinds[start + 1 : start + 4] == ["question", "answer", "bridge"]
    assert model.current_id == turn.id, "the highlight stays on the turn being heard"
    html = row_html(model.rows()[start + 1], colors_for(panel.palette()), panel.font(), False, None)
    assert "You asked · typed" in html and QUESTION in html
    session.player.turn_started.emit(episode.interactions[0].answers[0])
    assert model.current_id == episode.interactions[0].answers[0].id

    panel.stop()
    qtbot.waitUntil(lambda: panel.playback.phase == "idle", timeout=20_000)
    assert model.current_id is None and panel.player.player_bar.state == "closed"
    assert model.rowCount() == len(rows) + 3, "the transcript stays after Stop"


def test_a_reference_names_its_section_in_a_tooltip(qtbot: QtBot, nexus_dirs: dict[str, Path]) -> None:
    episode = make_episode(data_dir(nexus_dirs), EpisodeSpec("brief", "short"), synthesize_all=False)
    panel = make_panel(qtbot)
    library_episode(qtbot, panel, episode)
    view = panel.player.transcript_view
    index = view.transcript.index(1)
    row: TranscriptRow = view.transcript.rows()[1]
    rect = view.visualRect(index)
    option = QStyleOptionViewItem()
    option.rect = rect  # type: ignore[attr-defined]
    option.font = view.font()  # type: ignore[attr-defined]
    option.palette = view.palette()  # type: ignore[attr-defined]
    option.widget = view  # type: ignore[attr-defined]
    doc = view.cards.document(row, rect.width(), view.font(), view.palette())
    origin = view.cards._origin(row, rect)
    # The references are the document's last block; aim at its first character.
    block = doc.lastBlock()
    line = block.layout().lineAt(0)
    target = origin + block.layout().position() + line.position()
    point = QPoint(int(target.x()) + 4, int(target.y() + line.height() / 2))
    event = QHelpEvent(QHelpEvent.Type.ToolTip, point, view.viewport().mapToGlobal(point))
    assert view.cards.helpEvent(event, view, option, index)
    ref = row.refs[0]
    assert QToolTip.text() == f"{ref}\n{episode.sources[0].refs[ref]}"
    QToolTip.hideText()


def test_transcript_rows_merge_by_id() -> None:
    model = TranscriptModel()
    rows = [TranscriptRow(i, "script", "Alex", f"Turn {i}.", script_index=i) for i in range(4)]
    model.set_rows(rows)
    inserted: list[tuple[int, int]] = []
    removed: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    model.rowsRemoved.connect(lambda _parent, first, last: removed.append((first, last)))
    question = TranscriptRow(10, "question", "Listener", "Why?")
    model.set_rows([*rows[:2], question, *rows[2:]])
    assert inserted == [(2, 2)] and removed == []
    assert [r.id for r in model.rows()] == [0, 1, 10, 2, 3] and model.row_of(2) == 3
    model.set_rows([*rows[:2], question, rows[2]])
    assert removed == [(4, 4)]


def test_library_exports_and_deletes_after_asking(qtbot: QtBot, nexus_dirs: dict[str, Path], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    episode = make_episode(data_dir(nexus_dirs), EpisodeSpec("brief", "short"))
    panel = make_panel(qtbot)
    library_episode(qtbot, panel, episode)
    library = panel.library
    assert library.export_button.isEnabled() and library.delete_button.isEnabled()
    out = tmp_path / "exported"
    monkeypatch.setattr("app.podcast.library.choose_folder", lambda _parent: out)
    qtbot.mouseClick(library.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: library.note_label.text().startswith("Exported"), timeout=60_000)
    assert {p.suffix for p in out.iterdir()} >= {".wav", ".mp3", ".md"}
    assert (out / f"{episode.id}.md").read_text(encoding="utf-8").startswith(f"# {episode.title}")

    questions: list[str] = []

    def answer(_parent: object, title: str) -> bool:
        questions.append(title)
        return len(questions) > 1

    monkeypatch.setattr("app.podcast.library.ask_to_delete", answer)
    qtbot.mouseClick(library.delete_button, Qt.MouseButton.LeftButton)
    assert questions == [episode.title]
    assert episode.folder is not None and episode.folder.is_dir(), "No keeps the episode"
    qtbot.mouseClick(library.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: library.episode_ids() == [], timeout=10_000)
    assert not episode.folder.exists()
    assert panel.shown is None and panel.player.transcript_view.transcript.rowCount() == 0
    assert library.note_label.text() == "No episodes yet: add sources and press Generate."


def test_the_episode_playing_cannot_be_deleted(qtbot: QtBot, nexus_dirs: dict[str, Path]) -> None:
    spec = EpisodeSpec("brief", "short")
    episode = make_episode(data_dir(nexus_dirs), spec, synthesize_all=False)
    panel = make_panel(qtbot)
    library_episode(qtbot, panel, episode)
    panel.playback.adopt(OpenedSession(unstarted_session(episode, spec), snapshot(episode)))
    assert not panel.library.delete_button.isEnabled()
    assert panel.library.delete_button.toolTip().startswith("Stop the player")
    panel.stop()
    qtbot.waitUntil(lambda: panel.playback.phase == "idle", timeout=20_000)
    assert panel.library.delete_button.isEnabled()


@pytest.mark.slow
@pytest.mark.devices
@needs_pulse
def test_playing_for_real_highlights_what_is_heard_and_answers_a_typed_question(
    qtbot: QtBot, nexus_dirs: dict[str, Path]
) -> None:
    episode = make_episode(data_dir(nexus_dirs), EpisodeSpec("deep-dive", "short", minutes=1.0),
                           synthesize_all=False)
    panel = make_panel(qtbot, podcast_settings(whisper_model=str(whisper_tiny_dir())))
    panel.host.set_engine(ScriptedHosts(), name="Scripted", device="cpu")
    library_episode(qtbot, panel, episode)
    heard: list[int] = []
    panel.playback.bridge_ready.connect(lambda bridge: bridge.turn_started.connect(heard.append))
    qtbot.mouseClick(panel.library.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(heard) >= 2, timeout=60_000)
    model = panel.player.transcript_view.transcript
    assert model.current_id == heard[-1] and heard[:2] == [t.id for t in episode.turns[:2]]
    assert panel.player.player_bar.state == "playing"
    assert panel.player.join_bar.join_button.isEnabled() and panel.player.join_bar.voice_box.isEnabled()
    states: list[str] = []
    panel.playback.bridge.join_state_changed.connect(states.append)  # type: ignore[union-attr]
    qtbot.mouseClick(panel.player.join_bar.join_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.player.join_bar.join_state == "listening", timeout=20_000)
    assert panel.player.join_bar.join_button.text() == "Cancel" and panel.player.player_bar.state == "paused"
    qtbot.mouseClick(panel.player.join_bar.join_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.player.join_bar.join_state == "idle", timeout=10_000)
    qtbot.waitUntil(lambda: panel.player.player_bar.state == "playing", timeout=10_000)
    states.clear()
    qtbot.keyClicks(panel.player.join_bar.question_edit, QUESTION)
    qtbot.keyClick(panel.player.join_bar.question_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "answering" in states and states[-1] == "idle", timeout=60_000)
    kinds = [row.kind for row in model.rows()]
    assert "question" in kinds and "answer" in kinds and "bridge" in kinds
    qtbot.waitUntil(lambda: model.current_id in [t.id for t in episode.turns], timeout=60_000)
    panel.player.player_bar.speed_combo.setCurrentIndex(3)
    assert panel.session is not None and panel.session.player.speed == 1.5
    qtbot.mouseClick(panel.player.player_bar.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.player.player_bar.state == "paused", timeout=10_000)
    panel.stop()
    qtbot.waitUntil(lambda: panel.playback.phase == "idle", timeout=30_000)


@pytest.mark.slow
@pytest.mark.devices
@needs_pulse
def test_an_episode_plays_while_it_is_written(qtbot: QtBot, tmp_path: Path) -> None:
    panel = make_panel(qtbot)
    panel.host.set_engine(ScriptedHosts(token_s=0.01), name="Scripted", device="cpu")
    panel.sources_list.add([write_solar_markdown(tmp_path / "solar.md")])
    qtbot.waitUntil(panel.form.generate_button.isEnabled, timeout=10_000)
    chapters: list[int] = []
    panel.generation.chapter_ready.connect(lambda snap: chapters.append(len(snap.chapters)))
    panel.generate(EpisodeSpec("deep-dive", "short", minutes=4.0))
    qtbot.waitUntil(lambda: bool(chapters), timeout=60_000)
    assert panel.generation.running and panel.player.player_bar.play_button.isEnabled()
    heard: list[int] = []
    panel.playback.bridge_ready.connect(lambda bridge: bridge.turn_started.connect(heard.append))
    qtbot.mouseClick(panel.player.player_bar.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(heard) >= 2, timeout=60_000)
    live = panel.session
    assert live is not None and live.episode is panel.generation.episode, "it plays the episode being written"
    stage = panel.generation.audio_stage
    assert stage is not None and stage.lent is live.synth, "one synthesizer makes the audio of both"
    qtbot.waitUntil(lambda: not panel.generation.running, timeout=300_000)
    assert not panel.banner.isVisible(), panel.banner.message_label.text()
    assert panel.form.stage_label.text().startswith("Ready:")
    assert chapters[-1] >= 2 and panel.player.chapter_list.topLevelItemCount() == chapters[-1]
    assert not live.player.more_turns_coming
    saved = load_episode(live.episode.folder)  # type: ignore[arg-type]
    assert saved.status == "ready" and all(turn.audio and turn.sentences for turn in saved.turns)
    panel.stop()
    qtbot.waitUntil(lambda: panel.playback.phase == "idle", timeout=30_000)


# the screen -----------------------------------------------------------------------------
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_screenshot_with_an_episode_and_a_turn_highlighted(shots: Callable[[str], Path], qtbot: QtBot, nexus_dirs: dict[str, Path],
                                                           theme: str) -> None:
    from app.main_window import MainWindow  # the whole window: imported here so the other tests need less

    spec = EpisodeSpec("brief", "short")
    episode = make_episode(data_dir(nexus_dirs), spec)
    add_interaction(episode, after_turn=1)
    EpisodeStore(data_dir(nexus_dirs) / "episodes").save(episode)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, theme)
    try:
        window = MainWindow(settings_from_values({"ui": {"first_run_done": True, "theme": theme}}))
        window.persist_state = False
        _windows.append(window)
        window.resize(1180, 760)
        window.select_tab("podcast")
        window.show()
        qtbot.waitExposed(window)
        panel = window.podcast_panel
        panel.sources_list.add([data_dir(nexus_dirs) / "solar.md"])
        library_episode(qtbot, panel, episode)
        qtbot.waitUntil(lambda: not panel.sources_list.reading, timeout=10_000)
        # The status bar's device probes report into the window; let them finish before it closes.
        qtbot.waitUntil(lambda: window.status.pending == 0, timeout=60_000)
        turn = episode.turns[3]
        session = unstarted_session(episode, spec)
        panel.playback.adopt(OpenedSession(session, snapshot(episode)))
        session.player.state_changed.emit("playing")
        session.player.turn_started.emit(turn)
        session.player.sentence_started.emit(turn, 0)
        qtbot.wait(50)
        image = window.grab().toImage()
        assert not image.isNull() and image.width() >= 1180
        shot = shots("podcast_tab.png") if theme == "light" else shots("podcast_tab_dark.png")
        assert image.save(str(shot))
        view = panel.player.transcript_view
        current = view.visualRect(view.transcript.index(view.transcript.row_of(turn.id)))
        assert view.viewport().rect().intersects(current), "the highlighted turn is on screen"
        base = view.palette().color(QPalette.ColorRole.Base)
        tinted = image.pixelColor(view.viewport().mapTo(window, current.center() + QPoint(current.width() // 3, 0)))
        assert tinted != base, "the turn being heard is tinted"
    finally:
        apply_theme(app, "system")


def test_an_episode_made_elsewhere_appears_and_a_failed_one_says_why_it_cannot_play(
    qtbot: QtBot, nexus_dirs: dict[str, Path]
) -> None:
    from dataclasses import asdict

    from app.podcast.panel import episodes_dir

    panel = make_panel(qtbot)
    store = EpisodeStore(episodes_dir(panel.settings))
    qtbot.wait(300)  # the first listing (of a library folder that does not exist yet)
    # Another process (nexus-cli podcast make) writes episodes into the library: no refresh is asked for.
    failed = store.create("Failed before writing", asdict(EpisodeSpec()))
    failed.status, failed.writer = "failed", None
    store.save(failed)
    qtbot.waitUntil(lambda: failed.id in panel.library.episode_ids(), timeout=10_000)
    item = panel.library.tree.topLevelItem(0)
    assert item.text(3) == "Failed" and "nothing to play" in item.toolTip(3)
    panel.library.select(failed.id)
    assert not panel.library.play_button.isEnabled()
    assert "nothing to play" in panel.library.play_button.toolTip()
    panel.library.tree.itemDoubleClicked.emit(item, 0)
    assert panel.playback.phase == "idle" and "nothing to play" in panel.library.note_label.text()
    qtbot.waitUntil(lambda: panel.shown is not None and panel.shown.id == failed.id, timeout=10_000)
    assert "failed before any turn" in panel.player.meta_label.text()
    assert not panel.player.player_bar.play_button.isEnabled()
    assert not panel.player.join_bar.join_button.isEnabled()

    made = make_episode(data_dir(nexus_dirs), EpisodeSpec(format="brief", length="short"))
    qtbot.waitUntil(lambda: made.id in panel.library.episode_ids(), timeout=10_000)
    panel.library.select(made.id)
    assert panel.library.play_button.isEnabled()
