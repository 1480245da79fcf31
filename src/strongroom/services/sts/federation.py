"""Federation into roles: AssumeRoleWithWebIdentity (OIDC ID tokens) and AssumeRoleWithSAML (signed assertions).

Neither request is signed: the token is the credential. Each is verified against the identity provider the role's
account registered in IAM (``iam_objects`` kinds ``oidc`` / ``saml``), then the role's trust policy decides with
the provider as ``Principal.Federated`` and the token's claims as condition keys (``<issuer>:sub``, ``:aud``,
``:amr``; ``saml:sub``, ``saml:aud``, ``saml:iss``, ...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.iam import objects, saml, webidentity
from strongroom.iam.directory import RoleRecord
from strongroom.services.sts.sessions import SessionOperations, _access_denied, _error, _role_from_arn
from strongroom.services.sts.trust import federated_trust_allows

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime

SAML_ATTR = saml.ATTR
_AWS_TAGS_CLAIM = "https://aws.amazon.com/tags"


def _invalid(message: str) -> AwsError:
    return webidentity.invalid_token(message)


class FederationOperations(SessionOperations):
    def __init__(self, runtime: ServiceRuntime) -> None:
        super().__init__(runtime)
        self.key_sets = webidentity.KeySets()

    def _federated_role(self, role_arn: str, action: str) -> RoleRecord:
        role = self.directory.role_by_arn(role_arn) if _role_from_arn(role_arn) else None
        if role is None:
            raise _access_denied(f"Not authorized to perform {action}")
        return role

    def _federated_duration(self, request: dict[str, Any], role: RoleRecord, cap: int | None = None) -> int:
        duration = int(request.get("DurationSeconds", cap or 3600))
        if duration > role.max_session_duration:
            raise _error(
                "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
            )
        return duration

    # --- AssumeRoleWithWebIdentity ---------------------------------------------------------------------------

    def assume_role_with_web_identity(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        action = "sts:AssumeRoleWithWebIdentity"
        role_arn, session_name = request["RoleArn"], request["RoleSessionName"]
        token = webidentity.parse(request["WebIdentityToken"])
        claims = token.claims
        issuer = str(claims.get("iss") or "")
        parsed = _role_from_arn(role_arn)
        if not issuer or parsed is None:
            raise _invalid("No OpenIDConnect provider found in your account for " + (issuer or "an empty issuer"))
        account = parsed[0]
        key = webidentity.provider_key(issuer)
        provider_arn = f"arn:aws:iam::{account}:oidc-provider/{key}"
        with self.runtime.store.read() as conn:
            provider = objects.get(conn, account, "oidc", provider_arn)
        if provider is None:
            raise _invalid(f"No OpenIDConnect provider found in your account for {issuer}")
        if webidentity.provider_key(provider.data["url"]) != key:
            raise _invalid(f"No OpenIDConnect provider found in your account for {issuer}")
        webidentity.check_times(claims, clock.time())
        auds = webidentity.audiences(claims)
        audience = next((a for a in auds if a in provider.data["clients"]), None)
        if audience is None and claims.get("azp") in provider.data["clients"]:
            audience = str(claims["azp"])
        if audience is None:
            raise _invalid("Incorrect token audience")
        if not self.key_sets.verify(provider.data["url"], token):
            raise _invalid("The web identity token's signature could not be verified with the provider's keys.")
        subject = str(claims.get("sub") or "")
        ctx.extras["federated_identity"] = {
            "type": "WebIdentityUser",
            "principalId": f"{key}:{audience}:{subject}",
            "userName": subject,
            "identityProvider": key,
            "recipientAccountId": account,
        }
        context: dict[str, Any] = {f"{key}:sub": subject, f"{key}:aud": audience, f"{key}:oaud": auds}
        if isinstance(claims.get("amr"), list | str):
            context[f"{key}:amr"] = claims["amr"] if isinstance(claims["amr"], list) else [claims["amr"]]
        role = self._federated_role(role_arn, action)
        if not federated_trust_allows(role.assume_role_policy, provider_arn, action, context, account):
            raise _access_denied(f"Not authorized to perform {action}")
        duration = self._federated_duration(request, role)
        policy = self._session_policy(request.get("Policy"))
        policy_arns = [item["arn"] for item in request.get("PolicyArns") or []]
        session_tags = self._token_tags(claims)
        out = self._role_session(
            ctx, duration, role, session_name, policy=policy, policy_arns=policy_arns, tags=session_tags
        )
        out.update({"SubjectFromWebIdentityToken": subject, "Provider": issuer, "Audience": audience})
        return out

    @staticmethod
    def _token_tags(claims: dict[str, Any]) -> dict[str, str]:
        """Session tags passed in the token's ``https://aws.amazon.com/tags`` claim, as AWS reads them."""
        value = claims.get(_AWS_TAGS_CLAIM)
        if not isinstance(value, dict):
            return {}
        tags = value.get("principal_tags")
        if not isinstance(tags, dict):
            return {}
        return {str(k): str(v[0] if isinstance(v, list) and v else v) for k, v in tags.items()}

    # --- AssumeRoleWithSAML ----------------------------------------------------------------------------------

    def assume_role_with_saml(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        action = "sts:AssumeRoleWithSAML"
        role_arn, provider_arn = request["RoleArn"], request["PrincipalArn"]
        parts = provider_arn.split(":", 5)
        if len(parts) != 6 or not parts[5].startswith("saml-provider/"):
            raise _invalid(f"SAML provider {provider_arn} is not a valid SAML provider ARN.")
        account, provider_name = parts[4], parts[5].split("/", 1)[1]
        with self.runtime.store.read() as conn:
            provider = objects.get(conn, account, "saml", provider_arn)
        if provider is None:
            raise _invalid(f"SAML provider {provider_arn} not found in account {account}.")
        try:
            assertion = saml.verify(request["SAMLAssertion"], provider.data["certificates"])
        except saml.SamlError as exc:
            raise _invalid(f"Invalid SAML response: {exc}") from None
        now = clock.now()
        if assertion.not_on_or_after is not None and now >= assertion.not_on_or_after:
            raise webidentity.expired("Token expired: the SAML assertion's NotOnOrAfter has passed.")
        if assertion.not_before is not None and now < assertion.not_before:
            raise _invalid("The SAML assertion is not yet valid (NotBefore).")
        if provider.data.get("entity_id") and assertion.issuer != provider.data["entity_id"]:
            raise _invalid("The SAML assertion's Issuer does not match the provider's metadata.")
        if not any(a.rstrip("/").endswith("signin.aws.amazon.com/saml") for a in assertion.audiences):
            raise _error("IDPRejectedClaim", "The SAML assertion's audience is not the AWS sign-in endpoint.", 403)
        if (role_arn, provider_arn) not in assertion.roles():
            raise _access_denied(f"Not authorized to perform {action}")
        session_names = assertion.attributes.get(SAML_ATTR + "RoleSessionName") or []
        if not session_names or not session_names[0]:
            raise _invalid("The SAML assertion has no RoleSessionName attribute.")
        session_name = session_names[0][:64]
        qualifier = saml.name_qualifier(assertion.issuer, account, provider_name)
        ctx.extras["federated_identity"] = {
            "type": "SAMLUser",
            "principalId": f"{qualifier}:{assertion.subject}",
            "userName": assertion.subject,
            "identityProvider": provider_arn,
            "recipientAccountId": account,
        }
        context: dict[str, Any] = {
            "saml:aud": assertion.recipient or (assertion.audiences[0] if assertion.audiences else ""),
            "saml:iss": assertion.issuer,
            "saml:sub": assertion.subject,
            "saml:sub_type": assertion.subject_type,
            "saml:namequalifier": qualifier,
            "saml:doc": f"{account}/{provider_name}",
        }
        for name, values in assertion.attributes.items():
            short = name.rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower()
            if short and f"saml:{short}" not in context:
                context[f"saml:{short}"] = values
        role = self._federated_role(role_arn, action)
        if not federated_trust_allows(role.assume_role_policy, provider_arn, action, context, account):
            raise _access_denied(f"Not authorized to perform {action}")
        durations = assertion.attributes.get(SAML_ATTR + "SessionDuration") or []
        cap = int(durations[0]) if durations and durations[0].isdigit() else None
        duration = self._federated_duration(request, role)
        if cap is not None:
            duration = min(duration, cap)
        tags = {
            name[len(SAML_ATTR + "PrincipalTag:") :]: values[0]
            for name, values in assertion.attributes.items()
            if name.startswith(SAML_ATTR + "PrincipalTag:") and values
        }
        sources = assertion.attributes.get(SAML_ATTR + "SourceIdentity") or []
        source = sources[0] if sources else None
        policy = self._session_policy(request.get("Policy"))
        policy_arns = [item["arn"] for item in request.get("PolicyArns") or []]
        out = self._role_session(
            ctx, duration, role, session_name, policy=policy, policy_arns=policy_arns, tags=tags, source_identity=source
        )
        out.update(
            {
                "Subject": assertion.subject,
                "SubjectType": assertion.subject_type,
                "Issuer": assertion.issuer,
                "Audience": context["saml:aud"],
                "NameQualifier": qualifier,
            }
        )
        if source:
            out["SourceIdentity"] = source
        return out
