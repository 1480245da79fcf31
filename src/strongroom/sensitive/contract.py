"""The contract between Macie's sensitive-data engine and what feeds it.

``strongroom.sensitive`` is a pure layer (like ``strongroom.detection``: it imports only ``strongroom.core``): it reads
an object's bytes (any of the formats Macie classifies) and answers what sensitive data it holds and where. Two
callers share it, so that the same files give the same findings:

* ``services/macie2`` classification jobs (and automated discovery) feed S3 objects' bytes (already decrypted by
  the service reading them as Macie's service-linked role) and turn the result into AWS's finding JSON and the
  classification-result records;
* ``strongroom macie scan PATH…`` feeds local files and prints the same JSON.

The engine never reads a clock, the network or the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal, Protocol

Category = Literal["CREDENTIALS", "FINANCIAL_INFORMATION", "PERSONAL_INFORMATION"]
Selector = Literal["ALL", "EXCLUDE", "INCLUDE", "NONE", "RECOMMENDED"]


@dataclass(frozen=True, slots=True)
class ManagedIdentifier:
    """One managed data identifier, with AWS's id ("CREDIT_CARD_NUMBER", "AWS_CREDENTIALS", ...) — or ours, for
    those AWS lacks (Korean ones: "KOREA_RESIDENT_REGISTRATION_NUMBER", ...)."""

    id: str
    category: Category
    recommended: bool  # in AWS's RECOMMENDED set
    countries: tuple[str, ...] = ()  # ISO 3166 alpha-2 where country-specific
    aws: bool = True  # False for identifiers AWS does not have


@dataclass(frozen=True, slots=True)
class CustomIdentifier:
    """A custom data identifier as CreateCustomDataIdentifier stores it."""

    id: str
    arn: str
    name: str
    regex: str
    keywords: tuple[str, ...] = ()
    ignore_words: tuple[str, ...] = ()
    maximum_match_distance: int = 50
    severity_levels: tuple[tuple[str, int], ...] = (("HIGH", 1),)  # (severity, occurrencesThreshold)


@dataclass(frozen=True, slots=True)
class AllowList:
    """An allow list: predefined text (one entry per line of the S3 object the service read) or one regex."""

    id: str
    words: frozenset[str] = frozenset()
    regex: str | None = None


@dataclass(frozen=True, slots=True)
class ScanConfig:
    managed_selector: Selector = "RECOMMENDED"
    managed_ids: frozenset[str] = frozenset()  # for INCLUDE / EXCLUDE
    custom: Sequence[CustomIdentifier] = ()
    allow_lists: Sequence[AllowList] = ()
    max_occurrences: int = 15  # AWS reports up to 15 occurrences per type in a finding


@dataclass(slots=True)
class Detection:
    """All occurrences of one identifier (managed or custom) in one object."""

    type: str  # the managed identifier id, or the custom identifier's id
    category: str  # Category, or "CUSTOM_IDENTIFIER"
    count: int
    occurrences: dict[str, list[dict[str, Any]]]  # AWS's Occurrences: lineRanges/offsetRanges/pages/records/cells
    samples: list[str] = field(default_factory=list)  # the matched text (≤ 10), for reveal; callers encrypt them


@dataclass(slots=True)
class ObjectResult:
    """What Macie's ClassificationResult says about one object."""

    mime_type: str
    size_classified: int
    status: Literal["COMPLETE", "PARTIAL", "SKIPPED"]
    reason: str | None = None  # AWS's ClassificationResultStatus.reason codes (e.g. "UNSUPPORTED_OBJECT_TYPE")
    detections: list[Detection] = field(default_factory=list)
    additional_occurrences: bool = False


class Classifier(Protocol):
    """Built once per job (identifiers compiled once); ``classify`` is called per object, streaming."""

    def classify(self, name: str, body: BinaryIO, size: int) -> ObjectResult: ...


def managed_identifiers() -> Iterable[ManagedIdentifier]:  # implemented in strongroom.sensitive (classifier.py)
    raise NotImplementedError("import managed_identifiers from strongroom.sensitive")


def build_classifier(config: ScanConfig) -> Classifier:  # implemented in strongroom.sensitive (classifier.py)
    raise NotImplementedError("import build_classifier from strongroom.sensitive")
