"""Reading and managing certificates: Describe, Get, List, Search, Delete, account configuration, options."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cryptography.x509.oid import NameOID
from sqlalchemy import delete, select

from strongroom.core.errors import AwsError
from strongroom.services.acm import certs
from strongroom.services.acm.base import AcmBase, Row
from strongroom.services.acm.errors import (
    ConflictException,
    InvalidArgsException,
    RequestInProgressException,
    ValidationException,
)
from strongroom.services.acm.model import account_config, certificates, tags
from strongroom.services.base import pages

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

DEFAULT_LIST_KEY_TYPES = ("RSA_1024", "RSA_2048")  # AWS: ListCertificates without Includes.keyTypes


def _bad_token() -> AwsError:
    return InvalidArgsException("The NextToken is not valid.")


def _token(offset: int) -> str:
    return pages.encode(offset)


def _offset(token: str | None) -> int:
    if not token:
        return 0
    (offset,) = pages.decode(token, 1, _bad_token)
    if not isinstance(offset, int) or offset < 0:
        raise _bad_token()
    return offset


def _text_match(flt: dict[str, Any], values: list[str]) -> bool:
    want = str(flt.get("Value", "")).lower()
    if flt.get("ComparisonOperator") == "CONTAINS":
        return any(want in v.lower() for v in values)
    return any(want == v.lower() for v in values)


def _in_range(rng: dict[str, Any], moment: datetime | None) -> bool:
    if moment is None:
        return False
    start, end = rng.get("Start"), rng.get("End")
    return (start is None or moment >= start) and (end is None or moment <= end)


class ManageOperations(AcmBase):
    def rows(self, ctx: RequestContext) -> list[Row]:
        with self.runtime.store.read() as conn:
            result = conn.execute(
                select(certificates)
                .where(certificates.c.account_id == ctx.account_id, certificates.c.region == ctx.region)
                .order_by(certificates.c.created_at, certificates.c.arn)
            )
            return [dict(r._mapping) for r in result]

    def describe_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"Certificate": self.detail(self.require(ctx, request["CertificateArn"]))}

    def get_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.require(ctx, request["CertificateArn"])
        if not row["certificate"] or row["status"] in ("PENDING_VALIDATION", "FAILED", "VALIDATION_TIMED_OUT"):
            raise RequestInProgressException(f"Certificate arn {row['arn']} is still in process")
        out = {"Certificate": row["certificate"]}
        if row["chain"]:
            out["CertificateChain"] = row["chain"]
        return out

    def list_certificates(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        statuses = set(request.get("CertificateStatuses") or [])
        includes = request.get("Includes") or {}
        key_types = set(includes.get("keyTypes") or DEFAULT_LIST_KEY_TYPES)
        ekus = set(includes.get("extendedKeyUsage") or [])
        kus = set(includes.get("keyUsage") or [])
        origins = set(request.get("CertificateKeyPairOrigins") or [])
        selected = []
        for row in self.rows(ctx):
            summary = self.summary(row)
            if statuses and row["status"] not in statuses:
                continue
            if row["key_algorithm"] not in key_types:
                continue
            if ekus and "ANY" not in ekus and not ekus & set(summary["ExtendedKeyUsages"]):
                continue
            if kus and "ANY" not in kus and not kus & set(summary["KeyUsages"]):
                continue
            if "exportOption" in includes and summary["ExportOption"] != includes["exportOption"]:
                continue
            if "managedBy" in includes:
                continue  # nothing here is managed by CloudFront
            if origins and self.key_pair_origin(row) not in origins:
                continue
            selected.append(summary)
        if request.get("SortBy") == "CREATED_AT":
            selected.sort(key=lambda s: (s.get("CreatedAt") or s.get("ImportedAt"), s["CertificateArn"]))
            if request.get("SortOrder") == "DESCENDING":
                selected.reverse()
        start = _offset(request.get("NextToken"))
        size = int(request.get("MaxItems", 1000))
        out: dict[str, Any] = {"CertificateSummaryList": selected[start : start + size]}
        if start + size < len(selected):
            out["NextToken"] = _token(start + size)
        return out

    @staticmethod
    def key_pair_origin(row: Row) -> str:
        return "CUSTOMER_PROVIDED" if row["type"] == "IMPORTED" else "AWS_MANAGED"

    # -- SearchCertificates -------------------------------------------------------------------------------

    def search_certificates(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        statement = request.get("FilterStatement")
        results = [
            self.search_result(row) for row in self.rows(ctx) if statement is None or self.matches(row, statement)
        ]
        sort_by = request.get("SortBy")
        if sort_by:
            results.sort(key=lambda r: str(self.sort_value(r, sort_by)))
            if request.get("SortOrder") == "DESCENDING":
                results.reverse()
        start = _offset(request.get("NextToken"))
        size = int(request.get("MaxResults", 100))
        out: dict[str, Any] = {"Results": results[start : start + size]}
        if start + size < len(results):
            out["NextToken"] = _token(start + size)
        return out

    @staticmethod
    def sort_value(result: dict[str, Any], sort_by: str) -> Any:
        meta = result["CertificateMetadata"]["AcmCertificateMetadata"]
        x509 = result.get("X509Attributes", {})
        table = {
            "CERTIFICATE_ARN": result["CertificateArn"],
            "COMMON_NAME": x509.get("Subject", {}).get("CommonName", ""),
            "NOT_AFTER": x509.get("NotAfter", ""),
            "NOT_BEFORE": x509.get("NotBefore", ""),
            "KEY_ALGORITHM": x509.get("KeyAlgorithm", ""),
        }
        camel = "".join(p.capitalize() for p in sort_by.lower().split("_"))
        return table.get(sort_by, meta.get(camel, ""))

    def matches(self, row: Row, statement: dict[str, Any]) -> bool:
        if "And" in statement:
            return all(self.matches(row, s) for s in statement["And"])
        if "Or" in statement:
            return any(self.matches(row, s) for s in statement["Or"])
        if "Not" in statement:
            return not self.matches(row, statement["Not"])
        flt = statement.get("Filter") or {}
        if "CertificateArn" in flt:
            return bool(row["arn"] == flt["CertificateArn"])
        if "X509AttributeFilter" in flt:
            return self.x509_matches(row, flt["X509AttributeFilter"])
        if "AcmCertificateMetadataFilter" in flt:
            meta = self.metadata(row)
            return all(meta.get(k) == v for k, v in flt["AcmCertificateMetadataFilter"].items())
        raise ValidationException("A FilterStatement must contain exactly one of And, Or, Not or Filter.")

    def x509_matches(self, row: Row, flt: dict[str, Any]) -> bool:
        if not row["certificate"]:
            return False
        summary = self.x509_usages(row)
        checks: list[bool] = []
        if "Subject" in flt:
            checks.append(_text_match(flt["Subject"].get("CommonName", {}), [row["domain_name"]]))
        if "SubjectAlternativeName" in flt:
            checks.append(_text_match(flt["SubjectAlternativeName"].get("DnsName", {}), json.loads(row["sans"])))
        if "ExtendedKeyUsage" in flt:
            checks.append(flt["ExtendedKeyUsage"] in summary["ExtendedKeyUsages"])
        if "KeyUsage" in flt:
            checks.append(flt["KeyUsage"] in summary["KeyUsages"])
        if "KeyAlgorithm" in flt:
            checks.append(flt["KeyAlgorithm"] == row["key_algorithm"])
        if "SerialNumber" in flt:
            checks.append(str(flt["SerialNumber"]).replace(":", "").lower() == (row["serial"] or "").replace(":", ""))
        if "NotAfter" in flt:
            checks.append(_in_range(flt["NotAfter"], row["not_after"]))
        if "NotBefore" in flt:
            checks.append(_in_range(flt["NotBefore"], row["not_before"]))
        return all(checks)

    def metadata(self, row: Row) -> dict[str, Any]:
        meta: dict[str, Any] = {}
        for key, column in (
            ("CreatedAt", "created_at"),
            ("ImportedAt", "imported_at"),
            ("IssuedAt", "issued_at"),
            ("RevokedAt", "revoked_at"),
        ):
            if row[column] is not None:
                meta[key] = row[column]
        meta.update(
            {
                "Exported": bool(row["exported"]),
                "InUse": False,
                "RenewalEligibility": self.renewal_eligibility(row),
                "Status": row["status"],
                "Type": row["type"],
                "ExportOption": self.options(row)["Export"],
                "CertificateKeyPairOrigin": self.key_pair_origin(row),
            }
        )
        if row["renewal"]:
            meta["RenewalStatus"] = json.loads(row["renewal"])["RenewalStatus"]
        if row["validation_method"]:
            meta["ValidationMethod"] = row["validation_method"]
        return meta

    def search_result(self, row: Row) -> dict[str, Any]:
        result: dict[str, Any] = {
            "CertificateArn": row["arn"],
            "CertificateMetadata": {"AcmCertificateMetadata": self.metadata(row)},
        }
        if row["certificate"]:
            cert = certs.split_pem(row["certificate"])[0]
            summary = self.x509_usages(row)
            result["X509Attributes"] = {
                "Issuer": self.distinguished_name(cert.issuer),
                "Subject": self.distinguished_name(cert.subject),
                "SubjectAlternativeNames": [{"DnsName": n} for n in json.loads(row["sans"])],
                "ExtendedKeyUsages": summary["ExtendedKeyUsages"],
                "KeyAlgorithm": row["key_algorithm"],
                "KeyUsages": summary["KeyUsages"],
                "SerialNumber": row["serial"],
                "NotAfter": row["not_after"],
                "NotBefore": row["not_before"],
            }
        return result

    @staticmethod
    def x509_usages(row: Row) -> dict[str, list[str]]:
        """The certificate's key usages as its extensions name them (ListCertificates' ANY/NONE stand-ins aside)."""
        return {
            "KeyUsages": json.loads(row["key_usages"] or "[]"),
            "ExtendedKeyUsages": [e["Name"] for e in json.loads(row["extended_key_usages"] or "[]")],
        }

    @staticmethod
    def distinguished_name(name: Any) -> dict[str, Any]:
        fields = (
            (NameOID.COMMON_NAME, "CommonName"),
            (NameOID.COUNTRY_NAME, "Country"),
            (NameOID.LOCALITY_NAME, "Locality"),
            (NameOID.ORGANIZATION_NAME, "Organization"),
            (NameOID.ORGANIZATIONAL_UNIT_NAME, "OrganizationalUnit"),
            (NameOID.STATE_OR_PROVINCE_NAME, "State"),
            (NameOID.SERIAL_NUMBER, "SerialNumber"),
        )
        out: dict[str, Any] = {}
        for oid, key in fields:
            attrs = name.get_attributes_for_oid(oid)
            if attrs:
                out[key] = str(attrs[0].value)
        return out

    # -- delete, account configuration, options -----------------------------------------------------------

    def delete_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        row = self.require(ctx, request["CertificateArn"])
        with self.runtime.store.write() as conn:
            conn.execute(delete(tags).where(tags.c.certificate_arn == row["arn"]))
            conn.execute(delete(certificates).where(certificates.c.arn == row["arn"]))
            for kind in ("acm-validate", "acm-renew", "acm-expiry"):
                self.runtime.scheduler.cancel(kind, row["arn"], conn=conn)

    def get_account_configuration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"ExpiryEvents": {"DaysBeforeExpiry": self.days_before_expiry(ctx.account_id, ctx.region)}}

    def put_account_configuration(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        token = request["IdempotencyToken"]
        days = (request.get("ExpiryEvents") or {}).get("DaysBeforeExpiry")
        with self.runtime.store.write() as conn:
            row = conn.execute(
                select(account_config).where(
                    account_config.c.account_id == ctx.account_id, account_config.c.region == ctx.region
                )
            ).one_or_none()
            if (
                row is not None
                and row.idempotency_token == token
                and days is not None
                and row.days_before_expiry != days
            ):
                raise ConflictException(
                    "You are trying to update a resource or configuration that is already being "
                    "created or updated. Wait for the previous operation to finish and try again."
                )
            if days is None:
                return
            if row is None:
                conn.execute(
                    account_config.insert().values(
                        account_id=ctx.account_id, region=ctx.region, days_before_expiry=days, idempotency_token=token
                    )
                )
            else:
                conn.execute(
                    account_config.update()
                    .where(account_config.c.account_id == ctx.account_id, account_config.c.region == ctx.region)
                    .values(days_before_expiry=days, idempotency_token=token)
                )
        self.reschedule_expiry(ctx.account_id, ctx.region)

    def update_certificate_options(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        row = self.require(ctx, request["CertificateArn"])
        if row["type"] == "IMPORTED":
            raise ValidationException(f"Certificate {row['arn']} is imported; its options cannot be updated.")
        options = json.loads(row["options"] or "{}")
        wanted = request["Options"]
        if "Export" in wanted and wanted["Export"] != self.options(row)["Export"]:
            raise ValidationException("The Export option of a certificate cannot be changed after it is requested.")
        if "CertificateTransparencyLoggingPreference" in wanted:
            options["CertificateTransparencyLoggingPreference"] = wanted["CertificateTransparencyLoggingPreference"]
        self.save(row["arn"], options=json.dumps(options))
