"""facesim service: a siamese face-similarity model behind a FastAPI app."""
