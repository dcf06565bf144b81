"""Choosing the OpenAI-compatible server backend: Settings, the app's engine host, the status bar and nexus-cli.

Against the small scripted server of ``tests.remote_server`` (the real
llama-server runs in ``test_remote_llama_server.py``).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import keyring
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from app.engine_host import EngineHost
from app.main_window import MainWindow
from app.settings_dialog import SettingsDialog
from cli.main import main
from engine import paths
from engine.config import load_settings, save_settings, settings_from_values
from engine.omni.scripted import ScriptedEngine
from engine.remote import RemoteEngine
from engine.remote.keys import ENV_VAR, SERVICE
from tests.remote_server import MODEL, ChatServer
from tests.test_remote_engine import MemoryKeyring


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv(ENV_VAR, raising=False)


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with ChatServer() as running:
        running.models = ["other-model", MODEL]
        yield running


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def _dead_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/v1"


def _settle(qtbot: QtBot, dialog: SettingsDialog) -> None:
    """Wait for the dialog's audio-device probe, so no callback outlives the test."""
    qtbot.waitUntil(lambda: dialog.devices_note.text() != "Looking for audio devices…", timeout=30_000)


def _server_settings(url: str, model: str = "") -> None:
    save_settings(settings_from_values({"model": {"backend": "server", "server_url": url, "server_model": model}}))


# nexus-cli --------------------------------------------------------------------------------------


def test_cli_ask_with_server_streams_the_answer(server: ChatServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--server", server.url, "--server-model", MODEL, "--max-new-tokens", "20", "hi"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == "Hello there!"
    assert f"connecting to {MODEL} at {server.url[:-3]}" in captured.err
    body = server.chat_requests()[0].body
    assert body is not None and body["model"] == MODEL and body["max_tokens"] == 20


def test_cli_without_a_model_name_uses_the_servers_first(server: ChatServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["engine", "info", "--server", server.url]) == 0
    out = capsys.readouterr().out
    assert "model       other-model" in out and "backend     remote" in out


def test_cli_follows_the_server_chosen_in_settings(server: ChatServer, capsys: pytest.CaptureFixture[str]) -> None:
    _server_settings(server.url, MODEL)
    assert main(["ask", "hi"]) == 0
    assert capsys.readouterr().out.strip() == "Hello there!"
    assert server.chat_requests()[0].body["model"] == MODEL  # type: ignore[index]


@pytest.mark.parametrize(
    ("args", "expected", "hint"),
    [
        (["--server", "SERVER", "--server-model", "nope"], "does not serve a model named 'nope'", "It serves:"),
        (["--server", "DEAD"], "is unreachable", "Check that the server is running"),
        (["--server", "gpu-box:8000"], "is not a model server address", "http://"),
    ],
    ids=["unknown-model", "unreachable", "bad-address"],
)
def test_cli_server_errors_are_one_sentence_and_a_next_step(
    server: ChatServer, capsys: pytest.CaptureFixture[str], args: list[str], expected: str, hint: str
) -> None:
    args = [server.url if a == "SERVER" else _dead_url() if a == "DEAD" else a for a in args]
    assert main(["ask", *args, "hi"]) == 2
    err = capsys.readouterr().err
    assert "error: " in err and expected in err
    assert f"hint: {hint}" in err or hint in err.split("hint:", 1)[1]
    assert "Traceback" not in err
    assert server.chat_requests() == []


def test_cli_with_server_settings_but_no_address_says_where_to_set_it(capsys: pytest.CaptureFixture[str]) -> None:
    _server_settings("")
    assert main(["engine", "info"]) == 2
    err = capsys.readouterr().err
    assert "No model server address is set." in err and "--server URL" in err


# the app ----------------------------------------------------------------------------------------


def test_engine_host_connects_to_the_server_in_settings(server: ChatServer, qtbot: QtBot) -> None:
    host = EngineHost()
    states: list[str] = []
    host.state_changed.connect(states.append)
    settings = settings_from_values({"model": {"backend": "server", "server_url": server.url, "server_model": MODEL}})
    with qtbot.waitSignal(host.ready, timeout=10_000):
        host.load(settings)
    assert isinstance(host.engine, RemoteEngine)
    assert states == ["connecting…", f"ready: {MODEL} on {server.url[:-3]}"]
    assert [r.path for r in server.requests] == ["/v1/models"]
    host.engine.close()


def test_engine_host_says_why_an_unreachable_server_failed(qtbot: QtBot) -> None:
    host = EngineHost()
    url = _dead_url()
    with qtbot.waitSignal(host.failed, timeout=15_000) as failed:
        host.load(settings_from_values({"model": {"backend": "server", "server_url": url}}))
    message, hint = failed.args
    assert "unreachable" in message and url[:-3] in message
    assert "Check that the server is running" in hint
    assert host.engine is None and host.state.startswith("error: ")


def test_settings_dialog_chooses_a_server_tests_it_and_keeps_the_key_in_the_keyring(
    server: ChatServer, memory_keyring: MemoryKeyring, qtbot: QtBot
) -> None:
    window = MainWindow(load_settings())
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.status.pending == 0, timeout=60_000)
    window.engine_host.set_engine(ScriptedEngine(["local answer"]), name="Scripted", device="cpu")
    dialog = window.open_settings()
    assert isinstance(dialog, SettingsDialog)
    assert not dialog.server_form.isVisibleTo(dialog) and dialog.model_combo.isVisibleTo(dialog)
    dialog.backend_combo.setCurrentIndex(dialog.backend_combo.findData("server"))
    assert dialog.server_form.isVisibleTo(dialog) and not dialog.model_combo.isVisibleTo(dialog)
    form = dialog.server_form
    form.url_edit.setText(server.url)
    form.key_edit.setText("sk-typed")
    qtbot.mouseClick(form.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.test_button.isEnabled() and "Connected" in form.result_label.text(), timeout=10_000)
    assert f"other-model, {MODEL}" in form.result_label.text()
    assert server.requests[0].headers["authorization"] == "Bearer sk-typed"
    form.model_combo.setCurrentIndex(form.model_combo.findData(MODEL))
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    with qtbot.waitSignal(window.engine_host.ready, timeout=10_000):
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    saved = load_settings().model
    assert (saved.backend, saved.server_url, saved.server_model) == ("server", server.url, MODEL)
    assert memory_keyring.secrets == {(SERVICE, server.url[:-3]): "sk-typed"}
    assert "sk-typed" not in paths.config_file().read_text(encoding="utf-8")
    # The engine in use was local: the new choice replaced it with the server.
    assert isinstance(window.engine_host.engine, RemoteEngine)
    assert window.engine_host.state == f"ready: {MODEL} on {server.url[:-3]}"
    window.engine_host.engine.close()
    _settle(qtbot, dialog)
    qtbot.waitUntil(lambda: window.status.pending == 0, timeout=60_000)
    window.close()


def test_settings_dialog_reports_a_failed_connection_test(qtbot: QtBot) -> None:
    dialog = SettingsDialog(settings_from_values({"model": {"backend": "server"}}))
    qtbot.addWidget(dialog)
    dialog.server_form.url_edit.setText(_dead_url())
    dialog.server_form.test_connection()
    qtbot.waitUntil(lambda: dialog.server_form.test_button.isEnabled(), timeout=15_000)
    assert "unreachable" in dialog.server_form.result_label.text()
    _settle(qtbot, dialog)


def test_settings_dialog_needs_an_address_for_a_server(qtbot: QtBot) -> None:
    dialog = SettingsDialog(settings_from_values({"model": {"backend": "server"}}))
    qtbot.addWidget(dialog)
    dialog.accept()
    assert "Enter the server's address." in dialog.error_label.text()
    assert not paths.config_file().exists()
    _settle(qtbot, dialog)


def test_status_bar_names_the_server_before_it_is_connected(qtbot: QtBot) -> None:
    _server_settings("http://gpu-box:8000/v1", "qwen-omni")
    window = MainWindow(load_settings())
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.status.pending == 0, timeout=60_000)
    assert window.status.model_label.text() == (
        "Model: qwen-omni at http://gpu-box:8000 — server, connects when first needed"
    )
    window.close()
