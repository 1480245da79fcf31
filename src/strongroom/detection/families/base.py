"""What a detector is: the API names it looks at (None: every record) and a check appending drafts."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from strongroom.detection.contract import FindingDraft
    from strongroom.detection.engine import DetectionEngine
    from strongroom.detection.event import Event


class Detector:
    apis: ClassVar[frozenset[str] | None] = None

    def check(self, event: Event, engine: DetectionEngine, out: list[FindingDraft]) -> None:
        raise NotImplementedError
