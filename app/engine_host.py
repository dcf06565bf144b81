"""The app's one answering engine: found on disk and loaded, or a server connected, off the Qt thread.

Loading a thinker takes seconds to minutes (torch, weights, GPU upload), and
reaching a model server can take up to its connect timeout, so ``load`` runs
either with ``run_task`` and reports progress as short texts for the status
bar ("loading…", "ready: … on cuda", "ready: … on http://gpu-box:8000",
"error: …"). Every tab that answers questions asks this host for its ``engine``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, Signal

from app.tasks import run_task
from engine.config import ModelSettings, Settings
from engine.error_advice import advice
from engine.errors import NexusError
from engine.omni.base import Engine

if TYPE_CHECKING:
    from engine.omni.loader import LoadedThinker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadProblem:
    """Why the engine is not available: a sentence and the next step."""

    message: str
    hint: str


@dataclass(frozen=True)
class _Loaded:
    engine: Engine
    name: str
    device: str


def model_name(model: ModelSettings) -> str:
    """A short name for the configured model: the server's model and address, the local folder's name
    or the repository's."""
    if model.backend == "server":
        from engine.remote.connect import server_label

        return server_label(model.server_url, model.server_model)
    if model.local_path is not None:
        return Path(model.local_path).name
    return model.model_id.rsplit("/", 1)[-1]


def _load_local(model: ModelSettings, models_dir: Path, progress: Callable[[str], None] | None = None) -> _Loaded:
    """Resolve and load the thinker (runs in a worker thread; torch is imported here, not at start-up).

    ``progress`` gets each loading stage as it starts, from the worker thread.
    """
    from engine.models import ModelManager

    path = ModelManager(models_dir).resolve(model.model_id, model.local_path)
    # These bring in torch (seconds); a model that is not on disk is reported before paying for that.
    from engine.omni.loader import load_thinker
    from engine.omni.local import GenerationSettings, LocalEngine

    loaded = load_thinker(path, model.device, progress=progress)
    generation = GenerationSettings(
        max_new_tokens=model.max_new_tokens, temperature=model.temperature, top_p=model.top_p
    )
    return _Loaded(LocalEngine(loaded, generation), model_name(model), runs_on(loaded))


def runs_on(loaded: LoadedThinker) -> str:
    """Where and how a thinker runs, for the status bar: device, dtype and the GPTQ kernel when quantized."""
    how = loaded.dtype if loaded.kernel == "none" else f"{loaded.dtype}, {loaded.kernel}"
    return f"{loaded.device} ({how})"


def _connect_server(model: ModelSettings) -> _Loaded:
    """Connect to the OpenAI-compatible server of ``model`` once it answers (runs in a worker thread)."""
    from engine.remote.connect import connect_from_settings

    engine = connect_from_settings(model)
    return _Loaded(engine, engine.model, engine.base_url)


def engine_choice_changed(old: ModelSettings, new: ModelSettings) -> bool:
    """Whether ``new`` names another engine than ``old`` (backend, model, folder, device or server)."""
    fields = ("backend", "model_id", "local_path", "device", "server_url", "server_model")
    return any(getattr(old, name) != getattr(new, name) for name in fields)


def describe_problem(error: BaseException) -> LoadProblem:
    """A message and hint for ``error``; unexpected errors point at the log."""
    if isinstance(error, NexusError):
        return LoadProblem(error.message, error.hint)
    if isinstance(error, MemoryError):
        return LoadProblem(
            "There is not enough memory to load the model.", "Close other programs or choose a smaller model."
        )
    message, hint = advice(error)
    return LoadProblem(f"The model could not be loaded. {message}", hint)


def model_state_text(state: str, action: str) -> str:
    """The panel line for an engine ``state``; ``action`` names the button that loads the model."""
    if state == "not loaded":
        return f"Model: loads when you press {action}"
    if state.startswith("ready: "):
        return f"Model: {state.removeprefix('ready: ')} · ready"
    if state.startswith("error: "):
        return "Model: not loaded"
    return f"Model: {state}"


class EngineHost(QObject):
    """Owns the engine that answers; loads it in the background and says how that went."""

    state_changed = Signal(str)
    """A short status text: ``"loading…"``, ``"connecting…"``, ``"ready: <name> on <device or server>"`` or
    ``"error: <message>"``."""
    ready = Signal(object)
    """The engine, once it can answer."""
    failed = Signal(str, str)
    """``(message, hint)`` when loading failed."""
    _stage = Signal(int, str)
    """``(load generation, stage)`` from the loading worker; shown as ``"loading: <stage>…"``."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._engine: Engine | None = None
        self._state = "not loaded"
        self._problem: LoadProblem | None = None
        # Bumped by every load/set_engine, so a slow, superseded load cannot win.
        self._generation = 0
        self._stage.connect(self._on_stage)  # queued: emitted from the worker, handled on the Qt thread

    @property
    def engine(self) -> Engine | None:
        """The engine that answers, or ``None`` before a load finished."""
        return self._engine

    @property
    def state(self) -> str:
        """The last text sent on ``state_changed``."""
        return self._state

    @property
    def loading(self) -> bool:
        """Whether a load (or a connection to a server) is in progress."""
        return self._state.startswith(("loading", "connecting"))

    @property
    def problem(self) -> LoadProblem | None:
        """Why the last load failed, or ``None``."""
        return self._problem

    def load(self, settings: Settings) -> None:
        """Load the model named by ``settings``, or connect to its server, in the background."""
        self._generation += 1
        generation = self._generation
        model = settings.model.model_copy()
        models_dir = settings.folders.resolved_models_dir()
        self._problem = None
        if model.backend == "server":
            self._set_state("connecting…")
            work = partial(_connect_server, model)
        else:
            self._set_state("loading…")
            work = partial(_load_local, model, models_dir, lambda stage: self._stage.emit(generation, stage))
        run_task(
            work,
            lambda result, error: shiboken6.isValid(self) and self._loaded(generation, result, error),
        )

    def set_engine(self, engine: Engine, name: str | None = None, device: str | None = None) -> None:
        """Use ``engine`` as it is (a scripted engine in tests, an engine loaded elsewhere)."""
        self._generation += 1
        info = engine.describe()
        name = name or Path(info.get("model", "engine")).name
        device = device or info.get("device") or info.get("server") or info.get("backend", "this computer")
        self._adopt(_Loaded(engine, name, device))

    def _on_stage(self, generation: int, stage: str) -> None:
        if generation == self._generation and self.loading:
            self._set_state(f"loading: {stage}…")

    def _loaded(self, generation: int, result: _Loaded | None, error: BaseException | None) -> None:
        if generation != self._generation:
            return
        if error is not None or result is None:
            problem = describe_problem(error or RuntimeError("no engine returned"))
            log.error("model not loaded: %s %s", problem.message, problem.hint)
            self._problem = problem
            self._set_state(f"error: {problem.message}")
            self.failed.emit(problem.message, problem.hint)
            return
        self._adopt(result)

    def _adopt(self, loaded: _Loaded) -> None:
        self._engine = loaded.engine
        self._problem = None
        self._set_state(f"ready: {loaded.name} on {loaded.device}")
        self.ready.emit(loaded.engine)

    def _set_state(self, text: str) -> None:
        self._state = text
        self.state_changed.emit(text)
