"""Launch the Nexus desktop app (``nexus`` or ``python main.py``)."""

import sys


def main() -> int:
    """Start the GUI."""
    from app.main import main as run_app

    return run_app(sys.argv)


if __name__ == "__main__":
    sys.exit(main())
