"""Speech: Whisper recognition, Piper synthesis, sentence chunking (no Qt)."""
