"""The CI identity: GitHub Actions' OIDC provider and the two roles the workflows assume."""
