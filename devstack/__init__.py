"""The production-like local stack: moto's S3 server, the service, and nginx with TLS in front.

`make stack` / `make stack-down` (scripts/stack.py) and the end-to-end tests drive these modules.
"""
