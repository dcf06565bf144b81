"""Built-in hub recipes (YAML data files, read by :mod:`training.datasets.hub_recipes`)."""
