"""The Podcast tab's engine: reading source documents into referenced sections (no Qt)."""
