"""The image-classification kind: one image in, one probability per label out."""
