"""Refuse query parameters a body-taking route does not declare: an ignored `?threshold=` misleads."""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from service.errors import InvalidRequest

# Routes that take a body; GET routes keep tolerating cache-busting parameters such as ?t=123.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def declared_query(dependant: Dependant) -> frozenset[str]:
    """Every query parameter name the route and its dependencies declare (aliases as sent)."""
    names: set[str] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        names.update(param.alias for param in current.query_params)
        pending.extend(current.dependencies)
    return frozenset(names)


def reject_unknown_query(request: Request) -> None:
    """422 naming the first query parameter the matched body-taking route does not declare."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not ((route.methods or set()) & BODY_METHODS):
        return
    known = declared_query(route.dependant)
    for name in request.query_params:
        if name not in known:
            expected = ", ".join(sorted(known)) or "none"
            raise InvalidRequest(
                f"unknown query parameter '{name}'; this route accepts: {expected}", field=name
            )
