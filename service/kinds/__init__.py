"""Model kinds: each is a package with its manifest fields, routes, schemas, page and examples."""
