"""What every family of ACM PCA operations shares: finding CAs by ARN, state checks, public URLs, shapes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import RowMapping, select, update

from strongroom.core.errors import AwsError
from strongroom.services.acm_pca import keys, model
from strongroom.services.acm_pca.errors import (
    InvalidArnException,
    InvalidNextTokenException,
    InvalidStateException,
    ResourceNotFoundException,
)
from strongroom.services.base import pages
from strongroom.services.base.family import ServiceBase

if TYPE_CHECKING:
    from datetime import datetime

    from strongroom.services.base.runtime import RequestContext, ServiceRuntime

_CA_ARN = re.compile(r"^arn:aws[\w-]*:acm-pca:([a-z0-9-]+):(\d{12}):certificate-authority/([0-9a-f-]{36})$")
_CERT_ARN = re.compile(
    r"^arn:aws[\w-]*:acm-pca:([a-z0-9-]+):(\d{12}):certificate-authority/([0-9a-f-]{36})/certificate/([0-9a-f]+)$"
)

# ctx.extras key: the CA of another account that authorization let this call reach through the CA's policy
SHARED_CA = "acm_pca.shared_ca"

# Which CA states each operation accepts (AWS API reference, per operation); absent: any state.
ALLOWED_STATES: dict[str, frozenset[str]] = {
    "GetCertificateAuthorityCsr": frozenset({"PENDING_CERTIFICATE", "ACTIVE", "DISABLED", "EXPIRED"}),
    "ImportCertificateAuthorityCertificate": frozenset({"PENDING_CERTIFICATE", "ACTIVE", "DISABLED", "EXPIRED"}),
    "GetCertificateAuthorityCertificate": frozenset({"ACTIVE", "DISABLED", "EXPIRED"}),
    "IssueCertificate": frozenset({"ACTIVE"}),
    "GetCertificate": frozenset({"ACTIVE", "DISABLED", "EXPIRED", "PENDING_CERTIFICATE"}),
    "RevokeCertificate": frozenset({"ACTIVE", "DISABLED", "EXPIRED"}),
    "UpdateCertificateAuthority": frozenset({"ACTIVE", "DISABLED", "PENDING_CERTIFICATE", "EXPIRED"}),
    "DeleteCertificateAuthority": frozenset({"PENDING_CERTIFICATE", "CREATING", "DISABLED", "EXPIRED", "FAILED"}),
    "RestoreCertificateAuthority": frozenset({"DELETED"}),
    "CreateCertificateAuthorityAuditReport": frozenset({"ACTIVE", "DISABLED", "EXPIRED"}),
    "CreatePermission": frozenset({"ACTIVE", "DISABLED", "PENDING_CERTIFICATE", "EXPIRED", "CREATING", "FAILED"}),
    "DeletePermission": frozenset({"ACTIVE", "DISABLED", "PENDING_CERTIFICATE", "EXPIRED", "CREATING", "FAILED"}),
    "ListPermissions": frozenset({"ACTIVE", "DISABLED", "PENDING_CERTIFICATE", "EXPIRED", "CREATING", "FAILED"}),
    "PutPolicy": frozenset({"ACTIVE", "DISABLED", "PENDING_CERTIFICATE", "EXPIRED", "CREATING", "FAILED"}),
    "GetPolicy": frozenset({"ACTIVE", "DISABLED", "PENDING_CERTIFICATE", "EXPIRED", "CREATING", "FAILED"}),
    "DeletePolicy": frozenset({"ACTIVE", "DISABLED", "PENDING_CERTIFICATE", "EXPIRED", "CREATING", "FAILED"}),
    "TagCertificateAuthority": frozenset(
        {"ACTIVE", "DISABLED", "PENDING_CERTIFICATE", "EXPIRED", "CREATING", "FAILED"}
    ),
    "UntagCertificateAuthority": frozenset(
        {"ACTIVE", "DISABLED", "PENDING_CERTIFICATE", "EXPIRED", "CREATING", "FAILED"}
    ),
}


def _bad_token() -> AwsError:
    return InvalidNextTokenException("The token is not valid.")


def encode_token(offset: int) -> str:
    """The NextToken of a list that continues at ``offset`` (services.base.pages encoding)."""
    return pages.encode(offset)


def decode_token(token: str | None) -> int:
    """The offset a NextToken of ``encode_token`` names; 0 for no token; InvalidNextTokenException otherwise."""
    if not token:
        return 0
    (offset,) = pages.decode(token, 1, _bad_token)
    if not isinstance(offset, int):
        raise _bad_token()
    return max(0, offset)


def ca_id(arn: str) -> str:
    return arn.rsplit("/", 1)[1]


def parse_ca_arn(arn: str) -> tuple[str, str, str]:
    """(region, account, CA id) of a CA ARN, or InvalidArnException."""
    found = _CA_ARN.match(arn)
    if found is None:
        raise InvalidArnException(f"The ARN {arn} is not valid.")
    return found.group(1), found.group(2), found.group(3)


def parse_certificate_arn(arn: str) -> tuple[str, str]:
    """(CA ARN, serial hex) of a certificate ARN."""
    found = _CERT_ARN.match(arn)
    if found is None:
        raise InvalidArnException(f"The ARN {arn} is not valid.")
    return arn.split("/certificate/", 1)[0], found.group(4)


def public_base_url(runtime: ServiceRuntime) -> str:
    """Where clients reach this server's CRLs and OCSP responder: ``pca_public_base_url`` or host:port."""
    override = runtime.config.extra.get("pca_public_base_url")
    if override:
        return str(override).rstrip("/")
    host = runtime.config.host
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{runtime.config.port}"


def pca_dir(runtime: ServiceRuntime, key: str, default: str) -> Path:
    configured = runtime.config.extra.get(key)
    return Path(configured) if configured else runtime.config.data_dir / "pca" / default


class PcaBase(ServiceBase):
    """Shared state and helpers; the operation families build on it.

    A family that needs time-driven work declares ``scheduled_jobs = {"pca-kind": "method_name"}``.
    """

    # -- finding CAs ----------------------------------------------------------------------------------------

    def load_ca(self, arn: str) -> RowMapping | None:
        with self.runtime.store.read() as conn:
            return conn.execute(select(model.authorities).where(model.authorities.c.arn == arn)).mappings().first()

    def find_ca(self, ctx: RequestContext, arn: str, *, operation: str | None = None) -> RowMapping:
        """The CA an operation names, checked against that operation's allowed states.

        Only the caller's own account's CAs are found, unless authorization admitted this call to another
        account's CA through that CA's resource policy (see ``access.checks``): a CA ARN of another account is
        otherwise as unknown as a missing one.
        """
        region, account, _ = parse_ca_arn(arn)
        reachable = account == ctx.account_id or ctx.extras.get(SHARED_CA) == arn
        row = self.load_ca(arn) if region == ctx.region and reachable else None
        if row is None:
            raise ResourceNotFoundException(f"Could not find certificate authority {arn}.")
        allowed = ALLOWED_STATES.get(operation or ctx.operation)
        if allowed is not None and row["status"] not in allowed:
            raise InvalidStateException(
                f"The certificate authority {arn} is in the {row['status']} state and cannot perform this action."
            )
        return row

    def ca_key(self, row: RowMapping) -> Any:
        """The CA's private key, unsealed only for the moment it signs."""
        return keys.load_private(self.runtime.seal.unwrap(row["sealed_key"], model.authority_key_aad(row["arn"])))

    def set_ca(self, arn: str, **values: Any) -> None:
        with self.runtime.store.write() as conn:
            conn.execute(update(model.authorities).where(model.authorities.c.arn == arn).values(**values))

    # -- shapes ---------------------------------------------------------------------------------------------

    def describe(self, row: RowMapping) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Arn": row["arn"],
            "OwnerAccount": row["account_id"],
            "CreatedAt": row["created_at"],
            "LastStateChangeAt": row["last_state_change_at"],
            "Type": row["ca_type"],
            "Status": row["status"],
            "CertificateAuthorityConfiguration": json.loads(row["configuration"]),
            "RevocationConfiguration": json.loads(row["revocation"]),
            "KeyStorageSecurityStandard": row["key_storage"],
            "UsageMode": row["usage_mode"],
        }
        if row["serial"]:
            out["Serial"] = row["serial"]
        if row["not_before"] is not None:
            out["NotBefore"] = row["not_before"]
            out["NotAfter"] = row["not_after"]
        if row["failure_reason"]:
            out["FailureReason"] = row["failure_reason"]
        if row["status"] == "DELETED" and row["restorable_until"] is not None:
            out["RestorableUntil"] = row["restorable_until"]
        return out


def state_change(status: str, now: datetime, **more: Any) -> dict[str, Any]:
    return {"status": status, "last_state_change_at": now, **more}
