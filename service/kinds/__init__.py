"""One package per model kind; the core serves whatever kind a manifest names."""
