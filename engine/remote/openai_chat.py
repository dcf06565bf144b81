"""An ``Engine`` that answers turns through an OpenAI-compatible chat-completions server.

llama.cpp's ``llama-server`` (with the thinker's ``--mmproj``) and vLLM serve the
Qwen2.5-Omni thinker this way: the request carries the same prompt the
in-process engine builds (``engine.remote.messages``), and the answer streams
back as server-sent events that end with ``data: [DONE]``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import replace
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx2

from engine.omni.media_policy import MediaPolicy
from engine.omni.turn import CancelToken, Message, Turn, TurnStats
from engine.remote.errors import RemoteEngineError
from engine.remote.messages import turn_to_messages

log = logging.getLogger(__name__)

CHAT_PATH = "/v1/chat/completions"
MODELS_PATH = "/v1/models"
DONE = "[DONE]"
_QUOTE_CHARS = 80
_DETAIL_CHARS = 300
_CONNECT_TIMEOUT_S = 10.0
_SSE_FIELDS = frozenset({"data", "event", "id", "retry"})
_UNREACHABLE_HINT = (
    "Check that the server is running, that the address and port are right and that no firewall blocks it."
)
_DROPPED_HINT = "The server may have crashed, restarted or hit a limit; its log says why. Try the turn again."


def normalize_base_url(base_url: str) -> str:
    """The server's root address, without a trailing slash or ``/v1`` (users paste both)."""
    url = base_url.strip().rstrip("/")
    url = url.removesuffix("/v1")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RemoteEngineError(
            f"'{base_url}' is not a model server address.",
            "Give the full address with http:// or https://, for example http://192.168.1.20:8000/v1.",
        )
    return url


class _Malformed(Exception):
    """A stream piece that does not follow the protocol; carries the raw text to quote."""

    def __init__(self, raw: str) -> None:
        super().__init__(raw)
        self.raw = raw


def _sse_data(lines: Iterable[str]) -> Iterator[str]:
    """The ``data`` of each server-sent event; multi-line data is joined with newlines."""
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield "\n".join(data)
                data = []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if field not in _SSE_FIELDS:
            raise _Malformed(line)
        if field == "data":
            data.append(value.removeprefix(" "))
    if data:
        yield "\n".join(data)


def _parse_chunk(data: str) -> dict[str, Any]:
    try:
        chunk = json.loads(data)
    except json.JSONDecodeError as exc:
        raise _Malformed(data) from exc
    if not isinstance(chunk, dict):
        raise _Malformed(data)
    return chunk


def _delta_text(chunk: dict[str, Any], raw: str) -> str:
    choices = chunk.get("choices")
    if not choices:
        return ""
    if not isinstance(choices, list) or not isinstance(choices[0], dict):
        raise _Malformed(raw)
    delta = choices[0].get("delta") or {}
    content = delta.get("content") if isinstance(delta, dict) else None
    if content is None:
        return ""
    if not isinstance(content, str):
        raise _Malformed(raw)
    return content


def _record_usage(usage: Any, stats: TurnStats) -> bool:
    """Copy token counts from an OpenAI ``usage`` object; whether it held a completion count."""
    if not isinstance(usage, dict):
        return False
    prompt = usage.get("prompt_tokens")
    if isinstance(prompt, int):
        details = usage.get("prompt_tokens_details")
        cached = details.get("cached_tokens") if isinstance(details, dict) else None
        stats.prompt_tokens = prompt
        stats.reused_prefix_tokens = cached if isinstance(cached, int) else 0
        stats.prefill_tokens = prompt - stats.reused_prefix_tokens
    completion = usage.get("completion_tokens")
    if isinstance(completion, int):
        stats.generated_tokens = completion
        return True
    return False


def _error_detail(response: httpx2.Response) -> str:
    """The server's own words from an error body (OpenAI, vLLM or FastAPI shape, else raw text)."""
    text = response.text.strip()
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:_DETAIL_CHARS]
        for key in ("error", "message", "detail"):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])[:_DETAIL_CHARS]
    return text[:_DETAIL_CHARS] or response.reason_phrase


def _fitted(message: Message, policy: MediaPolicy) -> Message:
    """``message`` with its media held to ``policy``'s budget (history normally already is)."""
    if message.content is None or not message.content.has_media():
        return message
    return replace(message, content=policy.fit(message.content))


def _cancelled(cancel: CancelToken | None) -> bool:
    return cancel is not None and cancel.cancelled


class RemoteEngine:
    """Answers turns through an OpenAI-compatible chat-completions server, streaming and cancellable.

    ``base_url`` may be given with or without ``/v1``. ``policy`` sizes media and
    decides which history turns carry theirs, with the in-process engine's defaults,
    so both backends send the model the same prompt. ``timeout_s`` bounds every
    wait on the server: connecting (at most 10 s), the first byte of the answer and
    every gap between streamed chunks, so a stalled server is an error, not a hang.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 60,
        max_tokens: int = 512,
        temperature: float = 0.7,
        top_p: float = 0.9,
        policy: MediaPolicy | None = None,
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        self.policy = policy or MediaPolicy()
        self.model = model
        self.timeout_s = float(timeout_s)
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.top_p = top_p
        self.last_stats = TurnStats()
        self._has_key = bool(api_key)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx2.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx2.Timeout(self.timeout_s, connect=min(self.timeout_s, _CONNECT_TIMEOUT_S)),
        )

    def reset(self) -> None:
        """Nothing to forget here: the server keys any prefix cache on the request's content."""

    def describe(self) -> dict[str, str]:
        """Model, backend and server address, for ``nexus-cli engine info`` and the status bar."""
        return {"model": self.model, "backend": "remote", "server": self.base_url}

    def request_body(self, turn: Turn) -> dict[str, Any]:
        """The JSON body of the streaming chat-completions request for ``turn``."""
        return {
            "model": self.model,
            "messages": turn_to_messages(turn, self.policy.window, self.policy.block),
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": turn.max_new_tokens or self.max_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
        }

    def stream(self, turn: Turn, cancel: CancelToken | None = None) -> Iterator[str]:
        """Yield the answer's text deltas as the server streams them.

        ``cancel`` is checked before the request, after every received event and
        right after every yielded delta, so the iterator stops within one delta and
        the connection is closed at once (the server sees the disconnect). Raises
        ``RemoteEngineError`` for an unreachable server, a refused request, a
        malformed or unfinished stream, or a server silent for ``timeout_s``.
        """
        stats = TurnStats()
        self.last_stats = stats
        started = time.monotonic()
        try:
            if _cancelled(cancel):
                stats.cancelled = True
                return
            yield from self._stream(self.request_body(self._prepare(turn, stats)), stats, started, cancel)
        finally:
            stats.total_s = time.monotonic() - started
            log.debug(
                "remote turn: %d tokens, first after %s s, %.2f s in all%s",
                stats.generated_tokens,
                stats.time_to_first_token_s,
                stats.total_s,
                " (cancelled)" if stats.cancelled else "",
            )

    def _prepare(self, turn: Turn, stats: TurnStats) -> Turn:
        """``turn`` under the in-process engine's media rule: the new content is fitted in place
        (so the caller's history keeps what was sent) and repeated frames are dropped."""
        stats.skipped_duplicate_frames = self.policy.prepare(turn)
        history = [_fitted(message, self.policy) for message in turn.history]
        return replace(turn, history=history)

    def _stream(
        self, body: dict[str, Any], stats: TurnStats, started: float, cancel: CancelToken | None
    ) -> Iterator[str]:
        mid_answer = False
        deltas = 0
        usage_counted = False
        try:
            with self._client.stream(
                "POST", CHAT_PATH, json=body, headers={"Accept": "text/event-stream"}
            ) as response:
                self._raise_for_status(response, CHAT_PATH)
                mid_answer = True
                done = False
                for data in _sse_data(response.iter_lines()):
                    if _cancelled(cancel):
                        break
                    if data == DONE:
                        done = True
                        break
                    chunk = _parse_chunk(data)
                    self._raise_for_error_chunk(chunk)
                    usage_counted = _record_usage(chunk.get("usage"), stats) or usage_counted
                    text = _delta_text(chunk, data)
                    if not text:
                        continue
                    deltas += 1
                    if not usage_counted:
                        stats.generated_tokens = deltas
                    if stats.time_to_first_token_s is None:
                        stats.time_to_first_token_s = time.monotonic() - started
                    yield text
                    # The consumer may have cancelled while holding this delta: stop before
                    # blocking on the next chunk.
                    if _cancelled(cancel):
                        break
                if done:
                    return
                if _cancelled(cancel):
                    response.close()
                    stats.cancelled = True
                    return
                raise RemoteEngineError(
                    f"The model server at {self.base_url} ended the answer without finishing it "
                    f"(the stream closed after {deltas} pieces without [DONE]).",
                    _DROPPED_HINT,
                )
        except _Malformed as exc:
            raise RemoteEngineError(
                f"The model server at {self.base_url} sent a malformed chunk: {exc.raw[:_QUOTE_CHARS]!r}.",
                "The server does not follow the OpenAI streaming protocol; check that the address "
                "points at an OpenAI-compatible server such as llama-server or vLLM.",
            ) from exc
        except httpx2.HTTPError as exc:
            raise self._transport_error(exc, mid_answer) from exc

    def list_models(self) -> list[str]:
        """Ids of the models the server serves (``GET /v1/models``)."""
        try:
            response = self._client.get(MODELS_PATH)
            self._raise_for_status(response, MODELS_PATH)
        except httpx2.HTTPError as exc:
            raise self._transport_error(exc, mid_answer=False) from exc
        try:
            entries = response.json()["data"]
            return [str(entry["id"]) for entry in entries]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise RemoteEngineError(
                f"The model server at {self.base_url} sent an unreadable model list: "
                f"{response.text[:_QUOTE_CHARS]!r}.",
                "Check that the address points at an OpenAI-compatible server such as llama-server or vLLM.",
            ) from exc

    def close(self) -> None:
        """Close the pooled connections to the server."""
        self._client.close()

    def __enter__(self) -> RemoteEngine:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _raise_for_error_chunk(self, chunk: dict[str, Any]) -> None:
        error = chunk.get("error")
        if error is None:
            return
        message = error.get("message") if isinstance(error, dict) else error
        raise RemoteEngineError(
            f"The model server at {self.base_url} stopped the answer with an error: {message}.",
            _DROPPED_HINT,
        )

    def _raise_for_status(self, response: httpx2.Response, path: str) -> None:
        if response.is_success:
            return
        response.read()
        status = response.status_code
        detail = _error_detail(response)
        where = f"The model server at {self.base_url}"
        if status in (401, 403):
            problem = "rejected the API key" if self._has_key else "needs an API key"
            raise RemoteEngineError(
                f"{where} {problem} (HTTP {status}: {detail}).",
                "Store the server's API key in Nexus (it is kept in the system keyring), "
                "or set the NEXUS_REMOTE_API_KEY environment variable.",
            )
        if status == 404:
            what = f"{path} or no model named '{self.model}'" if path == CHAT_PATH else path
            raise RemoteEngineError(
                f"{where} has no {what} (HTTP 404: {detail}).",
                "Check the server address (it should end in the server's port or /v1) and the model name."
                + (self._served_models_note() if path == CHAT_PATH else ""),
            )
        if status >= 500:
            raise RemoteEngineError(
                f"{where} failed while answering (HTTP {status}: {detail}).",
                "The problem is on the server; its log has the details. Try again or restart it.",
            )
        raise RemoteEngineError(
            f"{where} refused the request (HTTP {status}: {detail}).",
            "The server's message says what it did not accept, for example more images than it "
            "allows (vLLM: --limit-mm-per-prompt) or a prompt longer than its context.",
        )

    def _served_models_note(self) -> str:
        try:
            models = self.list_models()
        except RemoteEngineError:
            return ""
        return f" It serves: {', '.join(models)}." if models else ""

    def _transport_error(self, exc: httpx2.HTTPError, mid_answer: bool) -> RemoteEngineError:
        where = f"The model server at {self.base_url}"
        reason = str(exc) or type(exc).__name__
        if isinstance(exc, httpx2.ConnectTimeout):
            return RemoteEngineError(
                f"{where} is unreachable (no connection within {self._client.timeout.connect:g} s).",
                _UNREACHABLE_HINT,
            )
        if isinstance(exc, httpx2.ConnectError):
            return RemoteEngineError(f"{where} is unreachable ({reason}).", _UNREACHABLE_HINT)
        if isinstance(exc, httpx2.ReadTimeout):
            if mid_answer:
                return RemoteEngineError(
                    f"{where} stopped sending for {self.timeout_s:g} s in the middle of an answer.",
                    _DROPPED_HINT,
                )
            return RemoteEngineError(
                f"{where} did not answer within {self.timeout_s:g} s.",
                "The server may be overloaded or stuck loading; try again, or raise the timeout.",
            )
        if isinstance(exc, httpx2.TimeoutException):
            return RemoteEngineError(f"{where} timed out ({reason}).", _UNREACHABLE_HINT)
        if mid_answer:
            return RemoteEngineError(
                f"The connection to the model server at {self.base_url} broke in the middle of an "
                f"answer ({reason}).",
                _DROPPED_HINT,
            )
        return RemoteEngineError(
            f"Could not talk to the model server at {self.base_url} ({reason}).", _UNREACHABLE_HINT
        )
