"""One construct per module; each takes typed keyword-only arguments and exposes what it built."""
