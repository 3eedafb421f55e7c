"""facesim service: a siamese face-similarity model behind a FastAPI app."""

# The package's version (pyproject.toml's [project] version; a test keeps the two equal).
__version__ = "1.0.0"
