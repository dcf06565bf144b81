"""Start the Nexus GUI."""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from app.main_window import MainWindow
from app.theme import apply_theme
from engine import __version__
from engine.config import Settings, load_settings, settings_from_values
from engine.errors import ConfigError
from engine.logging_setup import setup_logging
from engine.privacy import make_private
from engine.paths import config_file

log = logging.getLogger(__name__)

ICON = Path(__file__).resolve().parents[1] / "assets" / "nexus.svg"


def create_application(argv: Sequence[str] | None = None) -> QApplication:
    """The QApplication with Nexus's names (used for settings and the desktop file)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(list(argv) if argv is not None else sys.argv)
    app.setApplicationName("Nexus")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("Nexus")
    app.setDesktopFileName("nexus")
    app.setWindowIcon(QIcon(str(ICON)))
    return app


def load_or_report() -> tuple[Settings, bool]:
    """Settings from disk and whether they may be written back.

    On a broken file, say so and start from defaults without overwriting it.
    """
    try:
        return load_settings(), True
    except ConfigError as exc:
        QMessageBox.warning(
            None,
            "Settings could not be read",
            f"{exc.message}\n\n{exc.hint}\n\nNexus starts with default settings and will not overwrite "
            f"{config_file()} until you save new ones.",
        )
        return settings_from_values(), False


def main(argv: Sequence[str] | None = None) -> int:
    """Run the app until its window closes."""
    make_private()
    log_file = setup_logging()
    app = create_application(argv)
    settings, writable = load_or_report()
    apply_theme(app, settings.ui.theme)
    window = MainWindow(settings)
    window.persist_state = writable
    window.show()
    window.maybe_show_first_run()
    # Full garbage collections over torch's many objects take ~100 ms and can land on
    # the GUI thread; objects alive after start-up and after a model load are never garbage.
    gc.freeze()
    window.engine_host.ready.connect(lambda _engine: gc.freeze())
    log.info("Nexus %s started; log file %s", __version__, log_file)
    return app.exec()
