"""Settings: a pydantic-settings model stored as TOML, with ``NEXUS_*`` overrides.

Precedence (highest first): constructor arguments, environment variables
(``NEXUS_MODEL__DEVICE=cpu``; nested fields use ``__``), the TOML file in the
user config dir, then the defaults below. ``save_settings`` writes the file
atomically and never writes values that came only from the environment's
secrets (API keys live in the OS keyring, not here).
"""

from __future__ import annotations

import logging
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from engine import paths
from engine.atomic import write_text_atomic
from engine.errors import ConfigError

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
DEFAULT_MODEL_ID = "Qwen/Qwen2.5-Omni-7B-GPTQ-Int4"
# While set, Settings() uses only its arguments: no file, no environment.
_values_only: ContextVar[bool] = ContextVar("nexus_settings_values_only", default=False)


class ModelSettings(BaseModel):
    """Which thinker to run, where it lives and how it samples.

    ``backend`` picks the in-process thinker or an OpenAI-compatible server
    (``server_url``, ``server_model``); the server's API key is kept in the OS
    keyring (``engine.remote.keys``), never here.
    """

    model_id: str = DEFAULT_MODEL_ID
    local_path: Path | None = Field(
        default=None, description="A folder that already holds the checkpoint; skips downloading."
    )
    device: Literal["auto", "cuda", "cpu"] = "auto"
    max_new_tokens: int = Field(default=512, ge=1, le=8192)
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    top_p: float = Field(default=0.9, gt=0.0, le=1.0)
    backend: Literal["local", "server"] = Field(
        default="local", description="local: the thinker runs in this process; server: an OpenAI-compatible server"
    )
    server_url: str = Field(default="", description="The server's address, e.g. http://gpu-box:8000/v1")
    server_model: str = Field(default="", description="The model name the server serves; empty: its first one")


class AudioSettings(BaseModel):
    """Audio devices by name; ``None`` means the system default."""

    input_device: str | None = None
    output_device: str | None = None


class VoiceSettings(BaseModel):
    """Speech recognition and synthesis models.

    ``whisper_device`` ``auto`` uses the GPU only when CTranslate2 sees one and
    cuBLAS for CUDA 12 loads (``engine.speech.asr.plan_whisper_device``);
    ``whisper_compute_type`` ``auto`` is float16 on a GPU and int8 on the CPU.
    """

    whisper_model: str = "whisper-small.en"
    whisper_device: Literal["auto", "cuda", "cpu"] = "auto"
    whisper_compute_type: Literal["auto", "int8", "int8_float16", "float16", "float32"] = "auto"
    assistant_voice: str = "piper-en_US-lessac-medium"
    host_a_voice: str = "piper-en_US-lessac-medium"
    host_b_voice: str = "piper-en_US-ryan-medium"
    host_a_speaker: int | None = Field(default=None, ge=0)
    host_b_speaker: int | None = Field(default=None, ge=0)
    speech_rate: float = Field(default=1.0, ge=0.5, le=2.0)


class LiveSettings(BaseModel):
    """How the Live conversation listens, interrupts and records."""

    mode: Literal["hands_free", "push_to_talk", "text_only"] = "hands_free"
    source: str = Field(default="screen:1", description="screen:N, camera:N or a video file path")
    vad_engine: Literal["silero", "webrtc"] = "silero"
    echo: Literal["aec", "half_duplex", "off"] = "aec"
    mute_voice: bool = False
    record_sessions: bool = False
    fps_idle: float = Field(default=1.0, gt=0, le=10)
    fps_speaking: float = Field(default=2.0, gt=0, le=10)
    clip_seconds: float = Field(default=4.0, ge=0, le=30)
    clip_fps: float = Field(default=0.5, gt=0, le=4)
    end_of_turn_ms: int = Field(default=200, ge=100, le=3000)
    """The voice-activity pause that asks whether the turn is over (the turn policy answers)."""
    smart_turn: bool = True
    """Use the acoustic end-of-turn model; without it a turn ends after ``end_of_turn_fallback_ms``."""
    end_of_turn_fallback_ms: int = Field(default=600, ge=100, le=3000)
    turn_complete_at: float = Field(default=0.5, ge=0.0, le=1.0)
    turn_unsure_at: float = Field(default=0.15, ge=0.0, le=1.0)
    turn_unsure_wait_ms: int = Field(default=800, ge=0, le=5000)
    turn_max_wait_ms: int = Field(default=2500, ge=200, le=10000)
    continue_window_ms: int = Field(default=1500, ge=0, le=10000)
    confirm_interrupt_ms: int = Field(default=1500, ge=50, le=5000)
    """Speech over the answer this long interrupts it whatever it says; shorter speech needs more than a backchannel."""
    false_start_resume_ms: int = Field(default=400, ge=100, le=10000)
    """Speech over the answer that was not an interruption: the answer resumes after this much quiet."""
    proactive_comments: bool = False
    proactive_after_s: float = Field(default=10.0, ge=0.1, le=600)
    screen_focus_tokens: int = Field(default=1300, ge=0, le=4096)
    """Visual tokens of the native-resolution focus sent with a shared screen (0: the whole screen downscaled)."""
    screen_overview_tokens: int = Field(default=256, ge=16, le=720)
    """Visual tokens of the small overview of the whole screen sent with the focus."""


class FolderSettings(BaseModel):
    """Roots for models and user data; ``None`` means the platform default."""

    models_dir: Path | None = None
    data_dir: Path | None = None

    def resolved_models_dir(self) -> Path:
        """The folder that holds downloaded models."""
        return self.models_dir or paths.cache_dir() / "models"

    def resolved_data_dir(self) -> Path:
        """The folder that holds episodes, datasets, jobs and sessions."""
        return self.data_dir or paths.data_dir()


class UISettings(BaseModel):
    """Window state and appearance."""

    theme: Literal["system", "light", "dark"] = "system"
    window_geometry: str = ""
    last_tab: int = Field(default=0, ge=0, le=2)
    first_run_done: bool = False


class Settings(BaseSettings):
    """All user settings of Nexus."""

    model_config = SettingsConfigDict(
        env_prefix="NEXUS_",
        env_nested_delimiter="__",
        extra="ignore",
        validate_assignment=True,
    )

    schema_version: int = SCHEMA_VERSION
    model: ModelSettings = Field(default_factory=ModelSettings)
    audio: AudioSettings = Field(default_factory=AudioSettings)
    voices: VoiceSettings = Field(default_factory=VoiceSettings)
    live: LiveSettings = Field(default_factory=LiveSettings)
    folders: FolderSettings = Field(default_factory=FolderSettings)
    ui: UISettings = Field(default_factory=UISettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Constructor, then environment, then the TOML file."""
        if _values_only.get():
            return (init_settings,)
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, paths.config_file()))


def settings_from_values(values: dict[str, Any] | None = None) -> Settings:
    """Settings built from ``values`` and defaults only (ignores the file and environment)."""
    token = _values_only.set(True)
    try:
        return Settings(**(values or {}))
    finally:
        _values_only.reset(token)


def _migrate(raw: dict[str, Any]) -> dict[str, Any]:
    """Bring an older settings file up to ``SCHEMA_VERSION``."""
    version = int(raw.get("schema_version", SCHEMA_VERSION))
    if version > SCHEMA_VERSION:
        log.warning("settings file is from a newer Nexus (schema %s); unknown keys are ignored", version)
    raw["schema_version"] = SCHEMA_VERSION
    return raw


def load_settings() -> Settings:
    """Read settings from the TOML file and environment.

    Raises ``ConfigError`` with the file's path when it is not valid TOML or
    holds invalid values, so the user can fix or delete it.
    """
    path = paths.config_file()
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"The settings file {path} is not valid TOML ({exc}).",
                "Fix it in a text editor, or delete it to start from defaults.",
            ) from exc
        if raw.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
            write_text_atomic(path, tomli_w.dumps(_migrate(raw)))
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(
            f"Setting '{where}' is invalid: {first['msg']} (from {path} or a NEXUS_ variable).",
            "Correct the value, or delete the settings file to start from defaults.",
        ) from exc


def _drop_env_overrides(data: dict[str, Any], env: dict[str, Any], saved: dict[str, Any]) -> None:
    """Keep a ``NEXUS_*`` override out of the file unless the user changed that value since."""
    for key, env_value in env.items():
        if key not in data:
            continue
        if isinstance(env_value, dict) and isinstance(data[key], dict):
            _drop_env_overrides(data[key], env_value, saved.get(key, {}) or {})
        elif str(data[key]).lower() == str(env_value).lower():  # env values arrive as strings
            if key in saved:
                data[key] = saved[key]
            else:
                del data[key]


def save_settings(settings: Settings) -> Path:
    """Write ``settings`` to the TOML file atomically and return its path.

    Values that only came from ``NEXUS_*`` environment variables are not
    written, so a one-off override does not stick.
    """
    path = paths.config_file()
    data = settings.model_dump(mode="json", exclude_none=True)
    try:
        saved = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        saved = {}
    env = EnvSettingsSource(Settings)()
    _drop_env_overrides(data, env, saved)
    write_text_atomic(path, tomli_w.dumps(data))
    log.info("settings saved to %s", path)
    return path
