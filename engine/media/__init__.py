"""Real-time media: ring buffers, capture, microphone, playback, VAD, echo cancellation (no Qt)."""
