"""Nexus GUI: the only package that imports Qt."""
