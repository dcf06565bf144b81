"""API keys of remote model servers, kept in the OS keyring and never in the settings file.

Each key is stored under the service ``nexus-remote`` with the server's root
address as the user name. Where no keyring works (headless Linux without a
Secret Service), the ``NEXUS_REMOTE_API_KEY`` environment variable stands in.
"""

from __future__ import annotations

import logging
import os

import keyring
from keyring.errors import KeyringError, PasswordDeleteError

from engine.remote.errors import RemoteEngineError
from engine.remote.openai_chat import normalize_base_url

log = logging.getLogger(__name__)

SERVICE = "nexus-remote"
ENV_VAR = "NEXUS_REMOTE_API_KEY"
_ENV_HINT = (
    f"Set the {ENV_VAR} environment variable to the key instead, "
    "or install and unlock a keyring (for example GNOME Keyring or KWallet)."
)


def _keyring_failure(action: str, base_url: str, exc: Exception) -> RemoteEngineError:
    return RemoteEngineError(
        f"Could not {action} the API key for {base_url}: the system keyring is not available ({exc}).",
        _ENV_HINT,
    )


def store_api_key(base_url: str, key: str) -> None:
    """Keep ``key`` for the server at ``base_url`` in the OS keyring."""
    account = normalize_base_url(base_url)
    try:
        keyring.set_password(SERVICE, account, key)
    except (KeyringError, OSError) as exc:
        raise _keyring_failure("store", account, exc) from exc


def load_api_key(base_url: str) -> str | None:
    """The key for the server at ``base_url``: from the keyring, else ``NEXUS_REMOTE_API_KEY``, else None.

    A keyring that cannot be read is logged and treated like an empty one, since
    many servers need no key at all.
    """
    account = normalize_base_url(base_url)
    try:
        key = keyring.get_password(SERVICE, account)
    except (KeyringError, OSError) as exc:
        log.warning("system keyring unavailable (%s); using %s if set", exc, ENV_VAR)
        key = None
    return key or os.environ.get(ENV_VAR) or None


def delete_api_key(base_url: str) -> None:
    """Forget the stored key of the server at ``base_url``; nothing happens if none is stored."""
    account = normalize_base_url(base_url)
    try:
        keyring.delete_password(SERVICE, account)
    except PasswordDeleteError:
        return
    except (KeyringError, OSError) as exc:
        raise _keyring_failure("delete", account, exc) from exc
