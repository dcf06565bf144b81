"""About Nexus: version, licence and the versions of the parts it runs on."""

from __future__ import annotations

import platform

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from engine import __version__, system_info


def about_html() -> str:
    """The About text as HTML."""
    rows = "".join(
        f"<tr><td>{name}</td><td style='padding-left:12px'>{version}</td></tr>"
        for name, version in system_info.package_versions().items()
    )
    return (
        f"<h2>Nexus {__version__}</h2>"
        "<p>A private assistant that sees, hears and talks, on this computer.</p>"
        "<p>Free software under the GNU GPL, version 3 or later.</p>"
        f"<p>Python {platform.python_version()} on {platform.system()} {platform.machine()}</p>"
        f"<table>{rows}</table>"
    )


class AboutDialog(QDialog):
    """Shows ``about_html``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Nexus")
        label = QLabel(about_html())
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(buttons)
