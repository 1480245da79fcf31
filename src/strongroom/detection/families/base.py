"""What a detector is — the API names it looks at (None: every record) and a check appending drafts — and what it
may ask of the engine (``Context``; ``engine.DetectionEngine`` is the implementation: a Protocol keeps the families
from importing the engine that indexes them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from strongroom.detection.contract import FindingDraft
    from strongroom.detection.event import Event
    from strongroom.detection.intel import IpLists
    from strongroom.detection.state import States


class Context(Protocol):
    states: States
    learning_seconds: int
    settle_seconds: int
    tor: IpLists
    threats: IpLists

    def draft(
        self,
        event: Event,
        finding_type: str,
        *,
        resource_key: str = "",
        actor_key: str = "",
        values: Mapping[str, str] | None = None,
        resource: dict[str, Any] | None = None,
        extra_service: dict[str, Any] | None = None,
        additional: dict[str, Any] | None = None,
        severity: float | None = None,
    ) -> FindingDraft: ...

    def now(self, event: Event) -> int: ...


class Detector:
    apis: ClassVar[frozenset[str] | None] = None

    def check(self, event: Event, engine: Context, out: list[FindingDraft]) -> None:
        raise NotImplementedError
