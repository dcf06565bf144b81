"""The Datasets page of the Expert tab: library, build, preview, stats, validate, mix and export."""
