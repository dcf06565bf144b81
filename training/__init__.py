"""Nexus training: dataset tooling and fine-tune jobs (no Qt)."""
