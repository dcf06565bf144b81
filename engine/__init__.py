"""Nexus engine: the model, real-time media, speech and conversation logic.

Nothing in this package imports Qt; the GUI in ``app/`` subscribes to events
that these objects emit.
"""

__version__ = "0.1.0"
