"""Qt views of the podcast feature."""
