"""Source-format converters: one module per family of formats, a registry in :mod:`.registry`."""
