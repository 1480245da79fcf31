"""Trail files as S3 objects: what delivery hands to the server's S3, and what validation reads back.

``audit/`` does not import services, so the server wires an implementation (``services/cloudtrail/delivery.py``,
which puts and reads objects in-process through the pipeline as CloudTrail's service principal or as the bucket's
owner). Without one, or when the trail's bucket is not an S3 bucket of this server, files go to the trail
directory as before (``trails.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

LOG = "log"
DIGEST = "digest"


@dataclass(frozen=True, slots=True)
class TrailObject:
    """One file a trail delivers, as the object CloudTrail puts into the trail's bucket."""

    trail_arn: str
    account_id: str  # the trail's account
    region: str  # the trail's home region
    bucket: str
    key: str
    body: bytes  # gzip
    kind: str  # LOG | DIGEST
    kms_key_id: str | None = None  # log files of a trail with KmsKeyId: SSE-KMS under it
    metadata: dict[str, str] = field(default_factory=dict)  # digests: signature, signature-algorithm


class TrailObjectSink(Protocol):
    """Where trail files go when the trail's bucket is an S3 bucket of this server."""

    def put(self, obj: TrailObject) -> bool:
        """Store ``obj``; False when the bucket does not exist (the file then goes to the trail directory).

        Any other failure (the bucket policy or key policy refuses CloudTrail, ...) raises: delivery records it as
        the trail's LatestDeliveryError and delivers the same records again next time.
        """
        ...

    def delete(self, obj: TrailObject) -> None:
        """Remove an object ``put`` stored (another node delivered the same records first)."""
        ...
