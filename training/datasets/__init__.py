"""The dataset workbench: schema, generators, loaders, normalizers, validator, mixer (no Qt)."""
