"""Errors of the speech and real-time media layer, each with a message and a next step."""

from __future__ import annotations

from engine.errors import NexusError


class AudioFileError(NexusError):
    """An audio file is missing or cannot be decoded."""


class SpeechModelError(NexusError):
    """A Whisper model or Piper voice is missing, incomplete or fails to load."""


class AudioFormatError(NexusError):
    """Audio handed to a speech component has the wrong rate, shape or frame size."""
