"""STS sessions: GetCallerIdentity, AssumeRole, GetSessionToken (with MFA), GetAccessKeyInfo, and issuing.

Temporary credentials are rows of ``iam_sessions``: an ``ASIA...`` key id, a sealed secret and the SHA-256 of
the session token. The request pipeline authenticates them through ``AccountDirectory.lookup``.
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select

from strongroom.core import ids
from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.iam import mfa
from strongroom.iam.accounts import token_sha256
from strongroom.iam.directory import Directory, RoleRecord, SessionRecord
from strongroom.iam.model import access_keys, sessions
from strongroom.services.iam import documents
from strongroom.services.sts.trust import TrustRequest, trust_policy_allows

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime

CHAINED_MAX = 3600  # role chaining limits a session to one hour
SESSION_POLICY_MAX = 2048
SESSION_TOKEN_DEFAULT = 43200
SESSION_TOKEN_ROOT_MAX = 3600


def _error(code: str, message: str, status: int = 400) -> AwsError:
    return AwsError(message, code=code, status=status)


def _access_denied(message: str) -> AwsError:
    return _error("AccessDenied", message, 403)


def _session_token() -> str:
    # Opaque, long and base64 like AWS's; only its SHA-256 is stored.
    return "FwoGZXIvYXdzE" + base64.b64encode(secrets.token_bytes(192)).decode()


def _role_from_arn(arn: str) -> tuple[str, str] | None:
    """(account, role name) of ``arn:aws:iam::ACCT:role/PATH/NAME``."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or not parts[5].startswith("role/"):
        return None
    return parts[4], parts[5].rsplit("/", 1)[-1]


class SessionOperations:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.directory = Directory(runtime.store)

    def get_caller_identity(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        p = ctx.principal
        return {"UserId": p.principal_id, "Account": p.account_id, "Arn": p.arn}

    def get_access_key_info(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key_id = request["AccessKeyId"]
        with self.runtime.store.read() as conn:
            account = conn.execute(
                select(access_keys.c.account_id).where(access_keys.c.access_key_id == key_id)
            ).scalar()
            if account is None:
                account = conn.execute(select(sessions.c.account_id).where(sessions.c.access_key_id == key_id)).scalar()
        if account is None:
            # AWS decodes the account from any well-formed id; Strongroom only knows the keys it issued
            raise _error("InvalidParameterValue", f"The access key ID {key_id} is not known to this server.")
        return {"Account": account}

    # --- AssumeRole ------------------------------------------------------------------------------------

    def assume_role(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        p = ctx.principal
        role_arn, session_name = request["RoleArn"], request["RoleSessionName"]
        if p.type == "Root":
            raise _access_denied("Roles may not be assumed by root accounts.")
        caller = self._caller_session(ctx)
        parsed = _role_from_arn(role_arn)
        role = self.directory.role_by_arn(role_arn) if parsed else None
        context = {"aws:PrincipalArn": p.arn, "aws:PrincipalAccount": p.account_id, "aws:userid": p.principal_id}
        if "ExternalId" in request:
            context["sts:ExternalId"] = request["ExternalId"]
        if "SourceIdentity" in request:
            context["sts:SourceIdentity"] = request["SourceIdentity"]
        trust = TrustRequest(
            action="sts:AssumeRole",
            caller_arn=p.arn,
            caller_account=p.account_id,
            caller_role_arn=caller.role_arn if caller else None,
            context=context,
        )
        if role is None or not trust_policy_allows(role.assume_role_policy, trust):
            raise _access_denied(f"User: {p.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}")
        duration = self._duration(request, role, chained=caller is not None and caller.kind == "AssumedRole")
        mfa_at = self._mfa(ctx, request, p.user_name) if p.type == "IAMUser" else None
        policy = self._session_policy(request.get("Policy"))
        policy_arns = [item["arn"] for item in request.get("PolicyArns") or []]
        session_tags, transitive = self._session_tags(request, caller)
        source_identity = request.get("SourceIdentity")
        if caller is not None and caller.source_identity:
            if source_identity and source_identity != caller.source_identity:
                raise _access_denied("SourceIdentity cannot be changed in a role chain.")
            source_identity = caller.source_identity
        out = self._role_session(
            ctx,
            duration,
            role,
            session_name,
            policy=policy,
            policy_arns=policy_arns,
            tags=session_tags,
            transitive=transitive,
            source_identity=source_identity,
            mfa_at=mfa_at,
        )
        if source_identity:
            out["SourceIdentity"] = source_identity
        return out

    def _caller_session(self, ctx: RequestContext) -> SessionRecord | None:
        key = ctx.principal.access_key_id
        if key and key.startswith("ASIA"):
            return self.directory.session(key)
        return None

    @staticmethod
    def _duration(request: dict[str, Any], role: RoleRecord, *, chained: bool) -> int:
        duration = int(request.get("DurationSeconds", 3600))
        if chained and duration > CHAINED_MAX:
            raise _error(
                "ValidationError",
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            )
        if duration > role.max_session_duration:
            raise _error(
                "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
            )
        return duration

    @staticmethod
    def _session_policy(policy: str | None) -> str | None:
        if policy is None:
            return None
        if len(policy) > SESSION_POLICY_MAX:
            raise _error(
                "ValidationError",
                "1 validation error detected: Value at 'policy' failed to satisfy constraint: "
                f"Member must have length less than or equal to {SESSION_POLICY_MAX}",
            )
        documents.check_policy_grammar(policy, "session")
        return policy

    @staticmethod
    def _session_tags(request: dict[str, Any], caller: SessionRecord | None) -> tuple[dict[str, str], list[str]]:
        tags: dict[str, str] = {}
        transitive: list[str] = []
        if caller is not None:
            # transitive tags of the calling session pass down the chain and cannot be overridden
            for key in caller.transitive_tag_keys:
                if key in caller.tags:
                    tags[key] = caller.tags[key]
                    transitive.append(key)
        seen = {k.lower() for k in tags}
        for tag in request.get("Tags") or []:
            if tag["Key"].lower() in seen:
                raise _error(
                    "InvalidParameterValue",
                    "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
                )
            seen.add(tag["Key"].lower())
            tags[tag["Key"]] = tag["Value"]
        lowered = {k.lower(): k for k in tags}
        for key in request.get("TransitiveTagKeys") or []:
            if key.lower() not in lowered:
                raise _error(
                    "InvalidParameterValue", "The specified transitive tag key must be included in the requested tags."
                )
            if lowered[key.lower()] not in transitive:
                transitive.append(lowered[key.lower()])
        return tags, transitive

    @staticmethod
    def _packed_size(policy: str | None, arns: list[str], tags: dict[str, str]) -> int:
        """A percentage of AWS's packed-policy allowance; AWS's compression is not public, so this estimates."""
        raw = documents.size(policy or "") + sum(len(a) for a in arns) + sum(len(k) + len(v) for k, v in tags.items())
        percent = max(1, (raw * 100) // 4096)
        if percent > 100:
            raise _error(
                "PackedPolicyTooLarge",
                f"Packed policy consumes {percent}% of allotted space, please use smaller policy.",
            )
        return percent

    # --- GetSessionToken -------------------------------------------------------------------------------

    def get_session_token(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        p = ctx.principal
        if p.access_key_id and p.access_key_id.startswith("ASIA"):
            raise _access_denied("Cannot call GetSessionToken with session credentials")
        if p.type not in ("Root", "IAMUser"):
            raise _access_denied("Cannot call GetSessionToken with session credentials")
        mfa_at = self._mfa(ctx, request, p.user_name)
        duration = int(request.get("DurationSeconds", SESSION_TOKEN_DEFAULT))
        if p.type == "Root":
            # AWS caps root sessions at one hour (and so defaults to it)
            duration = min(duration, SESSION_TOKEN_ROOT_MAX)
        # bound to the user's unique id: the session dies with the user, not with its name
        user_id = p.principal_id if p.user_name else None
        creds = self._issue(ctx, duration, kind="SessionToken", user_name=p.user_name, user_id=user_id, mfa_at=mfa_at)
        return {"Credentials": creds}

    def _mfa(self, ctx: RequestContext, request: dict[str, Any], user_name: str | None) -> datetime | None:
        """When SerialNumber and TokenCode are given: the time the code was verified (AccessDenied otherwise)."""
        serial, code = request.get("SerialNumber"), request.get("TokenCode")
        if serial is None and code is None:
            return None
        if not serial or not code:
            raise _access_denied("MultiFactorAuthentication failed, unable to validate MFA code.")
        try:
            return mfa.check_code(self.runtime.store, self.runtime.seal, ctx.account_id, serial, code, user_name)
        except mfa.MfaFailure as exc:
            raise _access_denied(str(exc)) from None

    # --- issuing ---------------------------------------------------------------------------------------

    def _role_session(
        self,
        ctx: RequestContext,
        duration: int,
        role: RoleRecord,
        session_name: str,
        *,
        policy: str | None,
        policy_arns: list[str],
        tags: dict[str, str],
        transitive: list[str] | None = None,
        source_identity: str | None = None,
        mfa_at: datetime | None = None,
    ) -> dict[str, Any]:
        """The credentials and ``AssumedRoleUser`` every AssumeRole* answer starts with (each adds its own keys)."""
        creds = self._issue(
            ctx,
            duration,
            kind="AssumedRole",
            role=role,
            session_name=session_name,
            policy=policy,
            policy_arns=policy_arns,
            tags=tags,
            transitive=transitive,
            source_identity=source_identity,
            mfa_at=mfa_at,
        )
        out: dict[str, Any] = {
            "Credentials": creds,
            "AssumedRoleUser": {
                "AssumedRoleId": f"{role.role_id}:{session_name}",
                "Arn": f"arn:aws:sts::{role.account_id}:assumed-role/{role.name}/{session_name}",
            },
        }
        if policy or policy_arns or tags:
            out["PackedPolicySize"] = self._packed_size(policy, policy_arns, tags)
        return out

    def _issue(
        self,
        ctx: RequestContext,
        duration: int,
        *,
        kind: str,
        role: RoleRecord | None = None,
        session_name: str | None = None,
        user_name: str | None = None,
        user_id: str | None = None,
        policy: str | None = None,
        policy_arns: list[str] | None = None,
        tags: dict[str, str] | None = None,
        transitive: list[str] | None = None,
        source_identity: str | None = None,
        mfa_at: datetime | None = None,
        account_id: str | None = None,
    ) -> dict[str, Any]:
        key_id, secret, token = ids.access_key_id("ASIA"), ids.secret_access_key(), _session_token()
        now = ctx.now().replace(microsecond=0)
        expires = now + timedelta(seconds=duration)
        account = role.account_id if role is not None else (account_id or ctx.account_id)
        with self.runtime.store.write() as conn:
            conn.execute(
                insert(sessions).values(
                    access_key_id=key_id,
                    account_id=account,
                    secret_sealed=self.runtime.accounts.seal_secret(key_id, secret),
                    token_sha256=token_sha256(token),
                    kind=kind,
                    role_arn=role.arn if role else None,
                    role_id=role.role_id if role else None,
                    role_name=role.name if role else None,
                    session_name=session_name,
                    user_name=user_name,
                    user_id=user_id,
                    source_access_key_id=ctx.principal.access_key_id,
                    policy=policy,
                    policy_arns=json.dumps(policy_arns) if policy_arns else None,
                    tags=json.dumps(tags) if tags else None,
                    transitive_tag_keys=json.dumps(transitive) if transitive else None,
                    source_identity=source_identity,
                    created_at=now,
                    expires_at=expires,
                    mfa_at=mfa_at,
                )
            )
        return {"AccessKeyId": key_id, "SecretAccessKey": secret, "SessionToken": token, "Expiration": expires}


def issue_service_role_session(
    runtime: ServiceRuntime, role: RoleRecord, session_name: str, duration: int
) -> dict[str, Any]:
    """Temporary credentials of ``role`` for an AWS service acting as the role (Lambda's execution role).

    No caller and no trust check here: the calling service verified that the role trusts it (e.g. the
    ``lambda.amazonaws.com`` principal) when it was configured, as AWS does.
    """
    key_id, secret, token = ids.access_key_id("ASIA"), ids.secret_access_key(), _session_token()
    now = clock.now().replace(microsecond=0)
    expires = now + timedelta(seconds=min(duration, role.max_session_duration))
    with runtime.store.write() as conn:
        conn.execute(
            insert(sessions).values(
                access_key_id=key_id,
                account_id=role.account_id,
                secret_sealed=runtime.accounts.seal_secret(key_id, secret),
                token_sha256=token_sha256(token),
                kind="AssumedRole",
                role_arn=role.arn,
                role_id=role.role_id,
                role_name=role.name,
                session_name=session_name,
                created_at=now,
                expires_at=expires,
            )
        )
    return {"AccessKeyId": key_id, "SecretAccessKey": secret, "SessionToken": token, "Expiration": expires}


def issue_console_session(
    runtime: ServiceRuntime, account_id: str, user_name: str, user_id: str, duration: int, mfa_at: datetime | None
) -> dict[str, Any]:
    """The session a console sign-in with the user's password gives: what GetSessionToken would issue the user
    (kind SessionToken, bound to the user's unique id, ``mfa_at`` when a code was verified), with no source key —
    the password, not an access key, authenticated it."""
    key_id, secret, token = ids.access_key_id("ASIA"), ids.secret_access_key(), _session_token()
    now = clock.now().replace(microsecond=0)
    expires = now + timedelta(seconds=duration)
    with runtime.store.write() as conn:
        conn.execute(
            insert(sessions).values(
                access_key_id=key_id,
                account_id=account_id,
                secret_sealed=runtime.accounts.seal_secret(key_id, secret),
                token_sha256=token_sha256(token),
                kind="SessionToken",
                user_name=user_name,
                user_id=user_id,
                created_at=now,
                expires_at=expires,
                mfa_at=mfa_at,
            )
        )
    return {"AccessKeyId": key_id, "SecretAccessKey": secret, "SessionToken": token, "Expiration": expires}
