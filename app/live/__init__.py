"""Qt views of the live feature."""
