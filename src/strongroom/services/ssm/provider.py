"""AWS Systems Manager Parameter Store: one method per operation, grouped by family in the modules imported here.

Every other SSM operation (documents, automation, inventory, ...) answers NotImplemented through the pipeline.
"""

from __future__ import annotations

from strongroom.services.ssm.history import HistoryOperations
from strongroom.services.ssm.lifecycle import PolicyOperations
from strongroom.services.ssm.resource_policies import ResourcePolicyOperations
from strongroom.services.ssm.settings import SettingOperations
from strongroom.services.ssm.tags import TagOperations


class Provider(PolicyOperations, HistoryOperations, TagOperations, ResourcePolicyOperations, SettingOperations):
    """Parameter Store as AWS serves it; see docs/parameter-store.md for what differs."""
