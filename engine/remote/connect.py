"""Open a ``RemoteEngine`` on the server that Settings (or ``--server``) names, after checking it answers.

Used by the app's engine host and by the CLI, so both report an unreachable
server, a missing address or an unknown model name with the same sentence and
next step.
"""

from __future__ import annotations

from engine.config import ModelSettings
from engine.remote.errors import RemoteEngineError
from engine.remote.keys import load_api_key
from engine.remote.openai_chat import RemoteEngine, normalize_base_url

_WHERE_TO_SET = "Set it in Settings → Model (OpenAI-compatible server), or pass --server URL to nexus-cli."


def server_label(url: str, model: str = "") -> str:
    """A short name for a server engine, e.g. ``qwen-omni at http://gpu-box:8000``."""
    try:
        address = normalize_base_url(url)
    except RemoteEngineError:
        address = url.strip()
    return f"{model} at {address}" if model else address


def connect_server(
    url: str,
    model: str = "",
    *,
    max_tokens: int = 512,
    temperature: float = 0.7,
    top_p: float = 0.9,
    timeout_s: float = 60,
) -> RemoteEngine:
    """A ``RemoteEngine`` for the server at ``url``, once ``GET /v1/models`` has answered.

    An empty ``model`` picks the first model the server serves. The API key comes
    from the keyring (or ``NEXUS_REMOTE_API_KEY``). Raises ``RemoteEngineError``
    when no address is given, the server cannot be reached or refuses, or it
    does not serve ``model``. Blocks for up to the connect timeout: call it off the
    GUI thread.
    """
    if not url.strip():
        raise RemoteEngineError("No model server address is set.", _WHERE_TO_SET)
    base_url = normalize_base_url(url)
    engine = RemoteEngine(
        base_url,
        model,
        api_key=load_api_key(base_url),
        timeout_s=timeout_s,
        max_tokens=max_tokens,
        temperature=temperature,
        top_p=top_p,
    )
    try:
        served = engine.list_models()
        engine.model = _choose_model(base_url, model, served)
    except RemoteEngineError:
        engine.close()
        raise
    return engine


def served_models(url: str, api_key: str | None = None, timeout_s: float = 10) -> list[str]:
    """The models the server at ``url`` serves, with ``api_key`` or else the stored key.

    For a "Test connection" button: raises ``RemoteEngineError`` with the reason
    and a next step when the server cannot be reached or refuses.
    """
    if not url.strip():
        raise RemoteEngineError("No model server address is set.", "Enter the server's address first.")
    base_url = normalize_base_url(url)
    with RemoteEngine(base_url, "", api_key=api_key or load_api_key(base_url), timeout_s=timeout_s) as engine:
        return engine.list_models()


def connect_from_settings(model: ModelSettings) -> RemoteEngine:
    """``connect_server`` with the address, model name and sampling of ``model`` (Settings → Model)."""
    return connect_server(
        model.server_url,
        model.server_model,
        max_tokens=model.max_new_tokens,
        temperature=model.temperature,
        top_p=model.top_p,
    )


def _choose_model(base_url: str, wanted: str, served: list[str]) -> str:
    if wanted and (wanted in served or not served):
        return wanted
    if not served:
        raise RemoteEngineError(
            f"The model server at {base_url} serves no model.",
            "Start it with a model (llama-server -m FILE.gguf, vllm serve MODEL), then try again.",
        )
    if not wanted:
        return served[0]
    raise RemoteEngineError(
        f"The model server at {base_url} does not serve a model named '{wanted}'.",
        f"It serves: {', '.join(served)}. Choose one of these in Settings → Model, or with --server-model.",
    )
