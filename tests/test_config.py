"""Settings: TOML persistence, NEXUS_* overrides, errors, atomic writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import paths
from engine.config import SCHEMA_VERSION, Settings, load_settings, save_settings
from engine.errors import ConfigError


def test_defaults_without_a_file() -> None:
    settings = load_settings()
    assert settings.model.model_id == "Qwen/Qwen2.5-Omni-7B-GPTQ-Int4"
    assert settings.schema_version == SCHEMA_VERSION
    assert not paths.config_file().exists()


def test_save_and_reload_round_trip(nexus_dirs: dict[str, Path]) -> None:
    settings = load_settings()
    settings.model.device = "cpu"
    settings.voices.speech_rate = 1.25
    settings.folders.data_dir = nexus_dirs["data"] / "elsewhere"
    path = save_settings(settings)
    assert path.parent == nexus_dirs["config"]
    again = load_settings()
    assert again.model.device == "cpu"
    assert again.voices.speech_rate == 1.25
    assert again.folders.resolved_data_dir() == nexus_dirs["data"] / "elsewhere"
    assert not list(path.parent.glob("*.tmp")), "temporary file left behind"


def test_environment_overrides_the_file_but_is_not_saved(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    settings.model.temperature = 0.3
    save_settings(settings)
    monkeypatch.setenv("NEXUS_MODEL__DEVICE", "cuda")
    monkeypatch.setenv("NEXUS_MODEL__TEMPERATURE", "0.9")
    overridden = load_settings()
    assert overridden.model.device == "cuda"
    assert overridden.model.temperature == 0.9
    save_settings(overridden)
    text = paths.config_file().read_text()
    assert 'device = "cuda"' not in text
    assert "temperature = 0.3" in text


def test_broken_toml_gives_a_clear_error() -> None:
    paths.config_file().parent.mkdir(parents=True)
    paths.config_file().write_text("[model\nmodel_id = ")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(paths.config_file()) in err.value.message
    assert "delete it" in err.value.hint


def test_invalid_value_names_the_field() -> None:
    paths.config_file().parent.mkdir(parents=True)
    paths.config_file().write_text('[model]\ndevice = "tpu"\n')
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert "model.device" in err.value.message


def test_old_schema_is_migrated_in_place() -> None:
    paths.config_file().parent.mkdir(parents=True)
    paths.config_file().write_text('schema_version = 0\n[ui]\ntheme = "dark"\n')
    settings = load_settings()
    assert settings.ui.theme == "dark"
    assert f"schema_version = {SCHEMA_VERSION}" in paths.config_file().read_text()


def test_default_folders_follow_the_platform_dirs(nexus_dirs: dict[str, Path]) -> None:
    settings = Settings()
    assert settings.folders.resolved_models_dir() == nexus_dirs["cache"] / "models"
    assert settings.folders.resolved_data_dir() == nexus_dirs["data"]
