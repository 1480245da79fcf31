"""Resource policies: Put/Get/Delete/List/ValidateResourcePolicy, with BlockPublicPolicy.

The grammar is the shared policy engine's (``iam/policy``); the stored policy is handed to the access-control
evaluator through ``access.resource_policy``. A policy is "broad" (public) when an Allow statement names every
principal (``*`` or ``{"AWS": "*"}``) without a condition that pins the caller's account, organization, source
account/ARN or network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strongroom.iam.policy import MalformedPolicyDocumentError, PolicyDocument, PolicyKind, parse_policy
from strongroom.services.secretsmanager import model
from strongroom.services.secretsmanager.base import SecretsBase
from strongroom.services.secretsmanager.errors import (
    MalformedPolicyDocumentException,
    PublicPolicyException,
)

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

POLICY_NAME = "Default"
# Condition keys that narrow an "everyone" statement to known callers (AWS's public-access analysis).
_NARROWING_KEYS = frozenset(
    {
        "aws:principalaccount",
        "aws:principalarn",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:sourceaccount",
        "aws:sourcearn",
        "aws:sourceowner",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceip",
        "aws:userid",
        "kms:calleraccount",
    }
)
PUBLIC_MESSAGE = (
    "The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to "
    "the secret."
)


def parse(text: str) -> PolicyDocument:
    try:
        return parse_policy(text, PolicyKind.RESOURCE)
    except MalformedPolicyDocumentError as exc:
        raise MalformedPolicyDocumentException(str(exc) or "This resource policy contains a syntax error.") from None


def is_public(doc: PolicyDocument) -> bool:
    for st in doc.allows:
        spec = st.principal
        broad = spec is not None and (spec.everyone or "*" in spec.aws)
        if st.not_principal is not None:
            broad = True
        if broad and not any(c.key in _NARROWING_KEYS for c in st.conditions):
            return True
    return False


class ResourcePolicyOperations(SecretsBase):
    def put_resource_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        secret = self.secret(ctx, request.get("SecretId"), write=True)
        text = request["ResourcePolicy"]
        doc = parse(text)
        if request.get("BlockPublicPolicy") and is_public(doc):
            raise PublicPolicyException(PUBLIC_MESSAGE)
        with self.runtime.store.write() as conn:
            conn.execute(model.secrets.update().where(model.secrets.c.arn == secret.arn).values(policy=text))
        self.after_write(ctx, secret.arn)
        return {"ARN": secret.arn, "Name": secret.name, "PolicyName": request.get("PolicyName") or POLICY_NAME}

    def get_resource_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        secret = self.secret(ctx, request.get("SecretId"), deleted_ok=True)
        out: dict[str, Any] = {"ARN": secret.arn, "Name": secret.name}
        if secret.policy:
            out["ResourcePolicy"] = secret.policy
            out["PolicyName"] = POLICY_NAME
        return out

    def delete_resource_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        secret = self.secret(ctx, request.get("SecretId"), write=True)
        with self.runtime.store.write() as conn:
            conn.execute(model.secrets.update().where(model.secrets.c.arn == secret.arn).values(policy=None))
        self.after_write(ctx, secret.arn)
        return {"ARN": secret.arn, "Name": secret.name, "PolicyName": request.get("PolicyName") or POLICY_NAME}

    def list_resource_policies(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        secret = self.secret(ctx, request.get("SecretId"), deleted_ok=True)
        entries = [{"PolicyName": POLICY_NAME, "ResourcePolicy": secret.policy}] if secret.policy else []
        return {"ResourcePolicies": entries}

    def validate_resource_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        if request.get("SecretId"):
            self.secret(ctx, request["SecretId"], deleted_ok=True)
        text = request["ResourcePolicy"]
        try:
            doc = parse_policy(text, PolicyKind.RESOURCE)
        except MalformedPolicyDocumentError as exc:
            return {
                "PolicyValidationPassed": False,
                "ValidationErrors": [{"CheckName": "SYNTAX_CHECK", "ErrorMessage": str(exc)}],
            }
        if is_public(doc):
            return {
                "PolicyValidationPassed": False,
                "ValidationErrors": [
                    {"CheckName": "PUBLIC_ACCESS_CHECK", "ErrorMessage": "The resource policy grants broad access."}
                ],
            }
        return {"PolicyValidationPassed": True, "ValidationErrors": []}
