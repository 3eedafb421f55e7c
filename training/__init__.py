"""Training your own model: the example trainers (digits, census, banknote) live in training/examples/."""
