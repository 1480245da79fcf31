"""STS's operations table.

AssumeRole is asked on the role (``RoleArn``, with its trust policy: ``access.py``); GetCallerIdentity,
GetSessionToken, AssumeRoleWithWebIdentity and AssumeRoleWithSAML need no permission (the last two are unsigned:
the token is the credential, checked by the provider). CloudTrail records the credential-issuing calls as
read-only, but they write a session row, so they run in worker threads, not on the event loop.
"""

from __future__ import annotations

from collections.abc import Mapping

from strongroom.core.operations import Operation
from strongroom.services.base.operations import operations

OPERATIONS: Mapping[str, Operation] = operations(
    Operation("AssumeRole", resource="RoleArn", read_only=True, on_loop=False),
    Operation("AssumeRoleWithSAML", resource="RoleArn", read_only=True, on_loop=False),
    Operation("AssumeRoleWithWebIdentity", resource="RoleArn", read_only=True, on_loop=False),
    Operation("AssumeRoot", resource="TargetPrincipal", on_loop=False),
    Operation("DecodeAuthorizationMessage", read_only=True),
    Operation("GetAccessKeyInfo"),
    Operation("GetCallerIdentity"),
    Operation("GetDelegatedAccessToken", read_only=True, on_loop=False),
    Operation("GetFederationToken", read_only=True, on_loop=False),
    Operation("GetScopedCredentials", read_only=True, on_loop=False),
    Operation("GetSessionToken", read_only=True, on_loop=False),
    Operation("GetWebIdentityToken", read_only=True, on_loop=False),
)
