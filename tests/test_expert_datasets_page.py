"""The Datasets page of the Expert tab: library, preview with filters and media, build, validate, review.

Every dataset is made by the test in the fresh data dir of ``nexus_dirs``;
everything the page reads or writes runs in workers, so the tests wait for
the results with ``qtbot.waitUntil``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf
from PIL import Image, ImageDraw
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.expert.datasets.page import DatasetsPage
from app.theme import dark_palette
from engine.config import Settings, settings_from_values
from engine.live.recorder import SessionRecorder
from tests.train_fixtures import tiny_multimodal_dataset
from training.datasets.schema import MediaRef, Message, Modalities, Sample
from training.datasets.store import DatasetWriter, iter_samples, read_card
from training.datasets.validator import BAD_JSON, DUPLICATE, EMPTY_CONTENT, MEDIA_MISSING

WAIT_MS = 20_000


def fresh_settings() -> Settings:
    """Defaults only (the folders come from the test's environment)."""
    return settings_from_values({"ui": {"first_run_done": True}})


def datasets_root(dirs: dict[str, Path]) -> Path:
    return dirs["data"] / "datasets"


def _screenshot_image(path: Path) -> None:
    """A small picture that looks like an editor screenshot (dark panes, coloured code lines)."""
    image = Image.new("RGB", (480, 300), (24, 26, 31))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 479, 22), fill=(45, 48, 56))
    draw.rectangle((0, 23, 110, 299), fill=(33, 36, 43))
    palette = [(97, 175, 239), (198, 120, 221), (152, 195, 121), (229, 192, 123), (224, 108, 117)]
    for line in range(11):
        indent = 130 + 18 * (line % 3)
        draw.rectangle((indent, 40 + line * 22, indent + 60 + 23 * (line * 7 % 9), 50 + line * 22),
                       fill=palette[line % len(palette)])
    draw.rectangle((120, 270, 479, 299), fill=(120, 30, 40))
    image.save(path)


def _tone(path: Path, seconds: float = 1.5, rate: int = 16_000) -> None:
    t = np.arange(int(seconds * rate)) / rate
    envelope = np.minimum(1.0, 4 * t) * np.exp(-1.2 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    sf.write(path, (0.5 * envelope * np.sin(2 * np.pi * 330 * t)).astype(np.float32), rate)


def _video(path: Path) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=5)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for shade in range(0, 250, 50):
            pixels = np.zeros((48, 64, 3), np.uint8)
            pixels[..., 0] = 200
            pixels[..., 2] = shade
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def media_dataset(root: Path) -> Path:
    """The tiny colour dataset plus a sample with an image and audio, and one with a video."""
    tiny_multimodal_dataset(root)
    card = read_card(root)
    samples = list(iter_samples(root))
    media = root / "media"
    _screenshot_image(media / "editor.png")
    _tone(media / "question.wav")
    _video(media / "session.mp4")
    extra = [
        Sample(id="screen_and_voice", domain="multimodal_fullstack", category="live_screen_conversation",
               source="nexus-live-session",
               messages=[Message(role="system", content="You help with code on the user's screen."),
                         Message(role="user", content="<image><audio>Why does this test fail?"),
                         Message(role="assistant", content="The assertion compares a list with a tuple; "
                                                           "convert one of them before comparing.")],
               modalities=Modalities(image=[MediaRef(path="media/editor.png", type="screenshot")],
                                     audio=[MediaRef(path="media/question.wav", type="speech")])),
        Sample(id="deploy_clip", domain="multimodal_fullstack", category="video_walkthrough", source="test",
               messages=[Message(role="user", content="<video>What happens in this clip?"),
                         Message(role="assistant", content="The screen fades from red to magenta.")],
               modalities=Modalities(video=[MediaRef(path="media/session.mp4", type="deployment", fps=5)])),
    ]
    for path in root.glob("*.jsonl"):
        path.unlink()
    (root / "dataset.json").unlink()
    with DatasetWriter(root, card.name) as writer:
        writer.write_all(samples + extra)
    return root


@pytest.fixture
def page(qtbot: QtBot) -> Iterator[DatasetsPage]:
    widget = DatasetsPage(fresh_settings())
    qtbot.addWidget(widget)
    widget.resize(1360, 820)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.sample_view.player.stop()


def wait_listed(qtbot: QtBot, page: DatasetsPage, name: str) -> None:
    qtbot.waitUntil(lambda: any(e.name == name for e in page.library.entries), timeout=WAIT_MS)


def select_dataset(qtbot: QtBot, page: DatasetsPage, name: str) -> None:
    wait_listed(qtbot, page, name)
    entry = next(e for e in page.library.entries if e.name == name)
    assert page.library.select(entry.path)
    qtbot.waitUntil(lambda: page.preview.root == entry.path and not page.preview.loading, timeout=WAIT_MS)


def shown_ids(page: DatasetsPage) -> list[str]:
    return [row.id for row in page.preview.model.rows]


def wait_rows(qtbot: QtBot, page: DatasetsPage) -> None:
    qtbot.waitUntil(lambda: not page.preview.loading, timeout=WAIT_MS)


def test_library_lists_a_dataset_and_the_preview_filters_it(qtbot: QtBot, nexus_dirs: dict[str, Path],
                                                            page: DatasetsPage) -> None:
    media_dataset(datasets_root(nexus_dirs) / "colours")
    page.library.refresh()
    select_dataset(qtbot, page, "colours")
    entry = page.library.current()
    assert entry is not None and entry.card is not None and entry.card.total == 14
    item = page.library.tree.topLevelItem(0)
    assert [item.text(c) for c in range(3)] == ["colours", "14", "multimodal 10, text 4"]
    assert item.text(3).startswith(entry.card.created[:10])
    assert len(page.preview.model.rows) == 14
    assert "14 of 14 rows" in page.preview.status_label.text()

    page.preview.set_filters(modality="image")
    wait_rows(qtbot, page)
    assert shown_ids(page) == ["image1", "image4", "image7", "image10", "screen_and_voice"]
    page.preview.set_filters(modality="audio")
    wait_rows(qtbot, page)
    assert shown_ids(page) == ["audio2", "audio5", "audio8", "audio11", "screen_and_voice"]
    page.preview.set_filters(modality="video")
    wait_rows(qtbot, page)
    assert shown_ids(page) == ["deploy_clip"]
    page.preview.set_filters(modality="text")
    wait_rows(qtbot, page)
    assert shown_ids(page) == ["text0", "text3", "text6", "text9"]
    page.preview.set_filters(category="image", modality="image")
    wait_rows(qtbot, page)
    assert shown_ids(page) == ["image1", "image4", "image7", "image10"]
    page.preview.set_filters(domain="multimodal_fullstack")
    wait_rows(qtbot, page)
    assert shown_ids(page) == ["screen_and_voice", "deploy_clip"]
    assert page.preview.category_box.findText("live_screen_conversation") > 0

    assert page.stats.category_chart.items[0] == ("audio", 4)
    assert dict(page.stats.kind_chart.items) == {"multimodal": 10, "text": 4}


def test_a_multimodal_sample_shows_its_thumbnail_audio_and_video(shots: Callable[[str], Path], qtbot: QtBot, nexus_dirs: dict[str, Path],
                                                                 page: DatasetsPage) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    old_style, old_palette = app.style().name(), app.palette()
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    try:
        media_dataset(datasets_root(nexus_dirs) / "colours")
        page.library.refresh()
        select_dataset(qtbot, page, "colours")
        view = page.sample_view

        page.preview.select_row(shown_ids(page).index("deploy_clip"))
        qtbot.waitUntil(lambda: bool(view.media_cards) and not view.loading_media, timeout=WAIT_MS)
        [video] = view.media_cards
        assert video.preview.kind == "video" and video.thumbnail is not None
        assert not video.thumbnail.pixmap().isNull()
        assert "64×48" in video.info_label.text() and "5 fps" in video.info_label.text()
        assert video.preview.image is not None and video.preview.image.pixelColor(10, 10).red() > 150

        page.preview.select_row(shown_ids(page).index("screen_and_voice"))
        qtbot.waitUntil(lambda: len(view.media_cards) == 2 and not view.loading_media, timeout=WAIT_MS)
        image, audio = view.media_cards
        assert image.thumbnail is not None and not image.thumbnail.pixmap().isNull()
        assert image.thumbnail.pixmap().width() <= 260 and "480×300" in image.info_label.text()
        assert audio.preview.kind == "audio" and audio.play_button is not None and audio.waveform is not None
        assert "1.5 s" in audio.info_label.text() and "16,000 Hz mono" in audio.info_label.text()
        assert audio.waveform.peaks.shape[0] > 100 and audio.waveform.peaks.max() > 0.1
        text = view.messages.toPlainText()
        assert "Why does this test fail?" in text and "assistant" in text and "system" in text
        assert "screen_and_voice" in view.title.text()
        page.tabs.setCurrentIndex(0)
        qtbot.wait(50)
        assert page.grab().save(str(shots("expert_datasets.png")))

        # Without a speaker the reason is shown; with one the clip plays to its end.
        audio.play_button.click()
        qtbot.waitUntil(lambda: not view.player.playing, timeout=WAIT_MS)
        assert audio.play_button.text() == "▶ Play"
        if view.media_status.isVisible():
            assert view.media_status.text().startswith("The clip could not be played: ")
    finally:
        app.setStyle(old_style)
        app.setPalette(old_palette)


def test_synthetic_generation_runs_with_progress_and_lands_in_the_library(
        qtbot: QtBot, nexus_dirs: dict[str, Path], page: DatasetsPage) -> None:
    build = page.build_panel
    page.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: build.synthetic.ready, timeout=WAIT_MS)
    build.choose(build.synthetic)
    build.synthetic.check_categories(["basic_arithmetic", "capital_cities", "fs_api_rest_crud"])
    build.synthetic.per_category.setValue(4)
    assert "3 categories × 4 = 12 samples" in build.synthetic.total_label.text()
    build.name_edit.setText("my-synthetic")
    progress: list[tuple[object, str]] = []
    page.runner.progressed.connect(lambda fraction, text: progress.append((fraction, text)))
    build.build_button.click()
    assert page.runner.busy and not build.build_button.isEnabled()
    select_dataset(qtbot, page, "my-synthetic")
    assert page.library.current() is not None and page.library.current().name == "my-synthetic"
    card = read_card(datasets_root(nexus_dirs) / "my-synthetic")
    assert card.total == 12 and set(card.counts_by_category) == {"basic_arithmetic", "capital_cities",
                                                                 "fs_api_rest_crud"}
    assert progress and progress[-1][0] == 1.0
    assert "12 synthetic samples" in page.strip.label.text()
    assert len(page.preview.model.rows) == 12 and build.build_button.isEnabled()

    build.name_edit.setText("my-synthetic")
    build.build_button.click()
    assert "already exists" in page.banner.message_label.text()


def _planted(root: Path) -> Path:
    """A dataset with good rows and, appended to its shards, rows with planted problems."""
    good = [Sample(id=f"good{i}", domain="code", category="python", source="test",
                   messages=[Message(role="user", content=f"What does snippet {i} print, and why?"),
                             Message(role="assistant", content=f"It prints {i * 7} because the loop runs "
                                                               f"{i} times over a step of seven.")])
            for i in range(4)]
    with DatasetWriter(root) as writer:
        writer.write_all(good)
    shard = root / "text-00000.jsonl"
    duplicate = good[0].model_dump(mode="json") | {"id": "dup_of_good0"}
    empty = {"id": "empty_answer", "domain": "code", "category": "python", "source": "test",
             "messages": [{"role": "user", "content": "Explain decorators."},
                          {"role": "assistant", "content": " "}]}
    missing = {"id": "missing_image", "domain": "code", "category": "python", "source": "test",
               "messages": [{"role": "user", "content": "<image>What is shown?"},
                            {"role": "assistant", "content": "A chart of the build times."}],
               "modalities": {"image": [{"path": "media/nowhere.png", "type": "chart"}]}}
    with open(shard, "a", encoding="utf-8") as handle:
        for row in (duplicate, empty, missing):
            handle.write(json.dumps(row) + "\n")
        handle.write('{"id": "broken_json", "messages": [\n')
    return root


def test_validating_a_folder_with_planted_errors_shows_the_reasons(qtbot: QtBot, nexus_dirs: dict[str, Path],
                                                                   page: DatasetsPage) -> None:
    _planted(datasets_root(nexus_dirs) / "planted")
    page.library.refresh()
    select_dataset(qtbot, page, "planted")
    assert page.preview.model.rows[-1].broken and page.preview.model.rows[-1].kind_text == "broken"
    panel = page.validate_panel
    page.tabs.setCurrentIndex(3)
    assert panel.clean_name.text() == "planted-clean"
    panel.validate_button.click()
    qtbot.waitUntil(lambda: panel.report_view.report is not None, timeout=WAIT_MS)
    report = panel.report_view.report
    assert report is not None and report.kept == 4 and report.rejected == 4
    assert set(panel.report_view.reason_names()) == {DUPLICATE, EMPTY_CONTENT, MEDIA_MISSING, BAD_JSON}
    table = panel.report_view.reasons
    counts = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert counts == {DUPLICATE: "1", EMPTY_CONTENT: "1", MEDIA_MISSING: "1", BAD_JSON: "1"}
    missing_row = panel.report_view.reason_names().index(MEDIA_MISSING)
    table.selectRow(missing_row)
    examples = panel.report_view.examples
    assert examples.rowCount() == 1 and examples.item(0, 1).text() == "missing_image"
    assert "nowhere.png" in examples.item(0, 2).text()
    assert "4 of 8 rows kept" in panel.report_view.summary.text()
    wait_listed(qtbot, page, "planted-clean")
    assert read_card(datasets_root(nexus_dirs) / "planted-clean").total == 4


def _recorded_session(data_dir: Path) -> Path:
    recorder = SessionRecorder(data_dir)
    frame = recorder.save_frame(1, np.full((60, 80, 3), 90, np.uint8))
    audio = recorder.save_utterance(1, (0.1 * np.sin(np.arange(8000) / 5)).astype(np.float32))
    recorder.write_entry({"turn": 1, "user": "What is on my screen?", "frame": frame, "audio": audio,
                          "assistant": "A terminal with a failing test.", "interrupted": False})
    recorder.write_entry({"turn": 2, "user": "How do I run only that test?", "frame": None, "audio": None,
                          "assistant": "Use pytest -k with the test's name.", "interrupted": False})
    recorder.write_entry({"turn": 3, "user": "Thanks, and the slow ones?", "frame": None, "audio": None,
                          "assistant": "Mark them", "interrupted": True})
    recorder.close()
    return recorder.path


def test_the_sessions_review_saves_only_the_kept_and_edited_candidates(
        qtbot: QtBot, nexus_dirs: dict[str, Path], page: DatasetsPage) -> None:
    _recorded_session(nexus_dirs["data"])
    build = page.build_panel
    build.sessions.refresh()
    qtbot.waitUntil(lambda: not build.sessions.loading and build.sessions.list.count() == 1, timeout=WAIT_MS)
    build.choose(build.sessions)
    assert build.build_button.text() == "Review…"
    build.sessions.check_all()
    build.name_edit.setText("from-my-sessions")
    build.build_button.click()
    qtbot.waitUntil(lambda: build.review_dialog is not None and build.review_dialog.isVisible(),
                    timeout=WAIT_MS)
    dialog = build.review_dialog
    assert dialog is not None
    assert [c.keep for c in dialog.review.candidates] == [True, True, False]
    assert dialog.kept_label.text() == "2 of 3 kept"
    dialog.set_kept(1, False)
    assert dialog.kept_label.text() == "1 of 3 kept"
    dialog.table.selectRow(0)
    qtbot.waitUntil(lambda: not dialog.media_label.pixmap().isNull(), timeout=WAIT_MS)
    dialog.assistant_edit.setPlainText("A terminal showing one failing test.")
    assert dialog.table.item(0, 3).text() == "A terminal showing one failing test."
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    select_dataset(qtbot, page, "from-my-sessions")
    root = datasets_root(nexus_dirs) / "from-my-sessions"
    [sample] = list(iter_samples(root))
    assert sample.messages[0].content == "<image><audio>What is on my screen?"
    assert sample.messages[1].content == "A terminal showing one failing test."
    assert (root / "review.json").is_file() and len(page.preview.model.rows) == 1


def test_an_offline_hub_recipe_shows_the_hub_error(qtbot: QtBot, nexus_dirs: dict[str, Path],
                                                   page: DatasetsPage) -> None:
    build = page.build_panel
    qtbot.waitUntil(lambda: bool(build.hub.recipes), timeout=WAIT_MS)
    build.choose(build.hub)
    build.hub.total.setValue(20)
    build.name_edit.setText("from-the-hub")
    build.build_button.click()
    qtbot.waitUntil(lambda: page.banner.isVisible() and not page.runner.busy, timeout=WAIT_MS)
    message = page.banner.message_label.text()
    assert "offline" in message and "HF_HUB_OFFLINE" in message
    assert not (datasets_root(nexus_dirs) / "from-the-hub").exists()


def test_delete_asks_first_and_removes_the_folder(qtbot: QtBot, nexus_dirs: dict[str, Path],
                                                  page: DatasetsPage,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    tiny_multimodal_dataset(datasets_root(nexus_dirs) / "doomed")
    page.library.refresh()
    select_dataset(qtbot, page, "doomed")
    asked: list[str] = []

    def answer(_parent: object, title: str, *_rest: object) -> QMessageBox.StandardButton:
        asked.append(title)
        return QMessageBox.StandardButton.Cancel if len(asked) == 1 else QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    page.library.delete_selected()
    assert (datasets_root(nexus_dirs) / "doomed").is_dir()
    page.library.delete_selected()
    qtbot.waitUntil(lambda: not page.library.entries and not page.library.loading, timeout=WAIT_MS)
    assert asked == ["Delete dataset?", "Delete dataset?"]
    assert not (datasets_root(nexus_dirs) / "doomed").exists()
    assert page.preview.root is None and not page.preview.model.rows


def _big_dataset(root: Path, rows: int) -> Path:
    """``rows`` text samples written straight to one shard (fast), with a matching card."""
    root.mkdir(parents=True)
    line = ('{{"id":"row{i}","messages":[{{"role":"user","content":"Question number {i}?"}},'
            '{{"role":"assistant","content":"Answer number {i}."}}],"domain":"{d}","category":"c{c}",'
            '"source":"bulk"}}\n')
    with open(root / "text-00000.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(line.format(i=i, d="even" if i % 2 == 0 else "odd", c=i % 5) for i in range(rows))
    card = {"name": root.name, "created": "2025-01-01T00:00:00Z", "total": rows,
            "counts_by_kind": {"text": rows},
            "counts_by_domain": {"even": rows // 2, "odd": rows - rows // 2},
            "counts_by_category": {f"c{c}": rows // 5 for c in range(5)}, "counts_by_source": {"bulk": rows},
            "shards": ["text-00000.jsonl"]}
    (root / "dataset.json").write_text(json.dumps(card), encoding="utf-8")
    return root


def test_a_large_dataset_is_read_a_batch_at_a_time_without_freezing(
        qtbot: QtBot, nexus_dirs: dict[str, Path], page: DatasetsPage) -> None:
    from app.live.event_loop_probe import EventLoopProbe

    _big_dataset(datasets_root(nexus_dirs) / "big", 100_000)
    page.library.refresh()
    wait_listed(qtbot, page, "big")
    probe = EventLoopProbe()
    probe.start()
    try:
        select_dataset(qtbot, page, "big")
        assert len(page.preview.model.rows) == 2000
        assert "2,000 of 100,000 rows" in page.preview.status_label.text()
        page.preview.view.scrollToBottom()
        qtbot.waitUntil(lambda: len(page.preview.model.rows) == 4000 and not page.preview.loading,
                        timeout=WAIT_MS)
        assert page.preview.model.rows[-1].id == "row3999"
        page.preview.set_filters(domain="odd", category="c3")
        wait_rows(qtbot, page)
        rows = page.preview.model.rows
        assert len(rows) == 2000 and rows[0].id == "row3" and all(int(r.id[3:]) % 10 == 3 for r in rows)
    finally:
        probe.stop()
    print(f"event loop: longest block {probe.max_block_ms:.1f} ms over {probe.ticks} ticks")
    assert probe.max_block_ms < 250


def test_cancel_stops_a_build_and_leaves_nothing_behind(qtbot: QtBot, nexus_dirs: dict[str, Path],
                                                        page: DatasetsPage) -> None:
    build = page.build_panel
    qtbot.waitUntil(lambda: build.synthetic.ready, timeout=WAIT_MS)
    build.synthetic.check_categories([info.name for info in build.synthetic.categories[:20]])
    build.synthetic.per_category.setValue(50_000)
    build.name_edit.setText("too-big")
    build.build_button.click()
    qtbot.waitUntil(lambda: page.strip.bar.isVisible() and page.strip.cancel_button.isVisible(),
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: page.strip.bar.maximum() > 0 and page.strip.bar.value() > 0, timeout=WAIT_MS)
    page.strip.cancel_button.click()
    qtbot.waitUntil(lambda: not page.runner.busy, timeout=WAIT_MS)
    assert page.strip.label.text() == "Synthetic samples: cancelled."
    assert not page.banner.isVisible()
    assert not (datasets_root(nexus_dirs) / "too-big").exists()


def test_pairs_are_mixed_with_real_data_and_exported(qtbot: QtBot, nexus_dirs: dict[str, Path],
                                                     page: DatasetsPage) -> None:
    tiny_multimodal_dataset(datasets_root(nexus_dirs) / "real")
    build = page.build_panel
    build.choose(build.preference)
    build.preference.mode.setCurrentIndex(1)
    build.preference.per_category.setValue(2)
    build.name_edit.setText("pairs")
    build.build_button.click()
    select_dataset(qtbot, page, "pairs")
    assert read_card(datasets_root(nexus_dirs) / "pairs").total == 30
    assert page.preview.model.rows[0].kind_text == "pair"
    page.preview.select_row(0)
    shown = page.sample_view.messages.toPlainText()
    assert "chosen" in shown and "rejected" in shown

    mix = page.mix_panel
    qtbot.waitUntil(lambda: mix.datasets.count() == 2, timeout=WAIT_MS)
    for index in range(mix.datasets.count()):
        mix.datasets.item(index).setCheckState(Qt.CheckState.Checked)
    mix.real_fraction.setValue(50.0)
    mix.train.setValue(80.0)
    mix.val.setValue(10.0)
    mix.test.setValue(10.0)
    mix.name_edit.setText("mixed")
    mix.mix_button.click()
    select_dataset(qtbot, page, "mixed/train")
    assert {e.name for e in page.library.entries} >= {"mixed/train", "mixed/val", "mixed/test"}
    assert "mix done" in page.strip.label.text()

    select_dataset(qtbot, page, "pairs")
    export = page.export_panel
    export.format_box.setCurrentIndex(export.format_box.findData("trl_dpo"))
    assert export.folder_edit.text().endswith("pairs-trl_dpo")
    export.export_button.click()
    qtbot.waitUntil(lambda: export.last_folder is not None, timeout=WAIT_MS)
    lines = (export.last_folder / "nexus_dpo.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 30 and {"prompt", "chosen", "rejected"} <= set(json.loads(lines[0]))
    assert export.open_button.isEnabled() and "30 records" in export.result_label.text()


def test_importing_files_reports_skipped_rows(qtbot: QtBot, nexus_dirs: dict[str, Path], tmp_path: Path,
                                              page: DatasetsPage) -> None:
    data = tmp_path / "chats.jsonl"
    rows = [{"messages": [{"role": "user", "content": f"Hello {i}?"},
                          {"role": "assistant", "content": f"Hi {i}."}]} for i in range(5)]
    lines = [*map(json.dumps, rows), json.dumps({"unknown": "shape"})]
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    build = page.build_panel
    build.choose(build.importer)
    build.build_button.click()
    assert "Add the files" in page.banner.message_label.text()
    build.importer.add_paths([data, data])
    assert build.importer.files.count() == 1
    build.importer.domain.setText("chat")
    build.importer.category.setText("greetings")
    build.name_edit.setText("imported-chats")
    build.build_button.click()
    select_dataset(qtbot, page, "imported-chats")
    card = read_card(datasets_root(nexus_dirs) / "imported-chats")
    assert card.total == 5 and card.counts_by_domain == {"chat": 5} and card.counts_by_source == {"chats": 5}
    assert "5 records" in page.strip.label.text() and "1 rows skipped" in page.strip.label.text()
