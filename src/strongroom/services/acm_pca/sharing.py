"""Tags, permissions for ACM, resource policies and audit reports: the operations around a CA, not in it."""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, select

from strongroom.core import paths
from strongroom.core.s3names import bucket_name_error
from strongroom.services.acm_pca import model
from strongroom.services.acm_pca.base import PcaBase, ca_id, decode_token, encode_token, pca_dir
from strongroom.services.acm_pca.errors import (
    InvalidArgsException,
    InvalidPolicyException,
    InvalidTagException,
    PermissionAlreadyExistsException,
    ResourceNotFoundException,
    TooManyTagsException,
)

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

MAX_TAGS = 50
PERMISSION_PRINCIPAL = "acm.amazonaws.com"
PERMISSION_ACTIONS = frozenset({"IssueCertificate", "GetCertificate", "ListPermissions"})
MAX_POLICY_BYTES = 20480


def check_tags(tags: list[dict[str, str]]) -> None:
    keys = [t["Key"] for t in tags]
    for key in keys:
        if key.lower().startswith("aws:"):
            raise InvalidTagException("Tag keys beginning with 'aws:' are reserved for AWS use.")
    if len(set(keys)) != len(keys):
        raise InvalidTagException("Duplicate tag keys are not allowed in a single request.")
    if len(keys) > MAX_TAGS:
        raise TooManyTagsException(f"A certificate authority can have at most {MAX_TAGS} tags.")


def check_bucket_name(bucket: str) -> None:
    """A CRL or audit-report bucket must follow S3's bucket naming rules; the name becomes a directory here."""
    if bucket_name_error(bucket) is not None:
        raise InvalidArgsException(f"The bucket name {bucket} is not valid.")


def write_tags(conn: Connection, ca_arn: str, tags: list[dict[str, str]]) -> None:
    """Upsert, then enforce the quota inside the transaction so an excess rolls everything back."""
    if not tags:
        return
    keys = [t["Key"] for t in tags]
    conn.execute(delete(model.tags).where(model.tags.c.ca_arn == ca_arn, model.tags.c.tag_key.in_(keys)))
    conn.execute(
        model.tags.insert(), [{"ca_arn": ca_arn, "tag_key": t["Key"], "tag_value": t.get("Value", "")} for t in tags]
    )
    count = conn.execute(select(func.count()).where(model.tags.c.ca_arn == ca_arn)).scalar_one()
    if count > MAX_TAGS:
        raise TooManyTagsException(f"A certificate authority can have at most {MAX_TAGS} tags.")


def _page(request: dict[str, Any], default: int) -> tuple[int, int]:
    return decode_token(request.get("NextToken")), request.get("MaxResults") or default


def _next(out: dict[str, Any], key: str, rows: list[Any], offset: int, limit: int) -> dict[str, Any]:
    out[key] = rows[:limit]
    if len(rows) > limit:
        out["NextToken"] = encode_token(offset + limit)
    return out


class SharingOperations(PcaBase):
    # -- tags -----------------------------------------------------------------------------------------------

    def tag_certificate_authority(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find_ca(ctx, request["CertificateAuthorityArn"])
        tags = request.get("Tags") or []
        check_tags(tags)
        with self.runtime.store.write() as conn:
            write_tags(conn, row["arn"], tags)
        return {}

    def untag_certificate_authority(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find_ca(ctx, request["CertificateAuthorityArn"])
        tags = request.get("Tags") or []
        for tag in tags:
            if tag["Key"].lower().startswith("aws:"):
                raise InvalidTagException("Tag keys beginning with 'aws:' are reserved for AWS use.")
        with self.runtime.store.write() as conn:
            for tag in tags:
                stmt = delete(model.tags).where(model.tags.c.ca_arn == row["arn"], model.tags.c.tag_key == tag["Key"])
                if tag.get("Value") is not None:
                    # AWS removes a tag named with a value only when the value matches too
                    stmt = stmt.where(model.tags.c.tag_value == tag["Value"])
                conn.execute(stmt)
        return {}

    def list_tags(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find_ca(ctx, request["CertificateAuthorityArn"])
        offset, limit = _page(request, 50)
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(model.tags)
                .where(model.tags.c.ca_arn == row["arn"])
                .order_by(model.tags.c.tag_key)
                .offset(offset)
                .limit(limit + 1)
            ).all()
        return _next({}, "Tags", [{"Key": r.tag_key, "Value": r.tag_value} for r in rows], offset, limit)

    # -- permissions (for ACM's renewals) -------------------------------------------------------------------

    def create_permission(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find_ca(ctx, request["CertificateAuthorityArn"])
        if request["Principal"] != PERMISSION_PRINCIPAL:
            raise InvalidArgsException(f"The principal must be {PERMISSION_PRINCIPAL}.")
        actions = request["Actions"]
        if not set(actions) <= PERMISSION_ACTIONS:
            raise InvalidArgsException("The actions must be IssueCertificate, GetCertificate or ListPermissions.")
        with self.runtime.store.write() as conn:
            exists = conn.execute(
                select(model.permissions.c.ca_arn).where(
                    model.permissions.c.ca_arn == row["arn"], model.permissions.c.principal == request["Principal"]
                )
            ).first()
            if exists is not None:
                raise PermissionAlreadyExistsException("The designated permission has already been given to the user.")
            conn.execute(
                model.permissions.insert().values(
                    ca_arn=row["arn"],
                    principal=request["Principal"],
                    source_account=request.get("SourceAccount") or ctx.account_id,
                    actions=json.dumps(sorted(set(actions))),
                    created_at=ctx.now(),
                )
            )
        return {}

    def delete_permission(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find_ca(ctx, request["CertificateAuthorityArn"])
        with self.runtime.store.write() as conn:
            gone = conn.execute(
                delete(model.permissions).where(
                    model.permissions.c.ca_arn == row["arn"], model.permissions.c.principal == request["Principal"]
                )
            ).rowcount
        if not gone:
            raise ResourceNotFoundException(
                f"Could not find permission for principal {request['Principal']} on {row['arn']}."
            )
        return {}

    def list_permissions(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find_ca(ctx, request["CertificateAuthorityArn"])
        offset, limit = _page(request, 100)
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(model.permissions)
                .where(model.permissions.c.ca_arn == row["arn"])
                .order_by(model.permissions.c.principal)
                .offset(offset)
                .limit(limit + 1)
            ).all()
        items = [
            {
                "CertificateAuthorityArn": r.ca_arn,
                "CreatedAt": r.created_at,
                "Principal": r.principal,
                "SourceAccount": r.source_account,
                "Actions": json.loads(r.actions),
                "Policy": _permission_policy(r.ca_arn, r.principal, r.source_account, json.loads(r.actions)),
            }
            for r in rows
        ]
        return _next({}, "Permissions", items, offset, limit)

    # -- resource policies ----------------------------------------------------------------------------------

    def put_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find_ca(ctx, request["ResourceArn"])
        policy = request["Policy"]
        try:
            doc = json.loads(policy)
        except ValueError:
            raise InvalidPolicyException("The resource policy is not valid JSON.") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("Statement"), list | dict):
            raise InvalidPolicyException("The resource policy must be a JSON object with a Statement.")
        if len(policy.encode()) > MAX_POLICY_BYTES:
            raise InvalidPolicyException("The resource policy is too large.")
        self.set_ca(row["arn"], policy=policy)
        return {}

    def get_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find_ca(ctx, request["ResourceArn"])
        if not row["policy"]:
            raise ResourceNotFoundException(f"A resource policy does not exist for {row['arn']}.")
        return {"Policy": row["policy"]}

    def delete_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find_ca(ctx, request["ResourceArn"])
        if not row["policy"]:
            raise ResourceNotFoundException(f"A resource policy does not exist for {row['arn']}.")
        self.set_ca(row["arn"], policy=None)
        return {}

    # -- audit reports --------------------------------------------------------------------------------------

    def create_certificate_authority_audit_report(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find_ca(ctx, request["CertificateAuthorityArn"])
        report_id = str(uuid.uuid4())
        fmt = request["AuditReportResponseFormat"]
        bucket = request["S3BucketName"]
        check_bucket_name(bucket)
        key = f"audit-report/{ca_id(row['arn'])}/{report_id}.{fmt.lower()}"
        with self.runtime.store.read() as conn:
            certs = conn.execute(
                select(model.certificates)
                .where(model.certificates.c.ca_arn == row["arn"])
                .order_by(model.certificates.c.issued_at, model.certificates.c.serial)
            ).all()
        entries = [
            {
                "awsAccountId": row["account_id"],
                "certificateArn": c.arn,
                "serial": colonize(c.serial),
                "subject": c.subject,
                "notBefore": _iso(c.not_before),
                "notAfter": _iso(c.not_after),
                "issuedAt": _iso(c.issued_at),
                "revokedAt": _iso(c.revoked_at) if c.revoked_at else None,
                "revocationReason": c.revocation_reason,
                "templateArn": c.template_arn,
                "requestedByServicePrincipal": None,
                "issuedBy": c.requester,
            }
            for c in certs
        ]
        base = pca_dir(self.runtime, "pca_audit_report_dir", "audit-reports")
        paths.write_atomic(base, bucket, *paths.key_parts(key), data=_render(entries, fmt))
        with self.runtime.store.write() as conn:
            conn.execute(
                model.audit_reports.insert().values(
                    report_id=report_id,
                    ca_arn=row["arn"],
                    bucket=bucket,
                    s3_key=key,
                    status="SUCCESS",
                    report_format=fmt,
                    created_at=ctx.now(),
                )
            )
        return {"AuditReportId": report_id, "S3Key": key}

    def describe_certificate_authority_audit_report(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        row = self.find_ca(ctx, request["CertificateAuthorityArn"])
        with self.runtime.store.read() as conn:
            report = conn.execute(
                select(model.audit_reports).where(
                    model.audit_reports.c.report_id == request["AuditReportId"],
                    model.audit_reports.c.ca_arn == row["arn"],
                )
            ).first()
        if report is None:
            raise ResourceNotFoundException(f"Could not find audit report {request['AuditReportId']}.")
        return {
            "AuditReportStatus": report.status,
            "S3BucketName": report.bucket,
            "S3Key": report.s3_key,
            "CreatedAt": report.created_at,
        }


def colonize(serial_hex: str) -> str:
    text = serial_hex if len(serial_hex) % 2 == 0 else "0" + serial_hex
    return ":".join(text[i : i + 2] for i in range(0, len(text), 2))


def _iso(moment: Any) -> str:
    return str(moment.isoformat().replace("+00:00", "Z"))


def _render(entries: list[dict[str, Any]], fmt: str) -> bytes:
    if fmt == "JSON":
        return json.dumps(entries, indent=2).encode()
    out = io.StringIO()
    fields = list(entries[0]) if entries else ["awsAccountId", "certificateArn", "serial", "subject"]
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    for entry in entries:
        writer.writerow({k: "" if v is None else v for k, v in entry.items()})
    return out.getvalue().encode()


def _permission_policy(ca_arn: str, principal: str, source_account: str, actions: list[str]) -> str:
    """The resource policy AWS derives from a permission, shown by ListPermissions."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": principal},
                    "Action": [f"acm-pca:{a}" for a in actions],
                    "Resource": ca_arn,
                    "Condition": {"StringEquals": {"aws:SourceAccount": source_account}},
                }
            ],
        }
    )
