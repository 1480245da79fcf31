"""Functions as the operations read them: one ``FunctionRecord`` per (function, version) row."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, and_, select

from strongroom.services.lambda_ import model
from strongroom.services.lambda_.errors import InvalidParameterValueException, ResourceNotFoundException

if TYPE_CHECKING:
    from strongroom.keyring.seal import Seal

LATEST = "$LATEST"
_NAME = re.compile(r"[a-zA-Z0-9\-_]{1,64}")
_QUALIFIER = re.compile(r"\$LATEST|[a-zA-Z0-9\-_]{1,128}")


@dataclass(frozen=True, slots=True)
class FunctionRecord:
    account_id: str
    region: str
    name: str
    version: str
    arn: str  # unqualified
    runtime: str
    role: str
    handler: str
    description: str
    timeout: int
    memory_size: int
    environment: dict[str, str] | None
    code_sha256: str  # hex
    code_size: int
    revision_id: str
    last_modified: datetime
    policy: str | None

    @property
    def qualified_arn(self) -> str:
        return f"{self.arn}:{self.version}"

    @property
    def version_arn(self) -> str:
        """What FunctionArn shows: unqualified for $LATEST, qualified for a published version."""
        return self.arn if self.version == LATEST else self.qualified_arn


@dataclass(frozen=True, slots=True)
class FunctionRef:
    """A FunctionName parameter resolved: name, partial ARN or ARN, with or without a qualifier."""

    account_id: str
    region: str
    name: str
    qualifier: str | None

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.name}"

    def display(self, qualifier: str | None = None) -> str:
        q = qualifier if qualifier is not None else self.qualifier
        return f"{self.arn}:{q}" if q else self.arn


def function_arn(account_id: str, region: str, name: str) -> str:
    return f"arn:aws:lambda:{region}:{account_id}:function:{name}"


def parse_function_name(value: str, account_id: str, region: str, qualifier: str | None = None) -> FunctionRef:
    """Resolve ``name``, ``name:qualifier``, ``ACCOUNT:function:name[:q]`` or a full ARN, as AWS accepts them."""
    parts = value.split(":")
    acct, reg = account_id, region
    if value.startswith("arn:"):
        if len(parts) not in (7, 8) or parts[2] != "lambda" or parts[5] != "function":
            raise _bad_name(value)
        reg, acct, rest = parts[3], parts[4], parts[6:]
    elif len(parts) >= 3 and parts[1] == "function":
        acct, rest = parts[0], parts[2:]
    else:
        rest = parts
    if len(rest) not in (1, 2) or not _NAME.fullmatch(rest[0]) or not re.fullmatch(r"\d{12}", acct):
        raise _bad_name(value)
    derived = rest[1] if len(rest) == 2 else None
    if derived is not None and not _QUALIFIER.fullmatch(derived):
        raise _bad_name(value)
    if derived is not None and qualifier is not None and derived != qualifier:
        raise InvalidParameterValueException(
            "The derived qualifier from the function name does not match the specified qualifier."
        )
    if reg != region:
        raise InvalidParameterValueException(f"Functions from '{reg}' are not reachable in this region ('{region}')")
    return FunctionRef(acct, reg, rest[0], derived if derived is not None else qualifier)


def _bad_name(value: str) -> Exception:
    return InvalidParameterValueException(f"Invalid function name or ARN: {value}")


def not_found(display: str) -> Exception:
    return ResourceNotFoundException(f"Function not found: {display}")


env_aad = model.env_aad


def to_record(row: Row[Any], arn: str, seal: Seal) -> FunctionRecord:
    env = None
    if row.environment_sealed is not None:
        env = json.loads(seal.unwrap(row.environment_sealed, env_aad(arn, row.version)))
    return FunctionRecord(
        row.account_id,
        row.region,
        row.name,
        row.version,
        arn,
        row.runtime,
        row.role,
        row.handler,
        row.description,
        row.timeout,
        row.memory_size,
        env,
        row.code_sha256,
        row.code_size,
        row.revision_id,
        row.last_modified,
        row.policy,
    )


def version_key(ref: FunctionRef | FunctionRecord, version: str) -> Any:
    v = model.versions.c
    return and_(v.account_id == ref.account_id, v.region == ref.region, v.name == ref.name, v.version == version)


def function_key(ref: FunctionRef | FunctionRecord) -> Any:
    f = model.functions.c
    return and_(f.account_id == ref.account_id, f.region == ref.region, f.name == ref.name)


def load(conn: Connection, seal: Seal, ref: FunctionRef, qualifier: str | None = None) -> FunctionRecord:
    """The version ``qualifier`` (default: the ref's own, else $LATEST); ResourceNotFoundException as AWS words it."""
    version = qualifier or ref.qualifier or LATEST
    row = conn.execute(select(model.versions).where(version_key(ref, version))).first()
    if row is None:
        # an internal $LATEST lookup names the function as the caller did: unqualified
        shown = ref.qualifier if qualifier in (None, LATEST) else qualifier
        raise not_found(ref.display(shown))
    return to_record(row, ref.arn, seal)


def function_row(conn: Connection, ref: FunctionRef) -> Row[Any] | None:
    return conn.execute(select(model.functions).where(function_key(ref))).first()


def last_modified_text(moment: datetime) -> str:
    """AWS's LastModified string: ``2024-05-01T12:00:00.000+0000``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def sha256_b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


def configuration(record: FunctionRecord) -> dict[str, Any]:
    """FunctionConfiguration as GetFunctionConfiguration answers it."""
    out: dict[str, Any] = {
        "FunctionName": record.name,
        "FunctionArn": record.version_arn,
        "Runtime": record.runtime,
        "Role": record.role,
        "Handler": record.handler,
        "CodeSize": record.code_size,
        "Description": record.description,
        "Timeout": record.timeout,
        "MemorySize": record.memory_size,
        "LastModified": last_modified_text(record.last_modified),
        "CodeSha256": sha256_b64(record.code_sha256),
        "Version": record.version,
        "TracingConfig": {"Mode": "PassThrough"},
        "RevisionId": record.revision_id,
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": ["x86_64"],
        "EphemeralStorage": {"Size": 512},
        "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
        "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{record.name}"},
    }
    if record.environment is not None:
        out["Environment"] = {"Variables": dict(record.environment)}
    return out
