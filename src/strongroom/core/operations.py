"""What Strongroom knows about one API operation besides its wire shapes (one row of a service's operations table).

Pure data, so ``iam/``, ``audit/``, ``server/`` and the services can all read it. A service with facts of its own
subclasses ``Operation`` in ``services/<svc>/operations.py`` (only that service reads them).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Operation:
    """What Strongroom knows about one API operation besides its wire shapes."""

    name: str  # "Encrypt", as in the service model
    resource: str | None = None  # request member naming the resource; None = "*"
    actions: tuple[str, ...] = ()  # IAM actions; () = "<signing prefix>:<name>"
    read_only: bool | None = None  # CloudTrail readOnly; None = the prefix rule (READ_ONLY_PREFIXES)
    on_loop: bool | None = None  # may run on the event loop on SQLite; None = read_only
    audit_members: tuple[str, ...] = ()  # request/response members whose values are resources[] (service default if ())
    throttled: bool = False  # counts toward a per-account request rate (SSM GetParameter*)
    body_limit: int | None = None  # bytes; None = the service's (server/limits.py)
    # CloudTrail records it as a data event (S3 object operations): only trails whose selectors choose it log it,
    # and event history (LookupEvents) never shows it.
    data_event: bool = False


# The default for ``read_only`` (a row that leaves it None): CloudTrail marks these name prefixes readOnly.
READ_ONLY_PREFIXES = ("Describe", "Get", "List", "Lookup", "Search", "BatchGet", "Simulate", "Test", "Check")


def row_read_only(name: str, spec: Operation | None) -> bool:
    """The row's ``read_only`` when it says, else the prefix rule."""
    if spec is not None and spec.read_only is not None:
        return spec.read_only
    return name.startswith(READ_ONLY_PREFIXES)
