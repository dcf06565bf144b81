"""Qt views of the expert feature."""
