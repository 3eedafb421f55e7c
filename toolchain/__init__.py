"""What `make` itself needs before any dependency is installed: the venv, Node.js. Standard library only."""
