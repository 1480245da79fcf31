"""What every family of Parameter Store operations shares: finding parameters, KMS, events, throughput."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, and_, bindparam, delete, select

from strongroom.core import ids
from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.events.bus import publish
from strongroom.services.base import pages
from strongroom.services.base.family import ServiceBase
from strongroom.services.kms.managed import aws_managed_key
from strongroom.services.ssm import model, policies
from strongroom.services.ssm.errors import (
    AccessDeniedException,
    InternalServerError,
    InvalidKeyId,
    InvalidNextToken,
    ParameterNotFound,
    ParameterVersionNotFound,
    ThrottlingException,
)
from strongroom.services.ssm.public import PublicParameters
from strongroom.services.ssm.refs import Ref
from strongroom.services.ssm.rules import other_spelling
from strongroom.services.ssm.sharing import shared_with

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime

log = logging.getLogger("strongroom.ssm")

DEFAULT_KEY = "alias/aws/ssm"
SOURCE = "aws.ssm"
CHANGE_EVENT = "Parameter Store Change"
POLICY_EVENT = "Parameter Store Policy Action"
KMS_DENIED_ON_DECRYPT = (
    "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you "
    "are not allowed to access."
)
# Config.extra keys (strongroom.toml): GetParameter* requests per second per account and region, off when unset.
THROUGHPUT_SETTING = "ssm_throughput_limit"
HIGH_THROUGHPUT_SETTING = "ssm_high_throughput_limit"


def named(table: Any) -> tuple[Any, ...]:
    """Match one parameter by the bind parameters of ``Ref.key``."""
    return (
        table.c.account_id == bindparam("k_account"),
        table.c.region == bindparam("k_region"),
        table.c.name == bindparam("k_name"),
    )


# The hot reads, built once: a reused statement keeps SQLAlchemy's compiled-cache key, which saves about half
# the cost of a query that is rebuilt (select(...).where(...)) on every request.
_p, _v, _s = model.parameters, model.versions, model.service_settings
ROW = select(_p).where(*named(_p))
VERSIONS = select(_v).where(*named(_v)).order_by(_v.c.version)
VERSION = select(_v).where(*named(_v), _v.c.version == bindparam("k_version"))
# A version row joined to its parameter row: the parameter's current version.
CURRENT_ON = and_(
    _p.c.account_id == _v.c.account_id,
    _p.c.region == _v.c.region,
    _p.c.name == _v.c.name,
    _p.c.version == _v.c.version,
)
LATEST = select(_v).join(_p, CURRENT_ON).where(*named(_p))
# Which spellings of a one-level name (``x``, ``/x``) are stored: AWS treats the two as one parameter.
SPELLINGS = select(_p.c.name).where(
    _p.c.account_id == bindparam("k_account"),
    _p.c.region == bindparam("k_region"),
    _p.c.name.in_([bindparam("k_name"), bindparam("k_other")]),
)
SETTING = select(_s.c.value).where(
    _s.c.account_id == bindparam("k_account"),
    _s.c.region == bindparam("k_region"),
    _s.c.setting_id == bindparam("k_setting"),
)


class SsmBase(ServiceBase):
    """Shared state and helpers; families declare ``scheduled_jobs = {kind: method}`` like KMS's do."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}  # (account, region) -> (tokens, at)
        self._bucket_lock = threading.Lock()
        self.public = PublicParameters(runtime)  # public parameters and Secrets Manager references
        super().__init__(runtime)

    def reset(self) -> None:
        self._buckets.clear()

    # -- names and rows -----------------------------------------------------------------------------------

    def ref(self, ctx: RequestContext, raw: str) -> Ref:
        """A name, ``name:selector`` or parameter ARN (possibly another account's, for shared parameters)."""
        if not raw.startswith("arn:"):
            name, _, selector = raw.partition(":")
            if ":" in selector:
                raise ParameterNotFound("")
            stored = self.stored_name(ctx.account_id, ctx.region, name)
            return Ref(ctx.account_id, ctx.region, stored, selector or None, name if stored != name else None)
        parts = raw.split(":", 5)
        if len(parts) != 6 or parts[2] != "ssm" or not parts[5].startswith("parameter/"):
            raise ParameterNotFound("")
        region, account = parts[3] or ctx.region, parts[4] or ctx.account_id
        path, _, selector = parts[5][len("parameter/") :].partition(":")
        if ":" in selector:
            raise ParameterNotFound("")
        name = "/" + path if "/" in path else self.stored_name(account, region, path)
        return Ref(account, region, name, selector or None)

    def stored_name(self, account: str, region: str, name: str) -> str:
        """The stored spelling of a one-level name: ``x`` and ``/x`` (and ``parameter/x``) mean the same parameter.

        The spelling asked for wins when both exist (two parameters stored before names were unified).
        """
        other = other_spelling(name)
        if other == name:
            return name
        with self.runtime.store.read() as conn:
            found = set(
                conn.execute(
                    SPELLINGS, {"k_account": account, "k_region": region, "k_name": name, "k_other": other}
                ).scalars()
            )
        return other if other in found and name not in found else name

    @staticmethod
    def row(conn: Connection, ref: Ref) -> Row[Any] | None:
        return conn.execute(ROW, ref.key).one_or_none()

    @staticmethod
    def version_rows(conn: Connection, ref: Ref) -> list[Row[Any]]:
        return list(conn.execute(VERSIONS, ref.key))

    def require(self, conn: Connection, ref: Ref, message: str = "") -> Row[Any]:
        row = self.row(conn, ref)
        if row is None:
            raise ParameterNotFound(message)
        return row

    def select_version(self, conn: Connection, ref: Ref) -> Row[Any]:
        """The version a selector names (``:3`` or ``:label``), or the latest."""
        if ref.selector is None:
            found = conn.execute(LATEST, ref.key).one_or_none()
            if found is None:
                raise ParameterNotFound("")
            return found
        if ref.selector.isdigit():
            found = conn.execute(VERSION, {**ref.key, "k_version": int(ref.selector)}).one_or_none()
            if found is None:
                self.require(conn, ref)  # versions exist only with their parameter: tell which one is missing
                raise ParameterVersionNotFound(
                    f"Systems Manager could not find version {ref.selector} of {ref.name}. Verify the version and "
                    "try again."
                )
            return found
        self.require(conn, ref)
        found = next((r for r in self.version_rows(conn, ref) if ref.selector in json.loads(r.labels)), None)
        if found is None:
            raise ParameterVersionNotFound(
                f"Systems Manager could not find label {ref.selector} of {ref.name}. Verify the label and try again."
            )
        return found

    def check_shared(self, ctx: RequestContext, ref: Ref) -> None:
        """Another account's parameter is readable only when its resource policy names the caller's account."""
        if ref.account_id == ctx.account_id:
            return
        if not shared_with(self.runtime, ref.arn, ctx.account_id):
            raise ParameterNotFound("")

    @staticmethod
    def _where(table: Any, ref: Ref) -> list[Any]:
        return [table.c.account_id == ref.account_id, table.c.region == ref.region, table.c.name == ref.name]

    def remove(self, conn: Connection, ref: Ref) -> Row[Any] | None:
        """Delete a parameter with everything hanging off it; returns the row that was there."""
        row = self.row(conn, ref)
        if row is None:
            return None
        for table in (model.versions, model.tags):
            conn.execute(delete(table).where(*self._where(table, ref)))
        conn.execute(delete(model.parameters).where(*self._where(model.parameters, ref)))
        rp = model.resource_policies
        conn.execute(delete(rp).where(rp.c.resource_arn == ref.arn))
        self.runtime.scheduler.cancel(
            policies.JOB_KIND, policies.job_key(ref.account_id, ref.region, ref.name), conn=conn
        )
        return row

    def view(self, ctx: RequestContext, ref: Ref, version: Row[Any], decrypt: bool) -> dict[str, Any]:
        """One stored parameter version as GetParameter(s) and GetParametersByPath answer it."""
        out: dict[str, Any] = {
            "Name": ref.arn if ref.account_id != ctx.account_id else ref.shown,  # shared parameters go by ARN
            "Type": version.type,
            "Value": self.value_of(ctx, ref.arn, version, decrypt),
            "Version": version.version,
            "LastModifiedDate": version.modified_at,
            "ARN": ref.arn,
            "DataType": version.data_type,
        }
        if ref.selector is not None:
            out["Selector"] = ":" + ref.selector
        return out

    # -- KMS ----------------------------------------------------------------------------------------------

    def encrypt(self, ctx: RequestContext, arn: str, key_ref: str | None, plaintext: str) -> str:
        """KMS Encrypt as the caller, bound to the parameter's ARN; returns the ciphertext as base64."""
        key = key_ref
        if key is None or key == DEFAULT_KEY:
            account, region = arn.split(":")[4], arn.split(":")[3]
            key = aws_managed_key(self.runtime, account, region, "ssm").arn
        params = {"KeyId": key, "Plaintext": plaintext.encode(), "EncryptionContext": {"PARAMETER_ARN": arn}}
        try:
            out = ctx.call("kms", "Encrypt", params)
        except AwsError as exc:
            raise kms_error(exc, decrypting=False) from None
        return base64.b64encode(out["CiphertextBlob"]).decode()

    def decrypt(self, ctx: RequestContext, arn: str, stored: str) -> str:
        try:
            blob = base64.b64decode(stored, validate=True)
        except binascii.Error:
            raise InternalServerError("An error occurred on the server side.") from None
        params = {"CiphertextBlob": blob, "EncryptionContext": {"PARAMETER_ARN": arn}}
        try:
            out = ctx.call("kms", "Decrypt", params)
        except AwsError as exc:
            raise kms_error(exc, decrypting=True) from None
        return bytes(out["Plaintext"]).decode()

    def value_of(self, ctx: RequestContext, arn: str, version: Row[Any], decrypt: bool) -> str:
        if version.type == "SecureString" and decrypt:
            return self.decrypt(ctx, arn, version.value)
        return str(version.value)

    # -- settings and throughput --------------------------------------------------------------------------

    def setting(self, conn: Connection, account_id: str, region: str, setting_id: str, default: str) -> str:
        params = {"k_account": account_id, "k_region": region, "k_setting": setting_id}
        value = conn.execute(SETTING, params).scalar_one_or_none()
        return default if value is None else str(value)

    def throttle(self, ctx: RequestContext) -> None:
        """AWS's GetParameter* throughput quota, per account and region, when the operator configured one."""
        extra = self.runtime.config.extra
        limit = extra.get(THROUGHPUT_SETTING)
        if not limit:
            return
        with self.runtime.store.read() as conn:
            high = self.setting(
                conn, ctx.account_id, ctx.region, "/ssm/parameter-store/high-throughput-enabled", "false"
            )
        if high == "true":
            limit = extra.get(HIGH_THROUGHPUT_SETTING)
            if not limit:
                return
        rate = float(limit)
        now = clock.time()
        with self._bucket_lock:
            tokens, at = self._buckets.get((ctx.account_id, ctx.region), (rate, now))
            tokens = min(rate, tokens + max(0.0, now - at) * rate)
            if tokens < 1.0:
                self._buckets[(ctx.account_id, ctx.region)] = (tokens, now)
                raise ThrottlingException("Rate exceeded", QuotaCode="L-B5E7E2B0", ServiceCode="ssm")
            self._buckets[(ctx.account_id, ctx.region)] = (tokens - 1.0, now)

    # -- events -------------------------------------------------------------------------------------------

    def announce(self, account_id: str, region: str, detail_type: str, detail: dict[str, Any], arn: str) -> None:
        """Publish on the default bus; the change is done and audited, so a lost event must not undo it."""
        try:
            publish(self.runtime, account_id, region, SOURCE, detail_type, detail, [arn])
        except Exception:
            log.exception("could not publish %s event", detail_type)

    def changed(self, ref: Ref, operation: str, parameter_type: str, description: str | None) -> None:
        detail = {"operation": operation, "name": ref.name, "type": parameter_type, "description": description or ""}
        self.announce(ref.account_id, ref.region, CHANGE_EVENT, detail, ref.arn)

    # -- pagination ---------------------------------------------------------------------------------------

    @staticmethod
    def encode_token(last: str) -> str:
        return pages.encode(last)

    @staticmethod
    def decode_token(token: str) -> str:
        (last,) = pages.decode(token, 1, _bad_token)
        if not isinstance(last, str):
            raise _bad_token()
        return last


def _bad_token() -> AwsError:
    return InvalidNextToken("The specified token isn't valid.")


def kms_error(exc: AwsError, *, decrypting: bool) -> AwsError:
    """KMS's answer as SSM relays it: the KMS message with KMS's code and request id appended."""
    suffix = (
        f" (Service: AWSKMS; Status Code: 400; Error Code: {exc.code}; Request ID: {ids.request_id()}; Proxy: null)"
    )
    if exc.code == "AccessDeniedException":
        return AccessDeniedException((KMS_DENIED_ON_DECRYPT if decrypting else exc.message) + suffix)
    if exc.code in ("NotFoundException", "DisabledException", "KMSInvalidStateException", "InvalidKeyUsageException"):
        return InvalidKeyId(exc.message + suffix)
    if exc.code in ("InvalidCiphertextException", "IncorrectKeyException"):
        return InvalidKeyId(exc.message + suffix)
    log.warning("unexpected KMS error %s", exc.code)
    return InternalServerError("An error occurred on the server side.")
