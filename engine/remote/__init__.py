"""Remote backend: the ``Engine`` interface over an OpenAI-compatible chat-completions server."""

from engine.remote.errors import RemoteEngineError
from engine.remote.keys import delete_api_key, load_api_key, store_api_key
from engine.remote.messages import turn_to_messages
from engine.remote.openai_chat import RemoteEngine, normalize_base_url

__all__ = [
    "RemoteEngine",
    "RemoteEngineError",
    "delete_api_key",
    "load_api_key",
    "normalize_base_url",
    "store_api_key",
    "turn_to_messages",
]
