"""The model manager against a fake Hugging Face hub served on 127.0.0.1.

The fake hub answers the two kinds of request the manager makes, in the shape
``huggingface_hub`` expects: ``GET /api/models/{repo}/revision/{rev}?blobs=True``
(siblings with size, blobId and lfs.sha256) and ``GET /{repo}/resolve/{rev}/{file}``
(LFS files redirect to a CDN path, like the real hub). It honours ``Range``,
can be slowed down, can corrupt a file or drop the connection mid-file, and
records every request so resume can be checked.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest
from huggingface_hub import constants as hf_constants

from engine.config import FolderSettings, Settings
from engine.errors import (
    DownloadCancelled,
    DownloadError,
    ModelNotFound,
    OfflineError,
    VerificationError,
)
from engine.models import (
    DEFAULT_THINKER_KEY,
    MANIFEST_NAME,
    DownloadProgress,
    ModelManager,
    get_spec,
)

if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

THINKER = get_spec(DEFAULT_THINKER_KEY)
BIG = "model-00001-of-00002.safetensors"
CHUNK = 64 * 1024
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _payload(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def _git_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class FakeHub:
    """A threaded HTTP server that pretends to be the Hugging Face hub."""

    repos: dict[str, dict[str, tuple[bytes, bool]]]
    delay: float = 0.0
    send_chunk: int = 32 * 1024
    honour_range: bool = True
    corrupt: set[str] = field(default_factory=set)
    abort_after: dict[str, int] = field(default_factory=dict)
    api_status: int | None = None
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    bytes_sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                try:
                    hub.handle(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def size_of(self, repo: str, wanted: Any) -> int:
        return sum(len(data) for name, (data, _lfs) in self.repos[repo].items() if wanted(name))

    def ranged(self) -> list[tuple[str, str]]:
        return [(path, rng) for path, rng in self.requests if rng]

    def reset_stats(self) -> None:
        with self.lock:
            self.requests.clear()
            self.bytes_sent = 0

    # ----- request handling -------------------------------------------------

    def handle(self, req: BaseHTTPRequestHandler) -> None:
        path = unquote(urlparse(req.path).path)
        with self.lock:
            self.requests.append((path, req.headers.get("Range")))
        api = re.fullmatch(r"/api/models/(.+?)(?:/revision/([^/]+))?", path)
        if api:
            return self.send_info(req, api.group(1))
        cdn = re.fullmatch(r"/cdn/([0-9a-f]{64})", path)
        if cdn:
            for repo in self.repos.values():
                for name, (data, _lfs) in repo.items():
                    if hashlib.sha256(data).hexdigest() == cdn.group(1):
                        return self.send_file(req, name, data)
            return self.send_status(req, 404, "EntryNotFound")
        resolve = re.fullmatch(r"/(.+?/.+?)/resolve/([^/]+)/(.+)", path)
        if resolve and resolve.group(1) in self.repos and resolve.group(2) in (COMMIT, "main"):
            entry = self.repos[resolve.group(1)].get(resolve.group(3))
            if entry is None:
                return self.send_status(req, 404, "EntryNotFound")
            data, lfs = entry
            if lfs:
                req.send_response(302)
                req.send_header("Location", f"/cdn/{hashlib.sha256(data).hexdigest()}")
                req.send_header("X-Repo-Commit", COMMIT)
                req.send_header("X-Linked-Size", str(len(data)))
                req.send_header("X-Linked-ETag", f'"{hashlib.sha256(data).hexdigest()}"')
                req.send_header("Content-Length", "0")
                req.end_headers()
                return None
            return self.send_file(req, resolve.group(3), data)
        return self.send_status(req, 404, "RepoNotFound")

    def send_status(self, req: BaseHTTPRequestHandler, status: int, code: str) -> None:
        body = json.dumps({"error": code}).encode()
        req.send_response(status)
        req.send_header("X-Error-Code", code)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)

    def send_info(self, req: BaseHTTPRequestHandler, repo: str) -> None:
        if self.api_status is not None:
            code = "GatedRepo" if self.api_status == 403 else "Unauthorized"
            return self.send_status(req, self.api_status, code)
        if repo not in self.repos:
            return self.send_status(req, 404, "RepoNotFound")
        siblings = []
        for name, (data, lfs) in self.repos[repo].items():
            sibling: dict[str, Any] = {"rfilename": name, "size": len(data), "blobId": _git_sha1(data)}
            if lfs:
                sha256 = hashlib.sha256(data).hexdigest()
                pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\n"
                pointer += f"size {len(data)}\n"
                sibling["blobId"] = _git_sha1(pointer.encode())
                sibling["lfs"] = {"size": len(data), "sha256": sha256, "pointerSize": len(pointer)}
            siblings.append(sibling)
        info = {"id": repo, "modelId": repo, "sha": COMMIT, "private": False, "siblings": siblings}
        body = json.dumps(info)
        req.send_response(200)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body.encode())

    def send_file(self, req: BaseHTTPRequestHandler, name: str, data: bytes) -> None:
        if name in self.corrupt:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        start = 0
        match = re.fullmatch(r"bytes=(\d+)-", req.headers.get("Range") or "")
        if match and self.honour_range:
            start = int(match.group(1))
            req.send_response(206)
            req.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            req.send_response(200)
        req.send_header("Content-Length", str(len(data) - start))
        req.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
        req.send_header("X-Repo-Commit", COMMIT)
        req.send_header("Accept-Ranges", "bytes")
        req.end_headers()
        limit = self.abort_after.get(name)
        position = start
        while position < len(data):
            end = min(position + self.send_chunk, len(data))
            if limit is not None and end > limit:
                req.wfile.write(data[position:limit])
                req.wfile.flush()
                req.connection.shutdown(socket.SHUT_RDWR)
                return
            req.wfile.write(data[position:end])
            with self.lock:
                self.bytes_sent += end - position
            position = end
            if self.delay:
                threading.Event().wait(self.delay)


def _repos() -> dict[str, dict[str, tuple[bytes, bool]]]:
    return {
        THINKER.repo_id: {
            "config.json": (b'{"model_type": "qwen2_5_omni"}', False),
            "tokenizer.json": (json.dumps({"vocab": list(range(2000))}).encode(), False),
            BIG: (_payload(640 * 1024, 1), True),
            "model-00002-of-00002.safetensors": (_payload(256 * 1024, 2), True),
            "README.md": (b"# not wanted\n", False),
            "assets/figure.png": (_payload(1000, 3), True),
        },
        "Systran/faster-whisper-small.en": {
            "config.json": (b"{}", False),
            "model.bin": (_payload(96 * 1024, 4), True),
            "vocabulary.txt": (b"a\nb\n", False),
            "README.md": (b"whisper\n", False),
        },
        "rhasspy/piper-voices": {
            f"en/en_US/{name}/medium/{file}": (_payload(8 * 1024, seed), file.endswith(".onnx"))
            for seed, name in enumerate(("lessac", "ryan", "amy"))
            for file in (f"en_US-{name}-medium.onnx", f"en_US-{name}-medium.onnx.json")
        },
    }


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo the test suite's default HF_HUB_OFFLINE for tests that talk to the fake hub."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")


@pytest.fixture
def hub(online: None) -> Iterator[FakeHub]:
    """A running fake hub with a thinker, a Whisper model and three Piper voices."""
    server = FakeHub(_repos())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def manager(hub: FakeHub, tmp_path: Path) -> ModelManager:
    """A manager on a fresh models folder that downloads from the fake hub in 64 KiB chunks."""
    return ModelManager(tmp_path / "models", endpoint=hub.endpoint, chunk_size=CHUNK)


def _wanted_total(hub: FakeHub) -> int:
    return hub.size_of(THINKER.repo_id, THINKER.wants)


def _cancel_after(
    limit: int, event: threading.Event, seen: list[DownloadProgress]
) -> Callable[[DownloadProgress], None]:
    def callback(progress: DownloadProgress) -> None:
        seen.append(progress)
        if progress.bytes_done >= limit:
            event.set()

    return callback


# ----- downloading ------------------------------------------------------------


def test_download_reports_monotone_progress_and_installs(manager: ModelManager, hub: FakeHub) -> None:
    seen: list[DownloadProgress] = []
    path = manager.download(THINKER.key, progress=seen.append)
    total = _wanted_total(hub)
    assert path == manager.root_for(THINKER)
    assert seen and all(p.bytes_total == total for p in seen)
    done = [p.bytes_done for p in seen]
    assert done == sorted(done)
    assert done[-1] == total and seen[-1].fraction == 1.0
    wanted = {"config.json", "tokenizer.json", BIG, "model-00002-of-00002.safetensors"}
    assert {p.file for p in seen} == wanted
    for name, (data, _lfs) in hub.repos[THINKER.repo_id].items():
        target = path / name
        assert target.exists() == THINKER.wants(name)
        if THINKER.wants(name):
            assert target.read_bytes() == data
    assert not list(path.rglob("*.part"))
    manifest = json.loads((path / MANIFEST_NAME).read_text())
    assert manifest["keys"][THINKER.key]["commit"] == COMMIT
    assert manager.resolve(THINKER.repo_id) == path
    assert manager.verify(THINKER.key).ok
    status = {s.spec.key: s for s in manager.list()}[THINKER.key]
    assert status.installed and status.bytes_on_disk >= total


def test_second_download_fetches_nothing(manager: ModelManager, hub: FakeHub) -> None:
    manager.download(THINKER.key)
    hub.reset_stats()
    seen: list[DownloadProgress] = []
    manager.download(THINKER.key, progress=seen.append)
    assert hub.bytes_sent == 0
    assert seen[-1].bytes_done == seen[-1].bytes_total


def _cdn(data: bytes) -> str:
    return f"/cdn/{hashlib.sha256(data).hexdigest()}"


def test_cancel_keeps_the_part_and_the_next_download_resumes_with_range(
    manager: ModelManager, hub: FakeHub
) -> None:
    cancel = threading.Event()
    seen: list[DownloadProgress] = []
    with pytest.raises(DownloadCancelled) as info:
        manager.download(THINKER.key, progress=_cancel_after(300 * 1024, cancel, seen), cancel=cancel)
    assert "resume" in info.value.hint
    root = manager.root_for(THINKER)
    big = hub.repos[THINKER.repo_id][BIG][0]
    config = hub.repos[THINKER.repo_id]["config.json"][0]
    kept = (root / f"{BIG}.part").stat().st_size
    assert 0 < kept < len(big)
    assert not (root / BIG).exists()
    assert not manager.is_installed(THINKER)

    _wait_until_quiet(hub)
    hub.reset_stats()
    resumed: list[DownloadProgress] = []
    manager.download(THINKER.key, progress=resumed.append)
    assert (_cdn(big), f"bytes={kept}-") in hub.ranged()
    assert hub.bytes_sent == _wanted_total(hub) - len(config) - kept
    assert resumed[0].bytes_done < resumed[-1].bytes_done == resumed[-1].bytes_total
    assert (root / BIG).read_bytes() == big
    assert not (root / f"{BIG}.part").exists()
    assert manager.verify(THINKER.key).ok


def _wait_until_quiet(hub: FakeHub, settle_s: float = 0.2) -> None:
    """The server thread of a cancelled request may still be writing its last chunk; let it finish."""
    last = -1
    while hub.bytes_sent != last:
        last = hub.bytes_sent
        time.sleep(settle_s)


def test_dropped_connection_keeps_the_part_and_resumes(manager: ModelManager, hub: FakeHub) -> None:
    hub.abort_after[BIG] = 200 * 1024
    with pytest.raises(DownloadError) as info:
        manager.download(THINKER.key)
    assert not isinstance(info.value, OfflineError)
    assert "resumes" in info.value.hint
    part = manager.root_for(THINKER) / f"{BIG}.part"
    kept = part.stat().st_size
    assert 0 < kept <= 200 * 1024

    hub.abort_after.clear()
    hub.reset_stats()
    manager.download(THINKER.key)
    assert any(rng == f"bytes={kept}-" for _path, rng in hub.ranged())
    assert (manager.root_for(THINKER) / BIG).read_bytes() == hub.repos[THINKER.repo_id][BIG][0]


def test_resume_still_works_when_the_server_ignores_range(manager: ModelManager, hub: FakeHub) -> None:
    cancel = threading.Event()
    with pytest.raises(DownloadCancelled):
        manager.download(THINKER.key, progress=_cancel_after(300 * 1024, cancel, []), cancel=cancel)
    hub.honour_range = False
    seen: list[DownloadProgress] = []
    manager.download(THINKER.key, progress=seen.append)
    done = [p.bytes_done for p in seen]
    assert done == sorted(done) and done[-1] == _wanted_total(hub)
    assert (manager.root_for(THINKER) / BIG).read_bytes() == hub.repos[THINKER.repo_id][BIG][0]


@pytest.mark.parametrize("name", [BIG, "tokenizer.json"], ids=["lfs-sha256", "git-sha1"])
def test_a_corrupted_file_is_detected_and_removed(manager: ModelManager, hub: FakeHub, name: str) -> None:
    hub.corrupt.add(name)
    with pytest.raises(VerificationError) as info:
        manager.download(THINKER.key)
    assert name in info.value.message and "damaged" in info.value.message
    root = manager.root_for(THINKER)
    assert not (root / name).exists()
    assert not (root / f"{name}.part").exists()
    assert not manager.is_installed(THINKER)
    with pytest.raises(ModelNotFound):
        manager.resolve(THINKER.key)


def test_verify_finds_damage_without_network_and_download_repairs(
    manager: ModelManager, hub: FakeHub
) -> None:
    manager.download(THINKER.key)
    root = manager.root_for(THINKER)
    big = root / BIG
    data = bytearray(big.read_bytes())
    data[1000] ^= 0x01
    big.write_bytes(bytes(data))
    (root / "model-00002-of-00002.safetensors").write_bytes(b"short")
    (root / "tokenizer.json").unlink()
    hub.reset_stats()

    report = manager.verify(THINKER.key)
    assert hub.requests == []
    statuses = {check.path: check.status for check in report.files}
    assert statuses == {
        "config.json": "ok",
        BIG: "hash_mismatch",
        "model-00002-of-00002.safetensors": "size_mismatch",
        "tokenizer.json": "missing",
    }
    assert not report.ok and len(report.problems) == 3
    assert {c.path: c.status for c in manager.verify(THINKER.key).files} == statuses
    assert not manager.is_installed(THINKER)

    manager.download(THINKER.key)
    assert manager.verify(THINKER.key).ok


def test_verify_of_a_model_never_downloaded_says_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound) as info:
        ModelManager(tmp_path / "models").verify("whisper-base.en")
    assert "nexus-cli models download whisper-base.en" in info.value.hint


def test_piper_voice_downloads_only_its_own_folder(manager: ModelManager, hub: FakeHub) -> None:
    ryan = get_spec("piper-en_US-ryan-medium")
    lessac = get_spec("piper-en_US-lessac-medium")
    path = manager.download(ryan.key)
    assert path == manager.root_for(ryan) / "en" / "en_US" / "ryan" / "medium"
    assert sorted(p.name for p in path.iterdir()) == ["en_US-ryan-medium.onnx", "en_US-ryan-medium.onnx.json"]
    assert not (manager.root_for(ryan) / "en" / "en_US" / "lessac").exists()
    assert manager.resolve("en_US-ryan-medium") == path
    assert not manager.is_installed(lessac)
    manager.download(lessac.key)
    assert manager.is_installed(lessac) and manager.is_installed(ryan)


# ----- failures -----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("how", ["server-stopped", "unreachable-port", "HF_HUB_OFFLINE", "hub-constant"])
def test_offline_is_an_offline_error_that_says_what_to_do(
    how: str, hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = hub.endpoint
    if how == "server-stopped":
        hub.stop()
    elif how == "unreachable-port":
        endpoint = f"http://127.0.0.1:{_free_port()}"
    elif how == "HF_HUB_OFFLINE":
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    else:
        monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    manager = ModelManager(tmp_path / "models", endpoint=endpoint)
    with pytest.raises(OfflineError) as info:
        manager.download(THINKER.key)
    error = info.value
    assert "cannot be reached" in error.message or "Offline mode" in error.message
    assert "Settings → Model → Local folder" in error.hint
    assert f"nexus-cli models download {THINKER.key}" in error.hint
    assert str(manager.models_dir) in error.hint
    assert not list(manager.models_dir.rglob("*.part"))


@pytest.mark.parametrize("status", [401, 403])
def test_refused_access_is_a_clear_download_error(manager: ModelManager, hub: FakeHub, status: int) -> None:
    hub.api_status = status
    with pytest.raises(DownloadError) as info:
        manager.download(THINKER.key)
    assert not isinstance(info.value, OfflineError)
    assert f"HTTP {status}" in info.value.message
    assert "token" in info.value.hint


def test_unknown_repository_is_a_404_download_error(manager: ModelManager) -> None:
    with pytest.raises(DownloadError) as info:
        manager.download("someone/no-such-model")
    assert "HTTP 404" in info.value.message and "someone/no-such-model" in info.value.message


def test_resolve_uses_a_valid_local_folder_and_explains_what_is_missing(tmp_path: Path) -> None:
    manager = ModelManager(tmp_path / "models")
    local = tmp_path / "local-model"
    local.mkdir()
    (local / "config.json").write_text("{}")
    assert manager.resolve(THINKER.repo_id, local_path=local) == local

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelNotFound) as info:
        manager.resolve(THINKER.repo_id, local_path=empty)
    assert str(empty) in info.value.message and "Local folder" in info.value.hint

    with pytest.raises(ModelNotFound) as info:
        manager.resolve(THINKER.repo_id)
    assert "Settings → Model → Local folder" in info.value.hint
    assert f"nexus-cli models download {THINKER.key}" in info.value.hint

    with pytest.raises(ModelNotFound):
        manager.resolve("no-such-model")


# ----- nexus-cli models ------------------------------------------------------------


def _line(text: str, key: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(key))


def test_cli_lists_downloads_and_verifies(
    hub: FakeHub, capsys: pytest.CaptureFixture[str], nexus_dirs: dict[str, Path]
) -> None:
    from cli.main import main

    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "not downloaded" in _line(out, "whisper-small.en")
    assert THINKER.key in out

    assert main(["models", "download", "whisper-small.en", "--endpoint", hub.endpoint]) == 0
    captured = capsys.readouterr()
    assert "100.0%" in captured.err and "ready" in captured.out
    model = nexus_dirs["cache"] / "models" / "Systran--faster-whisper-small.en" / "model.bin"
    assert model.read_bytes() == hub.repos["Systran/faster-whisper-small.en"]["model.bin"][0]

    assert main(["models", "list"]) == 0
    assert "installed" in _line(capsys.readouterr().out, "whisper-small.en")
    assert main(["models", "verify", "whisper-small.en"]) == 0
    assert "intact" in capsys.readouterr().out

    model.write_bytes(b"x" + model.read_bytes()[1:])
    assert main(["models", "verify", "whisper-small.en"]) == 1
    captured = capsys.readouterr()
    assert "damaged" in captured.out and "models download whisper-small.en" in captured.err


def test_cli_download_offline_exits_2_with_the_hint(capsys: pytest.CaptureFixture[str]) -> None:
    from cli.main import main

    assert main(["models", "download", THINKER.key, "--endpoint", f"http://127.0.0.1:{_free_port()}"]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "hint:" in err and "Local folder" in err


def test_cli_ctrl_c_stops_cleanly_and_keeps_the_part(
    hub: FakeHub, capsys: pytest.CaptureFixture[str], nexus_dirs: dict[str, Path]
) -> None:
    import signal

    from cli.main import main

    hub.delay = 0.05
    part = nexus_dirs["cache"] / "models" / THINKER.folder_name / f"{BIG}.part"

    returned = threading.Event()

    def interrupt_once_downloading() -> None:
        while not returned.wait(0.02):
            if hub.bytes_sent >= CHUNK:
                signal.raise_signal(signal.SIGINT)
                return

    threading.Thread(target=interrupt_once_downloading, daemon=True).start()
    try:
        code = main(["models", "download", THINKER.key, "--endpoint", hub.endpoint])
    finally:
        returned.set()
    assert code == 130
    err = capsys.readouterr().err
    assert "cancelled" in err and "resumes" in err
    assert part.exists()


# ----- first-run dialog -----------------------------------------------------------


def _dialog(qtbot: Any, manager: ModelManager) -> Any:
    from app.first_run_dialog import FirstRunDialog

    settings = Settings(folders=FolderSettings(models_dir=manager.models_dir))
    dialog = FirstRunDialog(settings, manager=manager)
    qtbot.addWidget(dialog)
    return dialog


def test_first_run_dialog_downloads_with_a_progress_bar(qtbot: Any, manager: ModelManager) -> None:
    dialog = _dialog(qtbot, manager)
    assert dialog.thinker_buttons[DEFAULT_THINKER_KEY].isChecked()
    assert not dialog.continue_button.isEnabled()
    assert dialog.pending_keys() == [
        DEFAULT_THINKER_KEY,
        "whisper-small.en",
        "piper-en_US-lessac-medium",
        "piper-en_US-ryan-medium",
    ]
    values: list[int] = []
    dialog.progress_bar.valueChanged.connect(values.append)
    with qtbot.waitSignal(dialog.download_finished, timeout=10_000) as blocker:
        dialog.download_button.click()
        assert dialog.cancel_button.isEnabled() and not dialog.download_button.isEnabled()
    assert blocker.args == [None]
    assert dialog.progress_bar.value() == 100
    assert any(0 < v < 100 for v in values)
    assert "of" in dialog.status_label.text() or "downloaded" in dialog.status_label.text()
    assert all(manager.is_installed(get_spec(k)) for k in ("whisper-small.en", "piper-en_US-ryan-medium"))
    assert "installed" in dialog.thinker_buttons[DEFAULT_THINKER_KEY].text()
    assert dialog.pending_keys() == [] and not dialog.download_button.isEnabled()
    assert dialog.continue_button.isEnabled()
    dialog.continue_button.click()
    assert dialog.settings.model.model_id == THINKER.repo_id
    assert dialog.settings.model.local_path is None
    assert dialog.settings.ui.first_run_done


def test_first_run_dialog_cancel_keeps_the_part(qtbot: Any, manager: ModelManager, hub: FakeHub) -> None:
    hub.delay = 0.05
    dialog = _dialog(qtbot, manager)
    dialog.download_button.click()
    qtbot.waitUntil(lambda: dialog.progress_bar.value() > 0, timeout=5_000)
    with qtbot.waitSignal(dialog.download_finished, timeout=5_000) as blocker:
        dialog.cancel_button.click()
    assert isinstance(blocker.args[0], DownloadCancelled)
    assert "resumes" in dialog.error_label.text()
    assert dialog.download_button.isEnabled() and not dialog.cancel_button.isEnabled()
    assert not manager.is_installed(THINKER)
    assert list(manager.root_for(THINKER).glob("*.part"))


def test_first_run_dialog_closing_mid_download_cancels_first(
    qtbot: Any, manager: ModelManager, hub: FakeHub
) -> None:
    hub.delay = 0.05
    dialog = _dialog(qtbot, manager)
    dialog.show()
    dialog.download_button.click()
    qtbot.waitUntil(lambda: dialog.progress_bar.value() > 0, timeout=5_000)
    with qtbot.waitSignal(dialog.finished, timeout=5_000):
        dialog.reject()
        assert dialog.isVisible()
    assert not dialog.isVisible() and not dialog.is_downloading()
    assert not dialog.settings.ui.first_run_done


def test_first_run_dialog_validates_a_local_folder(qtbot: Any, manager: ModelManager, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, manager)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert not dialog.use_local_folder(empty)
    assert "does not hold a model" in dialog.error_label.text()
    assert not dialog.continue_button.isEnabled()

    local = tmp_path / "checkpoint"
    local.mkdir()
    (local / "config.json").write_text("{}")
    assert dialog.use_local_folder(local)
    assert dialog.error_label.text() == ""
    assert DEFAULT_THINKER_KEY not in dialog.pending_keys()
    assert dialog.continue_button.isEnabled()
    dialog.continue_button.click()
    assert dialog.settings.model.local_path == local
