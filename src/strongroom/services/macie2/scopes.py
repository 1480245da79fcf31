"""Automated sensitive data discovery's settings: the classification scope (Get/Update/ListClassificationScopes: the
buckets it leaves out), the sensitivity inspection template (Get/Update/ListSensitivityInspectionTemplates: the
identifiers and allow lists it uses), and the findings publication configuration
(Get/PutFindingsPublicationConfiguration).

An administrator turns automated discovery on or off for its associated members (BatchUpdateAutomatedDiscoveryAccounts:
``ACCOUNT_NOT_FOUND`` for an account that isn't one, ``ACCOUNT_PAUSED`` for a member whose Macie is paused) and
lists their status (ListAutomatedDiscoveryAccounts: itself and its members; anyone else: itself). The member's
daily pass then runs in the member's account, with its own scope and template, as on AWS.

Each account has one scope and one template per Region, named ``automated-sensitive-data-discovery`` as on AWS, from
the moment Macie is enabled; their ids are derived from the account and Region (stable, lowercase hex), so an id of
another account or Region is not found. ``discovery.py`` reads both at every daily pass.

The template starts from the RECOMMENDED managed data identifiers: ``excludes.managedDataIdentifierIds`` takes some
out, ``includes.managedDataIdentifierIds`` adds others, ``includes.customDataIdentifierIds`` and
``includes.allowListIds`` add custom identifiers and allow lists (``template_ids``).

The findings publication configuration is stored and answered as given, but Strongroom has no Security Hub:
findings are not published there (they go to EventBridge, as always).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.core.errors import AwsError
from strongroom.sensitive import managed_identifiers
from strongroom.services.base import pages
from strongroom.services.macie2.base import MacieBase, max_results
from strongroom.services.macie2.errors import not_found, validation
from strongroom.services.macie2.model import allow_lists, custom_identifiers, members

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

NAME = "automated-sensitive-data-discovery"
MAX_EXCLUDED_BUCKETS = 1000  # AWS: a classification scope excludes up to 1,000 buckets
# AWS's defaults: policy findings are published to Security Hub, sensitive data findings are not.
DEFAULT_PUBLICATION = {"publishClassificationFindings": False, "publishPolicyFindings": True}


def _bad_token() -> AwsError:
    return validation("The nextToken is invalid.")


def scope_id(account_id: str, region: str) -> str:
    return hashlib.sha256(f"macie2-scope:{account_id}:{region}".encode()).hexdigest()[:32]


def template_id(account_id: str, region: str) -> str:
    return hashlib.sha256(f"macie2-template:{account_id}:{region}".encode()).hexdigest()[:32]


def template_ids(template: dict[str, Any]) -> tuple[frozenset[str], list[str], list[str]]:
    """The managed identifier ids, custom identifier ids and allow list ids a stored template selects."""
    recommended = frozenset(m.id for m in managed_identifiers() if m.recommended)
    includes = template.get("includes") or {}
    excluded = frozenset((template.get("excludes") or {}).get("managedDataIdentifierIds") or ())
    managed = (recommended - excluded) | frozenset(includes.get("managedDataIdentifierIds") or ())
    return managed, list(includes.get("customDataIdentifierIds") or ()), list(includes.get("allowListIds") or ())


def _bucket_name(name: Any) -> bool:
    return isinstance(name, str) and 3 <= len(name) <= 63


class ScopeOperations(MacieBase):
    # -- the classification scope -----------------------------------------------------------------------------

    def excluded_buckets(self, account_id: str, region: str) -> list[str]:
        return list((self.setting(account_id, region, "scope") or {}).get("bucketNames") or [])

    def _scope(self, ctx: RequestContext, wanted: str) -> None:
        self.session(ctx)
        if wanted != scope_id(ctx.account_id, ctx.region):
            raise not_found()

    def get_classification_scope(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self._scope(ctx, request["id"])
        return {
            "id": request["id"],
            "name": NAME,
            "s3": {"excludes": {"bucketNames": self.excluded_buckets(ctx.account_id, ctx.region)}},
        }

    def update_classification_scope(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self._scope(ctx, request["id"])
        excludes = (request.get("s3") or {}).get("excludes")
        if not excludes:
            return {}
        names = excludes["bucketNames"]
        if not all(_bucket_name(n) for n in names):
            raise validation("Each bucket name must be 3-63 characters long.")
        with self.runtime.store.write() as conn:
            current = list((self.setting(ctx.account_id, ctx.region, "scope", conn) or {}).get("bucketNames") or [])
            operation = excludes["operation"]
            if operation == "REPLACE":
                updated = list(dict.fromkeys(names))
            elif operation == "ADD":
                updated = list(dict.fromkeys([*current, *names]))
            else:  # REMOVE
                updated = [n for n in current if n not in set(names)]
            if len(updated) > MAX_EXCLUDED_BUCKETS:
                raise validation(f"A classification scope can exclude up to {MAX_EXCLUDED_BUCKETS} buckets.")
            self.put_setting(conn, ctx.account_id, ctx.region, "scope", {"bucketNames": updated})
        return {}

    def list_classification_scopes(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        items = [{"id": scope_id(ctx.account_id, ctx.region), "name": NAME}]
        if request.get("name") not in (None, "", NAME):
            items = []
        page, token = pages.offset_page(items, request.get("nextToken"), 25, _bad_token)
        return {"classificationScopes": page, **({"nextToken": token} if token else {})}

    # -- the sensitivity inspection template ------------------------------------------------------------------

    def _template(self, ctx: RequestContext, wanted: str) -> None:
        self.session(ctx)
        if wanted != template_id(ctx.account_id, ctx.region):
            raise not_found()

    def inspection_template(self, account_id: str, region: str) -> dict[str, Any]:
        return self.setting(account_id, region, "template") or {}

    def get_sensitivity_inspection_template(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self._template(ctx, request["id"])
        stored = self.inspection_template(ctx.account_id, ctx.region)
        includes, excludes = stored.get("includes") or {}, stored.get("excludes") or {}
        return {
            "description": stored.get("description") or "",
            "excludes": {"managedDataIdentifierIds": list(excludes.get("managedDataIdentifierIds") or [])},
            "includes": {
                "allowListIds": list(includes.get("allowListIds") or []),
                "customDataIdentifierIds": list(includes.get("customDataIdentifierIds") or []),
                "managedDataIdentifierIds": list(includes.get("managedDataIdentifierIds") or []),
            },
            "name": NAME,
            "sensitivityInspectionTemplateId": request["id"],
        }

    def update_sensitivity_inspection_template(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self._template(ctx, request["id"])
        known = frozenset(m.id for m in managed_identifiers())
        includes = request.get("includes") or {}
        excluded = list(dict.fromkeys((request.get("excludes") or {}).get("managedDataIdentifierIds") or []))
        included = list(dict.fromkeys(includes.get("managedDataIdentifierIds") or []))
        unknown = sorted((set(excluded) | set(included)) - known)
        if unknown:
            raise validation(f"The managed data identifiers {', '.join(unknown)} don't exist.")
        if set(excluded) & set(included):
            raise validation("A managed data identifier can't be both included and excluded.")
        customs = list(dict.fromkeys(includes.get("customDataIdentifierIds") or []))
        lists = list(dict.fromkeys(includes.get("allowListIds") or []))
        if len(customs) > 30:
            raise validation("A sensitivity inspection template can include up to 30 custom data identifiers.")
        if len(lists) > 10:
            raise validation("A sensitivity inspection template can include up to 10 allow lists.")
        with self.runtime.store.write() as conn:
            mine = (custom_identifiers.c.account_id == ctx.account_id, custom_identifiers.c.region == ctx.region)
            found = set(
                conn.execute(
                    select(custom_identifiers.c.identifier_id).where(
                        custom_identifiers.c.identifier_id.in_(customs),
                        custom_identifiers.c.deleted.is_(False),
                        *mine,
                    )
                ).scalars()
            )
            if set(customs) - found:
                raise not_found(f"The custom data identifiers {', '.join(sorted(set(customs) - found))} don't exist.")
            found = set(
                conn.execute(
                    select(allow_lists.c.list_id).where(
                        allow_lists.c.list_id.in_(lists),
                        allow_lists.c.account_id == ctx.account_id,
                        allow_lists.c.region == ctx.region,
                    )
                ).scalars()
            )
            if set(lists) - found:
                raise not_found(f"The allow lists {', '.join(sorted(set(lists) - found))} don't exist.")
            value = {
                "description": request.get("description") or "",
                "excludes": {"managedDataIdentifierIds": excluded},
                "includes": {
                    "allowListIds": lists,
                    "customDataIdentifierIds": customs,
                    "managedDataIdentifierIds": included,
                },
            }
            self.put_setting(conn, ctx.account_id, ctx.region, "template", value)
        return {}

    def list_sensitivity_inspection_templates(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        items = [{"id": template_id(ctx.account_id, ctx.region), "name": NAME}]
        page, token = pages.offset_page(items, request.get("nextToken"), max_results(request), _bad_token)
        return {"sensitivityInspectionTemplates": page, **({"nextToken": token} if token else {})}

    # -- findings publication (Security Hub) ------------------------------------------------------------------

    def get_findings_publication_configuration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        stored = self.setting(ctx.account_id, ctx.region, "publication")
        return {"securityHubConfiguration": stored or DEFAULT_PUBLICATION}

    def put_findings_publication_configuration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        config = request.get("securityHubConfiguration")
        if config is None:
            return {}
        value = {
            "publishClassificationFindings": bool(config["publishClassificationFindings"]),
            "publishPolicyFindings": bool(config["publishPolicyFindings"]),
        }
        with self.runtime.store.write() as conn:
            self.put_setting(conn, ctx.account_id, ctx.region, "publication", value)
        return {}

    # -- automated discovery for an administrator's members ----------------------------------------------------

    def list_automated_discovery_accounts(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        size = max_results(request)
        accounts = [ctx.account_id, *sorted(self.member_accounts(ctx.account_id, ctx.region))]
        wanted = request.get("accountIds")
        if wanted:
            if len(wanted) > 50:
                raise validation("Specify up to 50 account ids.")
            accounts = [a for a in accounts if a in set(wanted)]
        items = [
            {"accountId": a, "status": "ENABLED" if self.setting(a, ctx.region, "discovery") else "DISABLED"}
            for a in accounts
        ]
        page, token = pages.offset_page(items, request.get("nextToken"), size, _bad_token)
        return {"items": page, **({"nextToken": token} if token else {})}

    def batch_update_automated_discovery_accounts(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        updates = request.get("accounts") or []
        if len(updates) > 100:
            raise validation("Specify up to 100 accounts.")
        errors = []
        with self.runtime.store.write() as conn:
            statuses = {
                r.account_id: r.status
                for r in conn.execute(
                    select(members.c.account_id, members.c.status).where(
                        members.c.admin_account == ctx.account_id, members.c.region == ctx.region
                    )
                )
            }
            for item in updates:
                account, status = item.get("accountId"), item.get("status")
                if status not in ("ENABLED", "DISABLED"):
                    raise validation("Each account's status must be ENABLED or DISABLED.")
                if account != ctx.account_id and statuses.get(account) not in ("Enabled", "Paused"):
                    errors.append({"accountId": account, "errorCode": "ACCOUNT_NOT_FOUND"})
                    continue
                if statuses.get(account) == "Paused":
                    errors.append({"accountId": account, "errorCode": "ACCOUNT_PAUSED"})
                    continue
                self.set_discovery(conn, account, ctx.region, status)
        return {"errors": errors}
