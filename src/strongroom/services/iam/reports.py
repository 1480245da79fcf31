"""Reports about the account: the credential report (CSV as AWS lays it out), access advisor (services each
entity may use and when it last did, from the audit trail), organizations access reports, context keys of
policies, policies granting access to a service, and GetAccountSummary.

Access-advisor jobs are ``iam_objects`` rows (kind ``job``): GenerateServiceLastAccessedDetails records the job
IN_PROGRESS; the first Get after it computes the report from the audit trail once and stores it COMPLETED.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from strongroom.audit.activity import LastAccess, last_accesses
from strongroom.iam import directory as d
from strongroom.iam import objects
from strongroom.iam.model import (
    access_keys,
    attachments,
    group_members,
    groups,
    policies,
    policy_versions,
    roles,
    users,
)
from strongroom.protocol.catalog import WIRED_SERVICES
from strongroom.services.iam.base import IamBase, page
from strongroom.services.iam.errors import InvalidInput, NoSuchEntity, ReportExpired, ReportNotPresent

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from strongroom.services.base.runtime import RequestContext

REPORT_TTL = timedelta(hours=4)  # AWS: a credential report older than four hours is expired
TRACKING_PERIOD = timedelta(days=400)  # AWS tracks last access for 400 days
_HEADER = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
]
_VARIABLE = re.compile(r"\$\{([^}]+)\}")


def _iso(value: datetime | None) -> str:
    return value.replace(microsecond=0).isoformat() if value else "N/A"


def _statements(document: str) -> list[dict[str, Any]]:
    try:
        parsed = json.loads(document)
    except ValueError:
        raise InvalidInput("The policy document is not valid JSON.") from None
    raw = parsed.get("Statement", []) if isinstance(parsed, dict) else []
    return [s for s in (raw if isinstance(raw, list) else [raw]) if isinstance(s, dict)]


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else ([str(value)] if value is not None else [])


def context_keys(documents: list[str]) -> list[str]:
    """Every condition key and policy variable the documents use, as written, first spelling kept."""
    seen: dict[str, str] = {}
    for document in documents:
        for statement in _statements(document):
            for block in (statement.get("Condition") or {}).values():
                if isinstance(block, dict):
                    for key in block:
                        seen.setdefault(key.lower(), key)
            for field in ("Resource", "NotResource"):
                for value in _as_list(statement.get(field)):
                    for name in _VARIABLE.findall(value):
                        if ":" in name:
                            seen.setdefault(name.lower(), name)
    return sorted(seen.values(), key=str.lower)


def allowed_namespaces(documents: list[str]) -> set[str]:
    """The service namespaces the documents' Allow statements name ("*" for every one)."""
    out: set[str] = set()
    for document in documents:
        for statement in _statements(document):
            if statement.get("Effect") != "Allow":
                continue
            if "NotAction" in statement:
                out.add("*")
            for action in _as_list(statement.get("Action")):
                out.add("*" if action == "*" else action.split(":", 1)[0].lower())
    return out


class ReportOperations(IamBase):
    # --- GetAccountSummary -----------------------------------------------------------------------------------

    def get_account_summary(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        acct = ctx.account_id

        def count(table: Any, *where: Any) -> int:
            return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar() or 0)

        with self.runtime.store.read() as conn:
            devices = objects.all_of(conn, acct, "mfa")
            summary = {
                "Users": count(users, users.c.account_id == acct),
                "UsersQuota": 5000,
                "Groups": count(groups, groups.c.account_id == acct),
                "GroupsQuota": 300,
                "Roles": count(roles, roles.c.account_id == acct),
                "RolesQuota": 1000,
                "Policies": count(policies, policies.c.account_id == acct),
                "PoliciesQuota": 1500,
                "PolicyVersionsInUse": int(
                    conn.execute(
                        select(func.count())
                        .select_from(policy_versions.join(policies, policies.c.arn == policy_versions.c.policy_arn))
                        .where(policies.c.account_id == acct)
                    ).scalar()
                    or 0
                ),
                "PolicyVersionsInUseQuota": 10000,
                "VersionsPerPolicyQuota": 5,
                "InstanceProfiles": len(objects.all_of(conn, acct, "instance-profile")),
                "InstanceProfilesQuota": 1000,
                "ServerCertificates": len(objects.all_of(conn, acct, "server-cert")),
                "ServerCertificatesQuota": 20,
                "MFADevices": len(devices),
                "MFADevicesInUse": sum(1 for o in devices if o.data.get("enabled_at")),
                "AccountMFAEnabled": int(any(o.data.get("user_key") == "<root>" for o in devices)),
                "AccountAccessKeysPresent": int(
                    count(access_keys, access_keys.c.account_id == acct, access_keys.c.user_name.is_(None)) > 0
                ),
                "AccountSigningCertificatesPresent": 0,
                "Providers": len(objects.all_of(conn, acct, "oidc")) + len(objects.all_of(conn, acct, "saml")),
                "AccessKeysPerUserQuota": 2,
                "AttachedPoliciesPerUserQuota": 10,
                "AttachedPoliciesPerGroupQuota": 10,
                "AttachedPoliciesPerRoleQuota": 10,
                "GroupsPerUserQuota": 10,
                "SigningCertificatesPerUserQuota": 2,
                "PolicySizeQuota": 6144,
                "UserPolicySizeQuota": 2048,
                "GroupPolicySizeQuota": 5120,
                "RolePolicySizeQuota": 10240,
                "AssumeRolePolicySizeQuota": 2048,
                "GlobalEndpointTokenVersion": 1,
            }
            prefs = objects.get(conn, acct, "account", "sts-preferences")
            if prefs and prefs.data.get("version") == "v2Token":
                summary["GlobalEndpointTokenVersion"] = 2
        return {"SummaryMap": summary}

    # --- credential report -----------------------------------------------------------------------------------

    def generate_credential_report(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            existing = objects.get(conn, ctx.account_id, "report", "credential")
            fresh = existing is not None and ctx.now() - existing.created_at < REPORT_TTL
            if fresh:
                return {"State": "COMPLETE"}
            content = self._credential_csv(conn, ctx)
            if existing is not None:
                objects.remove(conn, ctx.account_id, "report", "credential")
            objects.put(conn, ctx.account_id, "report", "credential", {"csv": content}, created_at=ctx.now())
        return {"State": "STARTED", "Description": "No report exists. Starting a new report generation task"}

    def get_credential_report(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            found = objects.get(conn, ctx.account_id, "report", "credential")
        if found is None:
            raise ReportNotPresent("Credential report does not exist. Use GenerateCredentialReport.")
        if ctx.now() - found.created_at >= REPORT_TTL:
            raise ReportExpired("Credential report is expired. Use GenerateCredentialReport.")
        return {"Content": found.data["csv"].encode(), "ReportFormat": "text/csv", "GeneratedTime": found.created_at}

    def _credential_csv(self, conn: Connection, ctx: RequestContext) -> str:
        acct = ctx.account_id
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(_HEADER)
        account_created = conn.execute(select(func.min(users.c.created_at)).where(users.c.account_id == acct)).scalar()
        devices = objects.all_of(conn, acct, "mfa")
        root_keys = conn.execute(
            select(access_keys).where(access_keys.c.account_id == acct, access_keys.c.user_name.is_(None))
        ).all()
        root_row = ["<root_account>", f"arn:aws:iam::{acct}:root", _iso(account_created or ctx.now()), "not_supported"]
        root_row += ["N/A", "not_supported", "not_supported"]
        root_row.append(str(any(o.data.get("user_key") == "<root>" for o in devices)).lower())
        root_row += self._key_columns(root_keys)
        root_row += ["false", "N/A", "false", "N/A"]
        writer.writerow(root_row)
        policy = objects.get(conn, acct, "account", "password-policy")
        max_age = policy.data.get("max_age") if policy else None
        for row in conn.execute(select(users).where(users.c.account_id == acct).order_by(users.c.name_key)):
            key = row.name_key
            login = objects.get(conn, acct, "login", key)
            changed = (
                datetime.fromisoformat(login.data["changed_at"]) if login and login.data.get("changed_at") else None
            )
            line = [row.name, row.arn, _iso(row.created_at), str(login is not None).lower()]
            line.append("no_information" if login else "N/A")
            line.append(_iso(changed) if login else "N/A")
            line.append(_iso(changed + timedelta(days=max_age)) if login and changed and max_age else "N/A")
            line.append(str(any(o.data.get("user_key") == key for o in devices)).lower())
            keys = conn.execute(
                select(access_keys)
                .where(access_keys.c.account_id == acct, access_keys.c.user_name == row.name)
                .order_by(access_keys.c.created_at)
            ).all()
            line += self._key_columns(keys)
            certs = [o for o in objects.all_of(conn, acct, "signing-cert") if o.data.get("user_key") == key][:2]
            for index in range(2):
                if index < len(certs):
                    line += [str(certs[index].data["status"] == "Active").lower(), _iso(certs[index].created_at)]
                else:
                    line += ["false", "N/A"]
            writer.writerow(line)
        return out.getvalue()

    @staticmethod
    def _key_columns(keys: Any) -> list[str]:
        out: list[str] = []
        for index in range(2):
            if index < len(keys):
                k = keys[index]
                out += [
                    str(k.status == "Active").lower(),
                    _iso(k.created_at),
                    _iso(k.last_used_at),
                    k.last_used_region or "N/A",
                    k.last_used_service or "N/A",
                ]
            else:
                out += ["false", "N/A", "N/A", "N/A", "N/A"]
        return out

    # --- access advisor --------------------------------------------------------------------------------------

    def _entity(self, conn: Connection, ctx: RequestContext, arn: str) -> tuple[str, list[tuple[str, Any]]]:
        """(entity type, [(identity ARN, record)]) of what ``arn`` names: the identities whose use counts for it."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "iam" or "/" not in parts[5]:
            raise InvalidInput(f"ARN {arn} is not valid.")
        kind, name = parts[5].split("/", 1)[0], parts[5].rsplit("/", 1)[-1]
        if kind == "user":
            user = self.require_user(conn, ctx, name)
            return "user", [(user.arn, user)]
        if kind == "role":
            role = self.require_role(conn, ctx, name)
            return "role", [(role.arn, role)]
        if kind == "group":
            group = self.require_group(conn, ctx, name)
            members = conn.execute(
                select(group_members.c.user_key).where(
                    group_members.c.account_id == ctx.account_id, group_members.c.group_key == group.name.lower()
                )
            ).scalars()
            found = [d.get_user(conn, ctx.account_id, m) for m in list(members)]
            return "group", [(u.arn, u) for u in found if u is not None]
        if kind == "policy":
            self.require_policy(conn, arn)
            entities = []
            for entity_type in ("user", "role"):
                keys = conn.execute(
                    select(attachments.c.entity_key).where(
                        attachments.c.policy_arn == arn, attachments.c.entity_type == entity_type
                    )
                ).scalars()
                for key in list(keys):
                    record = (d.get_user if entity_type == "user" else d.get_role)(conn, ctx.account_id, key)
                    if record is not None:
                        entities.append((record.arn, record))
            return "policy", entities
        raise InvalidInput(f"ARN {arn} is not valid.")

    def _documents(self, conn: Connection, ctx: RequestContext, arn: str, kind: str) -> list[str]:
        name = arn.rsplit("/", 1)[-1]
        if kind == "policy":
            doc = d.default_document(conn, arn)
            return [doc] if doc else []
        docs = [p.document for p in d._entity_policies(conn, ctx.account_id, kind, name)]
        if kind == "user":
            for group in conn.execute(
                select(groups.c.name)
                .select_from(
                    group_members.join(
                        groups,
                        (groups.c.account_id == group_members.c.account_id)
                        & (groups.c.name_key == group_members.c.group_key),
                    )
                )
                .where(group_members.c.account_id == ctx.account_id, group_members.c.user_key == name.lower())
            ).scalars():
                docs += [p.document for p in d._entity_policies(conn, ctx.account_id, "group", group)]
        return docs

    def generate_service_last_accessed_details(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["Arn"]
        with self.runtime.store.write() as conn:
            kind, _ = self._entity(conn, ctx, arn)
            job_id = str(uuid.uuid4())
            data = {
                "type": "access-advisor",
                "arn": arn,
                "kind": kind,
                "granularity": request.get("Granularity", "SERVICE_LEVEL"),
                "status": "IN_PROGRESS",
            }
            objects.put(conn, ctx.account_id, "job", job_id, data, created_at=ctx.now())
        return {"JobId": job_id}

    def _job(self, ctx: RequestContext, job_id: str) -> objects.Obj:
        with self.runtime.store.write() as conn:
            found = objects.get(conn, ctx.account_id, "job", job_id)
            if found is None or found.data.get("type") != "access-advisor":
                raise NoSuchEntity(f"No such job: {job_id}")
            if found.data["status"] == "COMPLETED":
                return found
            result = self._compute(conn, ctx, found)
            objects.put(conn, ctx.account_id, "job", job_id, {**found.data, **result})
            done = objects.get(conn, ctx.account_id, "job", job_id)
        assert done is not None
        return done

    def _compute(self, conn: Connection, ctx: RequestContext, job: objects.Obj) -> dict[str, Any]:
        arn, kind = job.data["arn"], job.data["kind"]
        try:
            _kind, entities = self._entity(conn, ctx, arn)
        except NoSuchEntity:
            return {"status": "FAILED", "completed": ctx.now().isoformat(), "services": [], "error": "entity deleted"}
        namespaces = allowed_namespaces(self._documents(conn, ctx, arn, kind))
        served = {self._namespace(s) for s in WIRED_SERVICES}
        if "*" in namespaces:
            namespaces = served | (namespaces - {"*"})
        accesses = last_accesses(self.runtime.store, ctx.account_id, job.created_at - TRACKING_PERIOD)
        identities = {identity for identity, _ in entities}
        services = []
        for namespace in sorted(namespaces):
            hits: list[LastAccess] = [a for (who, svc), a in accesses.items() if svc == namespace and who in identities]
            entry: dict[str, Any] = {
                "namespace": namespace,
                "name": self._service_name(namespace),
                "entities": len(hits),
            }
            if hits:
                newest = max(hits, key=lambda a: a.event_time)
                entry.update(
                    last=newest.event_time.isoformat(),
                    entity=newest.identity_arn,
                    region=newest.region,
                    action=newest.event_name,
                    by_entity={a.identity_arn: a.event_time.isoformat() for a in hits},
                )
            services.append(entry)
        return {"status": "COMPLETED", "completed": ctx.now().isoformat(), "services": services}

    @staticmethod
    def _namespace(service: str) -> str:
        return {"lambda": "lambda", "events": "events", "acm-pca": "acm-pca"}.get(service, service)

    def _service_name(self, namespace: str) -> str:
        try:
            model = self.runtime.catalog.service(namespace)
        except Exception:  # a namespace Strongroom does not serve: AWS's name is not known here
            return namespace
        return str(model.metadata.get("serviceFullName") or namespace)

    def get_service_last_accessed_details(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        job = self._job(ctx, request["JobId"])
        items = []
        for entry in job.data["services"]:
            item: dict[str, Any] = {
                "ServiceName": entry["name"],
                "ServiceNamespace": entry["namespace"],
                "TotalAuthenticatedEntities": entry["entities"],
            }
            if entry.get("last"):
                item.update(
                    LastAuthenticated=datetime.fromisoformat(entry["last"]),
                    LastAuthenticatedEntity=entry["entity"],
                    LastAuthenticatedRegion=entry["region"],
                )
            if job.data["granularity"] == "ACTION_LEVEL":
                tracked = []
                if entry.get("action"):
                    tracked.append(
                        {
                            "ActionName": entry["action"],
                            "LastAccessedEntity": entry["entity"],
                            "LastAccessedTime": datetime.fromisoformat(entry["last"]),
                            "LastAccessedRegion": entry["region"],
                        }
                    )
                item["TrackedActionsLastAccessed"] = tracked
            items.append(item)
        out = page(request, items, "ServicesLastAccessed")
        out.update(
            JobStatus=job.data["status"],
            JobType=job.data["granularity"],
            JobCreationDate=job.created_at,
            JobCompletionDate=datetime.fromisoformat(job.data["completed"]),
        )
        if job.data.get("error"):
            out["Error"] = {"Message": job.data["error"], "Code": "EntityNotFound"}
        return out

    def get_service_last_accessed_details_with_entities(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        job = self._job(ctx, request["JobId"])
        namespace = request["ServiceNamespace"]
        entry = next((e for e in job.data["services"] if e["namespace"] == namespace), None)
        items = []
        with self.runtime.store.read() as conn:
            _kind, entities = self._entity(conn, ctx, job.data["arn"])
            for identity, record in entities:
                entity_type = "ROLE" if ":role/" in identity else "USER"
                info = {
                    "Arn": identity,
                    "Name": record.name,
                    "Type": entity_type,
                    "Id": record.role_id if entity_type == "ROLE" else record.user_id,
                    "Path": record.path,
                }
                detail: dict[str, Any] = {"EntityInfo": info}
                when = (entry or {}).get("by_entity", {}).get(identity)
                if when:
                    detail["LastAuthenticated"] = datetime.fromisoformat(when)
                items.append(detail)
        out = page(request, items, "EntityDetailsList")
        out.update(
            JobStatus=job.data["status"],
            JobCreationDate=job.created_at,
            JobCompletionDate=datetime.fromisoformat(job.data["completed"]),
        )
        return out

    def list_policies_granting_service_access(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["Arn"]
        wanted = [n.lower() for n in request["ServiceNamespaces"]]
        out = []
        with self.runtime.store.read() as conn:
            kind, _ = self._entity(conn, ctx, arn)
            name = arn.rsplit("/", 1)[-1]
            sources: list[tuple[str, str, d.NamedPolicy]] = []
            if kind != "policy":
                sources += [(kind, name, p) for p in d._entity_policies(conn, ctx.account_id, kind, name)]
            for namespace in wanted:
                granting = []
                for entity_type, entity_name, named in sources:
                    found = allowed_namespaces([named.document])
                    if namespace not in found and "*" not in found:
                        continue
                    managed = named.source_id.startswith("arn:")
                    item: dict[str, Any] = {
                        "PolicyName": named.source_id.rsplit("/", 1)[-1]
                        if managed
                        else named.source_id.split("_", 1)[-1],
                        "PolicyType": "MANAGED" if managed else "INLINE",
                    }
                    if managed:
                        item["PolicyArn"] = named.source_id
                    else:
                        item.update(EntityType=entity_type.upper(), EntityName=entity_name)
                    granting.append(item)
                out.append({"ServiceNamespace": namespace, "Policies": granting})
        return {"PoliciesGrantingServiceAccess": out, "IsTruncated": False}

    # --- organizations access report -------------------------------------------------------------------------

    def generate_organizations_access_report(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        # Reports over an organization need the caller to be its management account (Organizations' answer).
        org = ctx.call("organizations", "DescribeOrganization", {})["Organization"]
        if org["MasterAccountId"] != ctx.account_id:
            raise InvalidInput("Only the management account of the organization can generate this report.")
        entity_path = request["EntityPath"]
        if not entity_path.startswith(org["Id"] + "/"):
            raise InvalidInput(f"Invalid entity path {entity_path}.")
        job_id = str(uuid.uuid4())
        with self.runtime.store.write() as conn:
            data = {
                "type": "organizations",
                "path": entity_path,
                "status": "COMPLETED",
                "completed": ctx.now().isoformat(),
            }
            objects.put(conn, ctx.account_id, "job", job_id, data, created_at=ctx.now())
        return {"JobId": job_id}

    def get_organizations_access_report(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            found = objects.get(conn, ctx.account_id, "job", request["JobId"])
        if found is None or found.data.get("type") != "organizations":
            raise NoSuchEntity(f"No such job: {request['JobId']}")
        # Member accounts' own trails are not consolidated here: every served service counts as not accessed.
        served = sorted({self._namespace(s) for s in WIRED_SERVICES})
        details = [
            {"ServiceName": self._service_name(n), "ServiceNamespace": n, "TotalAuthenticatedEntities": 0}
            for n in served
        ]
        out = page(request, details, "AccessDetails")
        out.update(
            JobStatus="COMPLETED",
            JobCreationDate=found.created_at,
            JobCompletionDate=datetime.fromisoformat(found.data["completed"]),
            NumberOfServicesAccessible=len(served),
            NumberOfServicesNotAccessed=len(served),
        )
        return out

    # --- context keys ----------------------------------------------------------------------------------------

    def get_context_keys_for_custom_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"ContextKeyNames": context_keys(list(request["PolicyInputList"]))}

    def get_context_keys_for_principal_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["PolicySourceArn"]
        with self.runtime.store.read() as conn:
            kind, _ = self._entity(conn, ctx, arn)
            docs = self._documents(conn, ctx, arn, kind)
        return {"ContextKeyNames": context_keys(docs + list(request.get("PolicyInputList") or []))}
