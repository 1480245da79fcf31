"""ACM provider: one method per operation, composed of the operation families."""

from __future__ import annotations

from strongroom.services.acm.imports import ImportExportFamily
from strongroom.services.acm.lifecycle import LifecycleFamily
from strongroom.services.acm.manage import ManageFamily
from strongroom.services.acm.tagging import TaggingFamily


class Provider(LifecycleFamily, ImportExportFamily, ManageFamily, TaggingFamily):
    """AWS Certificate Manager. ACME endpoint operations (CreateAcmeEndpoint & co.) are not implemented."""
