"""``nexus-cli``: every GUI action has a command here."""
