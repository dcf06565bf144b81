"""A small OpenAI-compatible chat-completions server on 127.0.0.1 for the remote backend's tests.

It speaks the streaming protocol vLLM speaks (HTTP/1.1 chunked ``text/event-stream``
of ``data: {...}`` events ending in ``data: [DONE]``), records every request, and
can be scripted to misbehave: answer with an HTTP error, send a malformed chunk or
an error event, end or drop the stream early, or stall.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

CHAT_PATH = "/v1/chat/completions"
MODELS_PATH = "/v1/models"
MODEL = "qwen2.5-omni-test"
# A stalled handler gives up after this long even if the test never releases it.
_STALL_LIMIT_S = 30.0


@dataclass
class Script:
    """How the server answers chat requests; ``*_at`` fields act before the delta of that index.

    ``malformed_chunk`` is written to the body as is (SSE framing included).
    """

    deltas: list[str] = field(default_factory=lambda: ["Hel", "lo", " there", "!"])
    delay_s: float = 0.0
    status: int | None = None
    error_message: str = "The server could not answer."
    malformed_at: int | None = None
    malformed_chunk: str = 'data: {"choices": [{"delta": {"content": "broken\n\n'
    error_event_at: int | None = None
    end_early_at: int | None = None
    drop_at: int | None = None
    stall_at: int | None = None
    stall_before_headers: bool = False
    usage: dict[str, Any] | None = field(
        default_factory=lambda: {
            "prompt_tokens": 42,
            "completion_tokens": 7,
            "total_tokens": 49,
            "prompt_tokens_details": {"cached_tokens": 10},
        }
    )


@dataclass
class Recorded:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None


class _Disconnected(Exception):
    """The client closed the connection while the server was writing."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._record(None)
        if self.path != MODELS_PATH:
            self._send_json(404, {"detail": "Not Found"})
            return
        models = [{"id": name, "object": "model", "owned_by": "vllm"} for name in self.server.owner.models]
        self._send_json(200, {"object": "list", "data": models})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"null")
        self._record(body)
        owner = self.server.owner
        script = owner.script
        if self.path != CHAT_PATH:
            self._send_json(404, {"detail": "Not Found"})
            return
        if owner.api_key is not None and self.headers.get("Authorization") != f"Bearer {owner.api_key}":
            self._send_error(401, "Incorrect API key provided.", "invalid_request_error")
            return
        if body.get("model") not in owner.models:
            self._send_error(404, f"The model `{body.get('model')}` does not exist.", "NotFoundError")
            return
        if script.status is not None:
            self._send_error(script.status, script.error_message, "InternalServerError")
            return
        if script.stall_before_headers:
            owner.release.wait(_STALL_LIMIT_S)
            self.close_connection = True
            return
        try:
            self._stream(script, bool(body.get("stream_options", {}).get("include_usage")))
        except _Disconnected:
            self.close_connection = True

    def _record(self, body: dict[str, Any] | None) -> None:
        headers = {key.lower(): value for key, value in self.headers.items()}
        self.server.owner.requests.append(Recorded(self.command, self.path, headers, body))

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, status: int, message: str, kind: str) -> None:
        self._send_json(status, {"error": {"message": message, "type": kind, "param": None, "code": status}})

    def _write_chunk(self, data: bytes, index: int) -> None:
        try:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError) as exc:
            self.server.owner.note_disconnect(index)
            raise _Disconnected from exc

    def _event(self, payload: dict[str, Any] | str, index: int) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        self._write_chunk(f"data: {text}\n\n".encode(), index)

    def _stream(self, script: Script, include_usage: bool) -> None:
        owner = self.server.owner
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        base = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": MODEL}
        self._event({**base, "choices": [{"index": 0, "delta": {"role": "assistant"}}]}, 0)
        for index, delta in enumerate(script.deltas):
            if index == script.malformed_at:
                self._write_chunk(script.malformed_chunk.encode(), index)
            if index == script.error_event_at:
                self._event({"error": {"message": script.error_message, "type": "BadRequestError"}}, index)
            if index == script.end_early_at:
                self._write_chunk(b"", index)
                return
            if index == script.drop_at:
                self.close_connection = True
                return
            if index == script.stall_at:
                owner.release.wait(_STALL_LIMIT_S)
                self.close_connection = True
                return
            if script.delay_s:
                time.sleep(script.delay_s)
            self._event({**base, "choices": [{"index": 0, "delta": {"content": delta}}]}, index)
            owner.sent = index + 1
        end = len(script.deltas)
        self._event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}, end)
        if include_usage and script.usage is not None:
            self._event({**base, "choices": [], "usage": script.usage}, end)
        self._event("[DONE]", end)
        self._write_chunk(b"", end)
        owner.finished.set()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, owner: ChatServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.owner = owner


class ChatServer:
    """The test server: start it, point a ``RemoteEngine`` at ``url``, inspect what it saw."""

    def __init__(self, script: Script | None = None, api_key: str | None = None) -> None:
        self.script = script or Script()
        self.api_key = api_key
        self.models = [MODEL]
        self.requests: list[Recorded] = []
        self.sent = 0
        self.disconnected_at: int | None = None
        self.disconnected = threading.Event()
        self.finished = threading.Event()
        self.release = threading.Event()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="chat-server", daemon=True
        )

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The OpenAI base URL, as users type it (with ``/v1``)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def note_disconnect(self, index: int) -> None:
        """Record that writing the delta at ``index`` failed because the client had gone."""
        if self.disconnected_at is None:
            self.disconnected_at = index
        self.disconnected.set()

    def chat_requests(self) -> list[Recorded]:
        """The chat-completions requests received so far."""
        return [r for r in self.requests if r.path == CHAT_PATH]

    def start(self) -> ChatServer:
        """Begin serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release stalled handlers and shut the server down."""
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ChatServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
