"""The remote backend against a local OpenAI-compatible server: streaming, media, cancel, errors, keys."""

from __future__ import annotations

import base64
import io
import socket
import time
from collections.abc import Iterator
from typing import Any

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.errors
import numpy as np
import pytest
import soundfile as sf
from jaraco.classes.properties import classproperty
from PIL import Image

from engine.config import load_settings, save_settings
from engine.omni.base import Engine
from engine.omni.media_policy import MediaPolicy
from engine.omni.prompt import build_conversation
from engine.omni.turn import CancelToken, Message, Turn, UserContent, VideoClip
from engine.remote import (
    RemoteEngine,
    RemoteEngineError,
    delete_api_key,
    load_api_key,
    normalize_base_url,
    store_api_key,
    turn_to_messages,
)
from engine.remote.keys import ENV_VAR, SERVICE
from tests.remote_server import MODEL, ChatServer, Script

FAST_S = 5.0


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv(ENV_VAR, raising=False)


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with ChatServer() as running:
        yield running


_open_engines: list[RemoteEngine] = []


@pytest.fixture(autouse=True)
def _close_engines() -> Iterator[None]:
    yield
    while _open_engines:
        _open_engines.pop().close()


def _remote(base_url: str, model: str = MODEL, **kwargs: Any) -> RemoteEngine:
    engine = RemoteEngine(base_url, model, **kwargs)
    _open_engines.append(engine)
    return engine


def _engine(server: ChatServer, **kwargs: Any) -> RemoteEngine:
    return _remote(server.url, **kwargs)


def _text_turn(text: str = "Say hello.") -> Turn:
    return Turn(user=UserContent(text=text))


def test_streams_deltas_and_fills_stats(server: ChatServer) -> None:
    with _engine(server, api_key="sk-test", max_tokens=64, temperature=0.2, top_p=0.5) as engine:
        deltas = list(engine.stream(_text_turn()))
    assert deltas == ["Hel", "lo", " there", "!"]
    assert "".join(deltas) == "Hello there!"
    stats = engine.last_stats
    assert stats.generated_tokens == 7  # from the server's usage, not the delta count
    assert (stats.prompt_tokens, stats.reused_prefix_tokens, stats.prefill_tokens) == (42, 10, 32)
    assert stats.time_to_first_token_s is not None and 0 < stats.time_to_first_token_s <= stats.total_s
    assert not stats.cancelled
    [request] = server.chat_requests()
    assert request.headers["authorization"] == "Bearer sk-test"
    body = request.body
    assert body is not None
    assert body["model"] == MODEL and body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert (body["max_tokens"], body["temperature"], body["top_p"]) == (64, 0.2, 0.5)


def test_counts_deltas_when_server_sends_no_usage(server: ChatServer) -> None:
    server.script = Script(deltas=["a", "b", "c"], usage=None)
    engine = _engine(server)
    assert "".join(engine.stream(_text_turn())) == "abc"
    assert engine.last_stats.generated_tokens == 3
    assert engine.last_stats.prompt_tokens == 0
    assert "authorization" not in server.chat_requests()[0].headers


def _decode_data_url(url: str, mime: str) -> bytes:
    prefix = f"data:{mime};base64,"
    assert url.startswith(prefix)
    return base64.b64decode(url[len(prefix) :])


def _decoded_image(part: dict[str, Any]) -> np.ndarray:
    assert part["type"] == "image_url"
    return np.asarray(Image.open(io.BytesIO(_decode_data_url(part["image_url"]["url"], "image/jpeg"))))


def _decoded_audio(part: dict[str, Any]) -> np.ndarray:
    assert part["type"] == "input_audio" and part["input_audio"]["format"] == "wav"
    wav, rate = sf.read(io.BytesIO(base64.b64decode(part["input_audio"]["data"])), dtype="float32")
    assert rate == 16_000
    return np.asarray(wav)


def test_history_and_media_reach_the_server_decodable(server: ChatServer) -> None:
    # Sides are multiples of 28 px, so the media rule sends them at their own size.
    y, x = np.mgrid[0:56, 0:84]
    image = np.stack([x * 3, y * 4, (x + y) * 2], axis=-1).astype(np.uint8)
    old_image = np.full((56, 56, 3), 90, dtype=np.uint8)
    frames = [np.full((28, 28, 3), value, dtype=np.uint8) for value in (40, 200)]
    audio = (0.5 * np.sin(2 * np.pi * 440 * np.arange(8000) / 16_000)).astype(np.float32)
    turn = Turn(
        system_prompt="Be brief.",
        history=[
            Message("user", "What is this?", UserContent(text="What is this?", images=[old_image])),
            Message("assistant", "It is a gra", interrupted=True),
        ],
        user=UserContent(text="And now?", images=[image], video=VideoClip(frames, fps=2.0), audio=audio),
    )
    list(_engine(server).stream(turn))
    body = server.chat_requests()[0].body
    assert body is not None
    messages = body["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[0]["content"] == "Be brief."
    assert messages[2]["content"] == "It is a gra"
    # The earlier user turn is within the media window: its image is sent again, before its text.
    history_parts = messages[1]["content"]
    assert [p["type"] for p in history_parts] == ["image_url", "text"]
    assert _decoded_image(history_parts[0]).shape == old_image.shape
    assert history_parts[1]["text"] == "What is this?"
    # Images, then the clip's frames (as images, where the in-process prompt puts the clip), audio, text.
    parts = messages[3]["content"]
    assert [p["type"] for p in parts] == ["image_url", "image_url", "image_url", "input_audio", "text"]
    assert parts[-1] == {"type": "text", "text": "And now?"}
    for part, original in zip(parts[:3], [image, *frames], strict=True):
        sent = _decoded_image(part)
        assert sent.shape == original.shape
        assert np.abs(sent.astype(int) - original.astype(int)).mean() < 3  # JPEG is lossy
    np.testing.assert_allclose(_decoded_audio(parts[3]), audio, atol=1e-4)


_MEDIA_KINDS = {"image": "image_url", "video": "image_url", "audio": "input_audio"}


def test_prompt_keeps_media_exactly_where_the_in_process_prompt_does() -> None:
    frame = np.zeros((16, 16, 3), dtype=np.uint8)
    beep = np.zeros(1600, dtype=np.float32)
    history: list[Message] = []
    for index in range(5):
        content = UserContent(text=f"turn {index}", images=[frame], audio=beep)
        history += [Message("user", content.text, content), Message("assistant", f"answer {index}")]
    turn = Turn(user=UserContent(text="now", video=VideoClip([frame, frame], fps=0.5)), history=history)
    for window, block in ((0, 1), (1, 1), (3, 1), (3, 3), (2, 2), (10, 3)):
        sent = turn_to_messages(turn, window, block)
        expected, _ = build_conversation(turn, window, block)
        assert [m["role"] for m in sent] == [m["role"] for m in expected]
        for got, want in zip(sent, expected, strict=True):
            want_kinds = [p["type"] for p in want["content"]]
            if want_kinds in (["text"], []):
                assert got["content"] == "".join(p["text"] for p in want["content"])
                continue
            got_kinds = [p["type"] for p in got["content"]]
            frames_per_clip = 2
            expanded = [
                kind
                for want_kind in want_kinds
                for kind in [_MEDIA_KINDS.get(want_kind, "text")] * (frames_per_clip if want_kind == "video" else 1)
            ]
            assert got_kinds == expanded
    # Window 1: only the last history user turn keeps its image and audio; older ones are text.
    sent = turn_to_messages(turn, 1, 1)
    assert [m["content"] for m in sent[1:8:2]] == ["turn 0", "turn 1", "turn 2", "turn 3"]
    assert [p["type"] for p in sent[9]["content"]] == ["image_url", "input_audio", "text"]


def test_media_follow_the_in_process_media_rule(server: ChatServer) -> None:
    screen = np.full((1000, 1000, 3), 120, dtype=np.uint8)
    first = UserContent(text="look", images=[screen])
    engine = _engine(server, policy=MediaPolicy(max_pixels=28 * 28 * 4))
    list(engine.stream(Turn(user=first)))
    assert first.images[0].shape == (56, 56, 3)  # fitted in place: history keeps what was sent
    history = [Message("user", "look", first), Message("assistant", "ok")]
    again = UserContent(text="and now?", images=[screen.copy()])
    list(engine.stream(Turn(user=again, history=history)))
    assert engine.last_stats.skipped_duplicate_frames == 1  # the prompt still shows that frame
    body = server.chat_requests()[-1].body
    assert body is not None
    assert body["messages"][-1] == {"role": "user", "content": "and now?"}
    assert _decoded_image(body["messages"][-3]["content"][0]).shape == (56, 56, 3)


def test_empty_system_prompt_is_left_to_the_server() -> None:
    messages = turn_to_messages(Turn(user=UserContent(text="hi"), system_prompt=""))
    assert messages == [{"role": "user", "content": "hi"}]


def test_cancel_after_third_delta_closes_the_connection(server: ChatServer) -> None:
    server.script = Script(deltas=[f"w{i} " for i in range(12)], delay_s=0.1)
    engine = _engine(server)
    cancel = CancelToken()
    received: list[str] = []
    iterator = engine.stream(_text_turn(), cancel)
    for delta in iterator:
        received.append(delta)
        if len(received) == 3:
            cancel.cancel()
            cancelled_at = time.monotonic()
    stopped_after = time.monotonic() - cancelled_at
    assert received == ["w0 ", "w1 ", "w2 "]
    assert stopped_after < 0.1  # shorter than the gap between chunks: it did not wait for one
    assert engine.last_stats.cancelled and engine.last_stats.generated_tokens == 3
    assert server.disconnected.wait(FAST_S), "server never saw the client go"
    assert server.disconnected_at is not None and server.disconnected_at < 12
    assert not server.finished.is_set()
    assert time.monotonic() - cancelled_at < 0.9  # the rest of the answer would take 0.9 s


def test_cancel_before_start_sends_nothing(server: ChatServer) -> None:
    cancel = CancelToken()
    cancel.cancel()
    engine = _engine(server)
    assert list(engine.stream(_text_turn(), cancel)) == []
    assert engine.last_stats.cancelled
    assert server.chat_requests() == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _expect_error(engine: RemoteEngine, *expected: str) -> tuple[RemoteEngineError, list[str]]:
    received: list[str] = []
    started = time.monotonic()
    with pytest.raises(RemoteEngineError) as caught:
        for delta in engine.stream(_text_turn()):
            received.append(delta)
    assert time.monotonic() - started < FAST_S
    text = str(caught.value)
    for piece in expected:
        assert piece in text, f"{piece!r} not in {text!r}"
    return caught.value, received


def test_unreachable_server_names_the_address() -> None:
    port = _free_port()
    engine = _remote(f"http://127.0.0.1:{port}/v1")
    error, _ = _expect_error(engine, f"http://127.0.0.1:{port}", "unreachable")
    assert "running" in error.hint


def test_wrong_or_missing_api_key(server: ChatServer) -> None:
    server.api_key = "sk-right"
    error, _ = _expect_error(_engine(server, api_key="sk-wrong"), "rejected the API key", "HTTP 401")
    assert "Incorrect API key provided." in error.message and ENV_VAR in error.hint
    _expect_error(_engine(server), "needs an API key", "HTTP 401")
    assert "".join(_engine(server, api_key="sk-right").stream(_text_turn())) == "Hello there!"


def test_unknown_model_quotes_server_and_lists_served_models(server: ChatServer) -> None:
    error, _ = _expect_error(
        _engine(server, model="qwen-nope"), "HTTP 404", "qwen-nope", "The model `qwen-nope` does not exist."
    )
    assert f"It serves: {MODEL}." in error.hint


def test_wrong_url_path_is_a_404_with_the_body(server: ChatServer) -> None:
    engine = _remote(server.url.replace("/v1", "/api"))
    _expect_error(engine, "HTTP 404", "Not Found", "/v1/chat/completions")


@pytest.mark.parametrize(
    ("script", "timeout_s", "expected"),
    [
        (Script(status=500, error_message="CUDA out of memory"), 60, ["HTTP 500", "CUDA out of memory"]),
        (Script(status=400, error_message="At most 1 image(s) allowed"), 60, ["HTTP 400", "At most 1 image"]),
        (Script(error_event_at=1, error_message="decoder crashed"), 60, ["decoder crashed"]),
        (Script(end_early_at=2), 60, ["without [DONE]", "after 2 pieces"]),
        (Script(drop_at=2), 60, ["broke in the middle of an answer"]),
        (Script(stall_at=2), 0.5, ["stopped sending for 0.5 s"]),
        (Script(stall_before_headers=True), 0.5, ["did not answer within 0.5 s"]),
    ],
    ids=["500", "400", "error-event", "no-done", "dropped", "stall-mid-stream", "stall-before-headers"],
)
def test_server_failures_become_clear_errors(
    server: ChatServer, script: Script, timeout_s: float, expected: list[str]
) -> None:
    server.script = script
    address = server.url.removesuffix("/v1")
    engine = _engine(server, timeout_s=timeout_s)
    _, received = _expect_error(engine, address, *expected)
    assert received == script.deltas[: len(received)]
    assert engine.last_stats.generated_tokens == len(received)


def test_malformed_chunk_is_quoted_to_80_characters(server: ChatServer) -> None:
    broken = '{"choices": [{"delta": {"content": "' + "x" * 100
    server.script = Script(malformed_at=1, malformed_chunk=f"data: {broken}\n\n")
    error, received = _expect_error(_engine(server), "malformed chunk", repr(broken[:80]))
    assert broken[:81] not in error.message
    assert received == ["Hel"]


def test_non_sse_body_is_a_malformed_chunk(server: ChatServer) -> None:
    server.script = Script(malformed_at=0, malformed_chunk="<html>proxy login</html>\n")
    _expect_error(_engine(server), "malformed chunk", "<html>proxy login</html>")


def test_list_models_and_describe(server: ChatServer) -> None:
    server.models = [MODEL, "other-model"]
    engine = _remote(server.url + "/")
    assert engine.list_models() == [MODEL, "other-model"]
    address = server.url.removesuffix("/v1")
    assert engine.describe() == {"model": MODEL, "backend": "remote", "server": address}
    assert isinstance(engine, Engine)


def test_base_url_is_normalised_and_checked() -> None:
    assert normalize_base_url(" http://gpu-box:8000/v1/ ") == "http://gpu-box:8000"
    assert normalize_base_url("https://example.org/llm") == "https://example.org/llm"
    with pytest.raises(RemoteEngineError, match="not a model server address"):
        RemoteEngine("gpu-box:8000", MODEL)


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring in a dict: stands in for the OS keyring, which headless test machines lack."""

    @classproperty
    def priority(cls) -> float:
        # Not viable for keyring's own backend detection, so it never leaks into other tests.
        raise RuntimeError("only installed explicitly with keyring.set_keyring")

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        """The stored secret, or None."""
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a secret."""
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        """Forget a secret; like real backends, complain when there is none."""
        if (service, username) not in self.secrets:
            raise keyring.errors.PasswordDeleteError(username)
        del self.secrets[(service, username)]


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def broken_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_api_key_round_trip(memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_api_key("http://gpu-box:8000/v1") is None
    store_api_key("http://gpu-box:8000/v1/", "sk-secret")
    assert memory_keyring.secrets == {(SERVICE, "http://gpu-box:8000"): "sk-secret"}
    assert load_api_key("http://gpu-box:8000") == "sk-secret"
    monkeypatch.setenv(ENV_VAR, "sk-from-env")
    assert load_api_key("http://gpu-box:8000/v1") == "sk-secret"  # the keyring wins
    assert load_api_key("http://other:8000") == "sk-from-env"
    delete_api_key("http://gpu-box:8000/v1")
    delete_api_key("http://gpu-box:8000/v1")  # already gone: not an error
    assert memory_keyring.secrets == {}


def test_stored_key_authenticates(memory_keyring: MemoryKeyring, server: ChatServer) -> None:
    server.api_key = "sk-stored"
    store_api_key(server.url, "sk-stored")
    engine = _remote(server.url, api_key=load_api_key(server.url))
    assert "".join(engine.stream(_text_turn())) == "Hello there!"


def test_missing_keyring_is_a_clear_error_and_env_var_stands_in(
    broken_keyring: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "http://gpu-box:8000"
    for action in (lambda: store_api_key(url, "sk"), lambda: delete_api_key(url)):
        with pytest.raises(RemoteEngineError) as caught:
            action()
        assert "keyring is not available" in caught.value.message
        assert ENV_VAR in caught.value.hint
    assert load_api_key("http://gpu-box:8000") is None
    monkeypatch.setenv(ENV_VAR, "sk-from-env")
    assert load_api_key("http://gpu-box:8000") == "sk-from-env"


def test_api_key_never_reaches_the_settings_file(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_api_key("http://gpu-box:8000", "sk-keyring-only")
    monkeypatch.setenv(ENV_VAR, "sk-env-only")
    path = save_settings(load_settings())
    text = path.read_text(encoding="utf-8")
    assert "sk-keyring-only" not in text and "sk-env-only" not in text
    assert "api_key" not in text
