"""Qt views of the widgets feature."""
