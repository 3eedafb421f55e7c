"""`make bench`: the service measured against the in-process limit, a naive peer and BentoML."""
