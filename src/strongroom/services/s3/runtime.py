"""The runtime as S3 uses it: the service runtime plus the blob store object bodies live in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from strongroom.services.base.runtime import ServiceRuntime

if TYPE_CHECKING:
    from strongroom.store.blobs import BlobStore


class S3Runtime(ServiceRuntime, Protocol):
    @property
    def blobs(self) -> BlobStore: ...
