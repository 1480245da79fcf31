"""Account-wide IAM settings: the account alias, account properties, STS token preferences, outbound web identity
federation, Organizations' centralized root access features, and the newest operations (delegation requests, role
templates, human-readable summaries) answered as AWS answers an account that has none.

Settings are ``iam_objects`` rows of kind ``account``; an alias is kind ``alias`` keyed by the alias itself, so its
uniqueness across accounts is the table's key.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.core.errors import AwsError
from strongroom.iam import directory as d
from strongroom.iam import objects
from strongroom.iam.model import objects as objects_table
from strongroom.services.iam.base import IamBase, page
from strongroom.services.iam.errors import (
    AccountNotManagementOrDelegatedAdministratorException,
    CallerIsNotManagementAccountException,
    EntityAlreadyExists,
    FeatureDisabled,
    FeatureEnabled,
    InvalidInput,
    NoSuchEntity,
    OrganizationNotFoundException,
    OrganizationNotInAllFeaturesModeException,
    ServiceAccessNotEnabledException,
)

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

ORG_FEATURES_KEY = "organizations-features"
IAM_PRINCIPAL = "iam.amazonaws.com"


class AccountOperations(IamBase):
    # --- alias -----------------------------------------------------------------------------------------------

    def create_account_alias(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        alias = request["AccountAlias"]
        with self.runtime.store.write() as conn:
            owner = conn.execute(
                select(objects_table.c.account_id).where(objects_table.c.kind == "alias", objects_table.c.key == alias)
            ).scalar()
            if owner is not None and owner != ctx.account_id:
                raise EntityAlreadyExists(f"The account alias {alias} already exists.")
            # an account has one alias: a new one replaces it
            for old in objects.all_of(conn, ctx.account_id, "alias"):
                objects.remove(conn, ctx.account_id, "alias", old.key)
            objects.put(conn, ctx.account_id, "alias", alias, {})
        return {}

    def delete_account_alias(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        alias = request["AccountAlias"]
        with self.runtime.store.write() as conn:
            if not objects.remove(conn, ctx.account_id, "alias", alias):
                raise NoSuchEntity(f"The account alias {alias} cannot be found.")
        return {}

    def list_account_aliases(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            aliases = [o.key for o in objects.all_of(conn, ctx.account_id, "alias")]
        return page(request, aliases, "AccountAliases")

    # --- properties and STS preferences ----------------------------------------------------------------------

    def put_account_properties(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            found = objects.get(conn, ctx.account_id, "account", "properties")
            merged = {**(found.data if found else {}), **request["Properties"]}
            objects.put(conn, ctx.account_id, "account", "properties", merged)
        return {}

    def get_account_properties(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            found = objects.get(conn, ctx.account_id, "account", "properties")
        return {"Properties": found.data if found else {}}

    def set_security_token_service_preferences(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            objects.put(
                conn, ctx.account_id, "account", "sts-preferences", {"version": request["GlobalEndpointTokenVersion"]}
            )
        return {}

    # --- outbound web identity federation (STS GetWebIdentityToken) ------------------------------------------

    def enable_outbound_web_identity_federation(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            found = objects.get(conn, ctx.account_id, "account", "outbound-federation")
            if found is not None and found.data.get("enabled"):
                raise FeatureEnabled("Outbound web identity federation is already enabled for this account.")
            issuer = (
                found.data.get("issuer") if found else None
            ) or f"https://{uuid.uuid4()}.tokens.sts.global.api.aws"
            objects.put(conn, ctx.account_id, "account", "outbound-federation", {"enabled": True, "issuer": issuer})
        return {"IssuerIdentifier": issuer}

    def disable_outbound_web_identity_federation(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            found = objects.get(conn, ctx.account_id, "account", "outbound-federation")
            if found is None or not found.data.get("enabled"):
                raise FeatureDisabled("Outbound web identity federation is not enabled for this account.")
            objects.put(conn, ctx.account_id, "account", "outbound-federation", {**found.data, "enabled": False})
        return {}

    def get_outbound_web_identity_federation_info(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            found = objects.get(conn, ctx.account_id, "account", "outbound-federation")
        if found is None or not found.data.get("enabled"):
            raise FeatureDisabled("Outbound web identity federation is not enabled for this account.")
        return {"IssuerIdentifier": found.data["issuer"], "JwtVendingEnabled": True}

    # --- centralized root access (Organizations) -------------------------------------------------------------

    def _organization(self, ctx: RequestContext, *, enabling: bool) -> dict[str, Any]:
        try:
            org = ctx.call("organizations", "DescribeOrganization", {})["Organization"]
        except AwsError as exc:
            if exc.code == "AccessDeniedException" or exc.code == "AccessDenied":
                raise
            raise OrganizationNotFoundException("The account is not a member of an organization.") from None
        if org.get("FeatureSet") != "ALL":
            raise OrganizationNotInAllFeaturesModeException("The organization does not have all features enabled.")
        if org["MasterAccountId"] != ctx.account_id:
            if enabling:
                raise CallerIsNotManagementAccountException(
                    "The caller is not the management account of the organization."
                )
            raise AccountNotManagementOrDelegatedAdministratorException(
                "The caller is not the management account or a delegated administrator of the organization."
            )
        principals = ctx.call("organizations", "ListAWSServiceAccessForOrganization", {})
        if not any(p.get("ServicePrincipal") == IAM_PRINCIPAL for p in principals.get("EnabledServicePrincipals", [])):
            raise ServiceAccessNotEnabledException("Trusted access for IAM is not enabled in the organization.")
        return dict(org)

    def _features(self, ctx: RequestContext, org: dict[str, Any], change: tuple[str, bool] | None) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            found = objects.get(conn, ctx.account_id, "account", ORG_FEATURES_KEY)
            features = list(found.data.get("features", [])) if found else []
            if change is not None:
                name, on = change
                if on and name not in features:
                    features.append(name)
                if not on and name in features:
                    features.remove(name)
                objects.put(conn, ctx.account_id, "account", ORG_FEATURES_KEY, {"features": features})
        return {"OrganizationId": org["Id"], "EnabledFeatures": sorted(features)}

    def list_organizations_features(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._features(ctx, self._organization(ctx, enabling=False), None)

    def enable_organizations_root_credentials_management(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        return self._features(ctx, self._organization(ctx, enabling=True), ("RootCredentialsManagement", True))

    def disable_organizations_root_credentials_management(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        return self._features(ctx, self._organization(ctx, enabling=False), ("RootCredentialsManagement", False))

    def enable_organizations_root_sessions(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._features(ctx, self._organization(ctx, enabling=True), ("RootSessions", True))

    def disable_organizations_root_sessions(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._features(ctx, self._organization(ctx, enabling=False), ("RootSessions", False))

    # --- delegation requests: only AWS partners create them; an account has none -----------------------------

    @staticmethod
    def _no_request(request: dict[str, Any]) -> AwsError:
        return NoSuchEntity(f"The delegation request {request['DelegationRequestId']} cannot be found.")

    def create_delegation_request(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        raise InvalidInput("Delegation requests can only be created by AWS partner accounts registered for them.")

    def get_delegation_request(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        raise self._no_request(request)

    def accept_delegation_request(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        raise self._no_request(request)

    def associate_delegation_request(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        raise self._no_request(request)

    def reject_delegation_request(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        raise self._no_request(request)

    def update_delegation_request(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        raise self._no_request(request)

    def send_delegation_token(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        raise self._no_request(request)

    def list_delegation_requests(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"DelegationRequests": [], "isTruncated": False}

    # --- role templates: AWS publishes them to partners; none exist here -------------------------------------

    def get_role_template_version(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        raise NoSuchEntity(f"The role template {request['TemplateArn']} cannot be found.")

    def acquire_role(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        raise NoSuchEntity(f"The role template {request['TemplateArn']} cannot be found.")

    # --- GetHumanReadableSummary -----------------------------------------------------------------------------

    def get_human_readable_summary(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        """A plain-language summary of a managed policy (or a role's trust policy), statement by statement."""
        arn = request["EntityArn"]
        with self.runtime.store.read() as conn:
            if ":policy/" in arn:
                document = d.default_document(conn, arn)
            elif ":role/" in arn:
                role = d.get_role(conn, ctx.account_id, arn.rsplit("/", 1)[-1])
                document = role.assume_role_policy if role else None
            else:
                raise InvalidInput(f"ARN {arn} is not a policy or role ARN.")
        if document is None:
            raise NoSuchEntity(f"The entity {arn} cannot be found.")
        return {
            "SummaryContent": _summary(document),
            "Locale": request.get("Locale", "en"),
            "SummaryState": "AVAILABLE",
        }


def _summary(document: str) -> str:
    parsed = json.loads(document)
    statements = parsed.get("Statement", [])
    lines = []
    for statement in statements if isinstance(statements, list) else [statements]:
        effect = "Allows" if statement.get("Effect") == "Allow" else "Denies"
        actions = statement.get("Action") or statement.get("NotAction") or []
        actions = actions if isinstance(actions, list) else [actions]
        resources = statement.get("Resource") or statement.get("NotResource") or ["*"]
        resources = resources if isinstance(resources, list) else [resources]
        line = f"{effect} {', '.join(actions)} on {', '.join(resources)}"
        if "Principal" in statement:
            line += f" for {json.dumps(statement['Principal'])}"
        if "Condition" in statement:
            line += f" when {json.dumps(statement['Condition'])}"
        lines.append(line + ".")
    return "\n".join(lines)
