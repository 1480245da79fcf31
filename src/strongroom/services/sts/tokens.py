"""The other ways STS hands out credentials or tokens: GetFederationToken, GetScopedCredentials, AssumeRoot,
GetDelegatedAccessToken, GetWebIdentityToken, and DecodeAuthorizationMessage.

Account-level switches these read (centralized root access, outbound web identity federation) are set through IAM
and stored in ``iam_objects`` (kind ``account``): STS reads the same rows IAM writes.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from strongroom.core.errors import AwsError
from strongroom.iam import objects
from strongroom.iam.model import object_aad
from strongroom.services.sts.sessions import SessionOperations, _access_denied, _error

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

FEDERATION_DEFAULT = 43200
ROOT_TASK_POLICIES = frozenset(
    f"arn:aws:iam::aws:policy/root-task/{name}"
    for name in (
        "IAMAuditRootUserCredentials",
        "IAMCreateRootUserPassword",
        "IAMDeleteRootUserCredentials",
        "S3UnlockBucketPolicy",
        "SQSUnlockQueuePolicy",
    )
)
ROOT_SESSION_MAX = 900
# A federated user without a session policy has no permissions (AWS): its session policy then allows nothing.
_NO_PERMISSIONS = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"none:none","Resource":"*"}]}'
AUTH_MESSAGE_AAD = "sts:authorization-message:"
WEB_TOKEN_MAX = 3600


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def encode_authorization_message(ctx: RequestContext, decoded: dict[str, Any]) -> str:
    """An encoded authorization message for ``decoded`` (AWS's shape: allowed, explicitDeny, matchedStatements,
    failures, context), sealed so only DecodeAuthorizationMessage in the same account can read it."""
    raw = json.dumps(decoded, separators=(",", ":")).encode()
    sealed = ctx.runtime.seal.wrap(raw, (AUTH_MESSAGE_AAD + ctx.account_id).encode())
    return _b64url(sealed)


class TokenOperations(SessionOperations):
    # --- GetFederationToken ----------------------------------------------------------------------------------

    def get_federation_token(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        p = ctx.principal
        if (p.access_key_id or "").startswith("ASIA") or p.type not in ("Root", "IAMUser"):
            raise _access_denied("Cannot call GetFederationToken with session credentials")
        name = request["Name"]
        duration = int(request.get("DurationSeconds", FEDERATION_DEFAULT))
        if p.type == "Root":
            duration = min(duration, 3600)
        policy = self._session_policy(request.get("Policy"))
        policy_arns = [item["arn"] for item in request.get("PolicyArns") or []]
        tags = {t["Key"]: t["Value"] for t in request.get("Tags") or []}
        creds = self._issue(
            ctx,
            duration,
            kind="FederatedUser",
            session_name=name,
            user_name=p.user_name,
            user_id=p.principal_id if p.user_name else None,
            policy=policy or (None if policy_arns else _NO_PERMISSIONS),
            policy_arns=policy_arns,
            tags=tags,
        )
        out: dict[str, Any] = {
            "Credentials": creds,
            "FederatedUser": {
                "FederatedUserId": f"{ctx.account_id}:{name}",
                "Arn": f"arn:aws:sts::{ctx.account_id}:federated-user/{name}",
            },
        }
        if policy or policy_arns or tags:
            out["PackedPolicySize"] = self._packed_size(policy, policy_arns, tags)
        return out

    # --- GetScopedCredentials --------------------------------------------------------------------------------

    def get_scoped_credentials(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        caller = self._caller_session(ctx)
        if caller is None:
            raise _error(
                "InvalidSubjectCredentials",
                "GetScopedCredentials must be called with temporary security credentials.",
            )
        remaining = int((caller.expires_at - ctx.now()).total_seconds())
        duration = int(request.get("DurationSeconds", remaining))
        if duration > remaining:
            raise _error(
                "InsufficientSessionLifetime",
                "The requested DurationSeconds is greater than the remaining lifetime of the calling session.",
            )
        policy = self._session_policy(request.get("Policy"))
        if policy and (caller.policy or caller.policy_arns):
            # session policies of one session are a union; narrowing an already narrowed session would widen it
            raise _error(
                "MalformedPolicyDocument", "A session that already has session policies cannot be scoped again.", 400
            )
        role = self.directory.role_by_arn(caller.role_arn) if caller.role_arn else None
        creds = self._issue(
            ctx,
            duration,
            kind=caller.kind,
            role=role,
            session_name=caller.session_name,
            user_name=caller.user_name,
            user_id=caller.user_id,
            policy=policy or caller.policy,
            policy_arns=caller.policy_arns,
            tags=caller.tags,
            transitive=caller.transitive_tag_keys,
            source_identity=caller.source_identity,
            mfa_at=caller.mfa_at,
            account_id=caller.account_id,
        )
        out: dict[str, Any] = {
            "Credentials": creds,
            "SessionInfo": {"SessionDescription": request.get("ScopedSessionDescription")}
            if request.get("ScopedSessionDescription")
            else None,
            "ScopedPoliciesCount": 1 if policy else 0,
        }
        if caller.source_identity:
            out["SourceIdentity"] = caller.source_identity
        return {k: v for k, v in out.items() if v is not None}

    # --- AssumeRoot ------------------------------------------------------------------------------------------

    def assume_root(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        p = ctx.principal
        if p.type == "Root":
            raise _access_denied("AssumeRoot cannot be called with root user credentials.")
        target = request["TargetPrincipal"]
        task = request["TaskPolicyArn"].get("arn", "")
        if task not in ROOT_TASK_POLICIES:
            raise _error("ValidationError", f"TaskPolicyArn {task} is not a valid root task policy.")
        duration = int(request.get("DurationSeconds", ROOT_SESSION_MAX))
        if duration > ROOT_SESSION_MAX:
            raise _error("ValidationError", "DurationSeconds must be less than or equal to 900.")
        try:
            org = ctx.call("organizations", "DescribeOrganization", {})["Organization"]
            ctx.call("organizations", "DescribeAccount", {"AccountId": target})
        except AwsError:
            raise _access_denied(
                f"User: {p.arn} is not authorized to perform: sts:AssumeRoot on resource: {target}: the account is "
                "not a member of the caller's organization"
            ) from None
        with self.runtime.store.read() as conn:
            features = objects.get(conn, org["MasterAccountId"], "account", "organizations-features")
        enabled = (features.data.get("features") if features else None) or []
        if "RootSessions" not in enabled or target == org["MasterAccountId"]:
            raise _access_denied(
                "Centralized root access (RootSessions) is not enabled for the organization, or the target is its "
                "management account."
            )
        creds = self._issue(ctx, duration, kind="SessionToken", policy_arns=[task], account_id=target)
        return {"Credentials": creds}

    # --- GetDelegatedAccessToken -----------------------------------------------------------------------------

    def get_delegated_access_token(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        # Trade-in tokens come from IAM delegation requests, which no partner can create on this server.
        raise _error(
            "ExpiredTradeInTokenException",
            "The trade-in token provided in the request has expired and can no longer be exchanged for credentials.",
        )

    # --- GetWebIdentityToken ---------------------------------------------------------------------------------

    def get_web_identity_token(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            setting = objects.get(conn, ctx.account_id, "account", "outbound-federation")
        if setting is None or not setting.data.get("enabled"):
            raise _error(
                "OutboundWebIdentityFederationDisabledException",
                "The outbound web identity federation feature is not enabled for this account.",
                403,
            )
        duration = int(request.get("DurationSeconds", 300))
        if duration > WEB_TOKEN_MAX:
            raise _error("SessionDurationEscalationException", "The requested DurationSeconds is too long.", 403)
        algorithm = request["SigningAlgorithm"]
        now = ctx.now().replace(microsecond=0)
        expires = now + timedelta(seconds=duration)
        claims: dict[str, Any] = {
            "iss": setting.data["issuer"],
            "sub": ctx.principal.arn,
            "aud": request["Audience"] if len(request["Audience"]) > 1 else request["Audience"][0],
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": str(uuid.uuid4()),
        }
        if request.get("Tags"):
            claims["https://sts.amazonaws.com/"] = {"request_tags": {t["Key"]: t["Value"] for t in request["Tags"]}}
        token = self._sign_jwt(ctx, algorithm, claims)
        if len(token) > 16384:
            raise _error("JWTPayloadSizeExceededException", "The JWT payload is too large.")
        return {"WebIdentityToken": token, "Expiration": expires}

    def _sign_jwt(self, ctx: RequestContext, algorithm: str, claims: dict[str, Any]) -> str:
        """Sign with the account's outbound key for ``algorithm`` (ES384 or RS256), made on first use and sealed."""
        kind = "ES384" if algorithm.upper().startswith("ES") else "RS256"
        key_name = f"outbound-key-{kind}"
        with self.runtime.store.write() as conn:
            found = objects.get(conn, ctx.account_id, "account", key_name)
            if found is None:
                private: Any = (
                    ec.generate_private_key(ec.SECP384R1())
                    if kind == "ES384"
                    else rsa.generate_private_key(65537, 2048)
                )
                der = private.private_bytes(
                    serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
                kid = secrets.token_hex(16)
                objects.put(conn, ctx.account_id, "account", key_name, {"kid": kid}, secret=der, seal=self.runtime.seal)
            else:
                der = self.runtime.seal.unwrap(
                    found.secret_sealed or b"", object_aad(ctx.account_id, "account", key_name)
                )
                kid = found.data["kid"]
                private = serialization.load_der_private_key(der, None)
        header = {"alg": kind, "typ": "JWT", "kid": kid}
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}".encode()
        if kind == "ES384":
            r, s = decode_dss_signature(private.sign(signing_input, ec.ECDSA(hashes.SHA384())))
            signature = r.to_bytes(48, "big") + s.to_bytes(48, "big")
        else:
            signature = private.sign(signing_input, PKCS1v15(), hashes.SHA256())
        return f"{signing_input.decode()}.{_b64url(signature)}"

    # --- DecodeAuthorizationMessage --------------------------------------------------------------------------

    def decode_authorization_message(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        encoded = request["EncodedMessage"]
        try:
            sealed = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            raw = ctx.runtime.seal.unwrap(sealed, (AUTH_MESSAGE_AAD + ctx.account_id).encode())
        except Exception:  # any malformed, foreign or tampered message is refused alike
            raise _error(
                "InvalidAuthorizationMessageException", "The message is not a valid authorization message."
            ) from None
        return {"DecodedMessage": raw.decode()}
