"""HTTP layer: thin routes over typed functions."""
