"""The Qt binding itself: PySide6 6.12.0 on CPython 3.11 loses a reference to None on every call
returning nothing, and the app aborts (``none_dealloc``) after ~37,000 such calls. Pinned to 6.11.3;
this test stops an upgrade that brings the bug back."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QLabel


def test_calls_returning_nothing_keep_none_alive(qapp: QApplication) -> None:
    label = QLabel()
    before = sys.getrefcount(None)
    for _ in range(10_000):
        label.setText("x")
    assert sys.getrefcount(None) - before > -100
