"""AWS IAM (query protocol): one method per operation, grouped by family in the modules imported here."""

from __future__ import annotations

from strongroom.services.iam.access_keys import AccessKeyOperations
from strongroom.services.iam.attach import AttachmentOperations
from strongroom.services.iam.details import DetailOperations
from strongroom.services.iam.groups import GroupOperations
from strongroom.services.iam.policies import PolicyOperations
from strongroom.services.iam.roles import RoleOperations
from strongroom.services.iam.simulate import SimulationOperations
from strongroom.services.iam.users import UserOperations


class Provider(
    UserOperations,
    GroupOperations,
    RoleOperations,
    PolicyOperations,
    AttachmentOperations,
    AccessKeyOperations,
    DetailOperations,
    SimulationOperations,
):
    """Every IAM operation Strongroom serves; see docs/iam.md for what differs from AWS."""
