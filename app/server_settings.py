"""The OpenAI-compatible server fields of Settings → Model: address, model name, API key, Test connection.

The API key goes to the OS keyring (``store_api_key``) when the dialog is
accepted, never into the settings file. "Test connection" asks the server for
its models off the Qt thread and offers them as model names.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app.tasks import run_task
from engine.config import ModelSettings
from engine.errors import NexusError
from engine.remote.connect import served_models
from engine.remote.keys import load_api_key, store_api_key

FIRST_SERVED = "The server's first model"
_ERROR_STYLE = "color: #d9534f;"


class ServerSettingsForm(QWidget):
    """Address, model name and API key of an OpenAI-compatible server, with a connection test."""

    def __init__(self, model: ModelSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.url_edit = QLineEdit(model.server_url)
        self.url_edit.setPlaceholderText("http://127.0.0.1:8080/v1")
        self.url_edit.setClearButtonEnabled(True)
        self.model_combo = QComboBox()
        self.model_combo.setEditable(True)
        self.model_combo.addItem(FIRST_SERVED, "")
        if model.server_model:
            self.model_combo.addItem(model.server_model, model.server_model)
            self.model_combo.setCurrentIndex(1)
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText(self._key_placeholder(model.server_url))
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test_connection)
        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.result_label, 1)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Server address", self.url_edit)
        form.addRow("Model name", self.model_combo)
        form.addRow("API key", self.key_edit)
        form.addRow("", test_row)

    @staticmethod
    def _key_placeholder(url: str) -> str:
        try:
            stored = bool(url.strip()) and load_api_key(url) is not None
        except NexusError:
            stored = False
        return "A key is stored in the system keyring" if stored else "None (kept in the system keyring when set)"

    def server_url(self) -> str:
        """The address as typed, trimmed."""
        return self.url_edit.text().strip()

    def server_model(self) -> str:
        """The chosen model name; empty means the server's first model."""
        index = self.model_combo.findText(self.model_combo.currentText())
        if index >= 0:
            return str(self.model_combo.itemData(index) or "")
        return self.model_combo.currentText().strip()

    def store_key(self) -> None:
        """Keep a newly typed API key in the keyring; raises ``RemoteEngineError`` when it cannot."""
        key = self.key_edit.text().strip()
        if key and self.server_url():
            store_api_key(self.server_url(), key)
            self.key_edit.clear()

    def test_connection(self) -> None:
        """Ask the server for its models off the Qt thread; the answer fills the model names."""
        url, key = self.server_url(), self.key_edit.text().strip() or None
        self.test_button.setEnabled(False)
        self._show("Connecting…", error=False)
        run_task(
            lambda: served_models(url, key),
            lambda models, error: shiboken6.isValid(self) and self._tested(models, error),
        )

    def _tested(self, models: list[str] | None, error: BaseException | None) -> None:
        self.test_button.setEnabled(True)
        if error is not None or models is None:
            if isinstance(error, NexusError):
                self._show(f"{error.message} {error.hint}", error=True)
            else:
                self._show(f"The connection test failed: {error}", error=True)
            return
        chosen = self.server_model()
        for name in models:
            if self.model_combo.findData(name) < 0:
                self.model_combo.addItem(name, name)
        if chosen and self.model_combo.findData(chosen) >= 0:
            self.model_combo.setCurrentIndex(self.model_combo.findData(chosen))
        elif chosen:
            self.model_combo.setEditText(chosen)
        served = ", ".join(models) if models else "no model"
        self._show(f"Connected: the server serves {served}.", error=False)

    def _show(self, text: str, *, error: bool) -> None:
        self.result_label.setText(text)
        self.result_label.setStyleSheet(_ERROR_STYLE if error else "")
