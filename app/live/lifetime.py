"""Background results for widgets that may be gone by the time the result arrives.

A tab or dialog can be closed (and its C++ object deleted) while its
``run_task`` work is still running; calling into it then would raise inside
Qt's event loop. ``while_alive`` drops such late results.
"""

from __future__ import annotations

from typing import Any

import shiboken6
from PySide6.QtCore import QObject

from app.tasks import DoneCallback


def while_alive(owner: QObject, callback: DoneCallback) -> DoneCallback:
    """``callback``, skipped once ``owner`` has been deleted."""

    def deliver(result: Any, error: BaseException | None) -> None:
        if shiboken6.isValid(owner):
            callback(result, error)

    return deliver
