"""``python -m cli`` runs ``nexus-cli``."""

import sys

from cli.main import main

sys.exit(main())
