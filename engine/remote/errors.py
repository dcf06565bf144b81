"""The error the remote backend reports: a server that is unreachable, refuses or misbehaves."""

from __future__ import annotations

from engine.errors import NexusError


class RemoteEngineError(NexusError):
    """A remote model server could not answer a turn, or its API key could not be kept."""
