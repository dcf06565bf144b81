"""Where Nexus keeps its files, following each platform's conventions.

Config goes in the user config dir, models in the user cache dir, episodes,
datasets, jobs and sessions in the user data dir, logs in the user log dir.
``NEXUS_CONFIG_DIR``, ``NEXUS_CACHE_DIR``, ``NEXUS_DATA_DIR`` and
``NEXUS_LOG_DIR`` move each root (portable installs and tests use them).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "nexus"


def _root(env: str, default: str) -> Path:
    value = os.environ.get(env)
    return Path(value).expanduser() if value else Path(default)


def config_dir() -> Path:
    """Folder of ``settings.toml``."""
    return _root("NEXUS_CONFIG_DIR", platformdirs.user_config_dir(APP_NAME, appauthor=False))


def config_file() -> Path:
    """The settings file."""
    return config_dir() / "settings.toml"


def cache_dir() -> Path:
    """Default root of downloaded models."""
    return _root("NEXUS_CACHE_DIR", platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    """Default root of episodes, datasets, jobs and sessions."""
    return _root("NEXUS_DATA_DIR", platformdirs.user_data_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    """Folder of the rotating log file."""
    return _root("NEXUS_LOG_DIR", platformdirs.user_log_dir(APP_NAME, appauthor=False))
