"""The tabular-classification kind: rows of named features in, one probability per label out."""
