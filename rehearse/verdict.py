"""A check's outcome, shared by the checks, the faults, the hygiene and the report."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """Whether a check passed, and what was seen (printed by `make rehearse`, asserted by tests).

    `ok` is None when the check cannot apply to this task definition (e.g. no read-only root
    filesystem declared): reported as a note to act on, neither a pass nor a failure.
    """

    name: str
    ok: bool | None
    detail: str

    @property
    def label(self) -> str:
        """PASS, FAIL or NOTE."""
        return "NOTE" if self.ok is None else "PASS" if self.ok else "FAIL"
