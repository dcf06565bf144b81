"""Progress and warnings from long engine work, for whoever is listening.

Engine code that can take more than a second (reading a 50 MB document,
transcribing an hour of audio) calls :func:`progress`; code that carries on
past a problem the user should know about (a damaged PDF read as far as it
goes) calls :func:`warn`. Nothing is shown unless a listener is installed
with :func:`listening`: the CLI installs one that prints on stderr for the
command it runs; the GUI passes its own callbacks where it needs them.

The listener lives in a context variable, so it applies to the thread (or
task) that installed it and never leaks into another command's work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

ProgressFn = Callable[[str, float, float | None], None]
WarnFn = Callable[[str], None]


@dataclass(frozen=True)
class Listener:
    """Where progress (``stage``, ``done``, ``total`` or None) and warnings go."""

    on_progress: ProgressFn | None = None
    on_warning: WarnFn | None = None


_listener: ContextVar[Listener | None] = ContextVar("nexus_feedback", default=None)


@contextmanager
def listening(on_progress: ProgressFn | None = None, on_warning: WarnFn | None = None) -> Iterator[Listener]:
    """Send :func:`progress` and :func:`warn` calls made inside the block to these callbacks."""
    listener = Listener(on_progress, on_warning)
    token = _listener.set(listener)
    try:
        yield listener
    finally:
        _listener.reset(token)


def progress(stage: str, done: float, total: float | None = None) -> None:
    """Report that ``done`` of ``total`` units of ``stage`` are finished (``total`` None: unknown)."""
    listener = _listener.get()
    if listener is not None and listener.on_progress is not None:
        listener.on_progress(stage, done, total)


def warn(message: str) -> None:
    """Tell the user about a problem the work carried on past (one sentence and a next step)."""
    listener = _listener.get()
    if listener is not None and listener.on_warning is not None:
        listener.on_warning(message)
