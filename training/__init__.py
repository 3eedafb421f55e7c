"""Training and evaluation of the facesim siamese model on LFW (TensorFlow only in network.py)."""
