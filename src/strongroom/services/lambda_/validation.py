"""Lambda's parameter rules beyond the model's constraints: runtimes, roles, limits, environment, packages."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from typing import TYPE_CHECKING, Any

from strongroom.core.errors import AwsError
from strongroom.iam.directory import Directory
from strongroom.services.lambda_.errors import InvalidParameterValueException

if TYPE_CHECKING:
    from strongroom.services.base.runtime import ServiceRuntime

MAX_TIMEOUT = 900
MAX_MEMORY = 10240
ENV_MAX_BYTES = 4096
UNZIPPED_MAX = 262_144_000
ROLE_NOT_ASSUMABLE = "The role defined for the function cannot be assumed by Lambda."

# Python runtimes AWS no longer accepts for new or updated functions.
DEPRECATED_PYTHON = frozenset({"python2.7", "python3.6", "python3.7", "python3.8"})
NEWEST_PYTHON = "python3.13"

# Variables the Lambda runtime sets itself (AWS's "reserved environment variables").
RESERVED_ENV = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)


def _limit(field: str, value: int, maximum: int) -> None:
    if value > maximum:
        raise AwsError(
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
            f"Member must have value less than or equal to {maximum}",
            code="ValidationException",
            status=400,
        )


def check_limits(request: dict[str, Any]) -> None:
    if "Timeout" in request:
        _limit("timeout", int(request["Timeout"]), MAX_TIMEOUT)
    if "MemorySize" in request:
        _limit("memorySize", int(request["MemorySize"]), MAX_MEMORY)


def check_runtime(runtime_name: str) -> None:
    if runtime_name in DEPRECATED_PYTHON:
        raise InvalidParameterValueException(
            f"The runtime parameter of {runtime_name} is no longer supported for creating or updating AWS Lambda "
            f"functions. We recommend you use the new runtime ({NEWEST_PYTHON}) while creating or updating functions."
        )
    if not re.fullmatch(r"python3\.\d+", runtime_name):
        raise InvalidParameterValueException(
            f"The runtime parameter of {runtime_name} is not supported by Strongroom: "
            "only python3.x functions run here (on the server's own Python interpreter)."
        )


def check_role(runtime: ServiceRuntime, account_id: str, role_arn: str) -> None:
    """The role must exist in the function's account and trust ``lambda.amazonaws.com``, as AWS checks."""
    parts = role_arn.split(":", 5)
    if len(parts) != 6 or parts[4] != account_id:
        raise InvalidParameterValueException(ROLE_NOT_ASSUMABLE)
    role = Directory(runtime.store).role_by_arn(role_arn)
    if role is None or not trusts_lambda(role.assume_role_policy):
        raise InvalidParameterValueException(ROLE_NOT_ASSUMABLE)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def trusts_lambda(document: str) -> bool:
    """An Allow for ``sts:AssumeRole`` to the Lambda service principal (or ``*``), and no matching Deny."""
    try:
        policy = json.loads(document)
    except ValueError:
        return False
    allowed = False
    for st in _as_list(policy.get("Statement") if isinstance(policy, dict) else None):
        if not isinstance(st, dict):
            continue
        actions = [str(a).lower() for a in _as_list(st.get("Action"))]
        if not any(a in ("sts:assumerole", "sts:*", "*") for a in actions):
            continue
        principal = st.get("Principal")
        services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
        if principal != "*" and "lambda.amazonaws.com" not in services:
            continue
        if st.get("Effect") == "Deny":
            return False
        allowed = allowed or st.get("Effect") == "Allow"
    return allowed


def check_environment(environment: dict[str, Any] | None) -> dict[str, str] | None:
    if environment is None:
        return None
    variables: dict[str, str] = dict(environment.get("Variables") or {})
    reserved = sorted(k for k in variables if k in RESERVED_ENV)
    if reserved:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the environment variables you have "
            "provided contains reserved keys that are currently not supported for modification. "
            f"Reserved keys used in this request: {', '.join(reserved)}"
        )
    size = len(json.dumps(variables, separators=(",", ":")).encode())
    if size > ENV_MAX_BYTES:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the environment variables you have "
            f"provided exceeded the 4KB limit. String measured: {size} bytes"
        )
    return variables


def check_code(code: dict[str, Any]) -> bytes:
    """The ZipFile of a Code / UpdateFunctionCode request, checked to be a readable zip within AWS's limits."""
    if code.get("S3Bucket") or code.get("S3Key") or code.get("ImageUri"):
        raise InvalidParameterValueException(
            "Strongroom accepts function code only as ZipFile: it has no S3 or container registry to read from."
        )
    data = code.get("ZipFile")
    if not data:
        raise InvalidParameterValueException("Please provide a source for function code.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
            if archive.testzip() is not None:
                raise zipfile.BadZipFile("corrupt member")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise InvalidParameterValueException(
            "Could not unzip uploaded file. Please check your file, then try to upload again."
        ) from None
    if total > UNZIPPED_MAX:
        raise InvalidParameterValueException(f"Unzipped size must be smaller than {UNZIPPED_MAX} bytes")
    return bytes(data)


def code_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_UNSUPPORTED_CONFIG = ("VpcConfig", "Layers", "FileSystemConfigs", "KMSKeyArn", "ImageConfig", "DeadLetterConfig")


def check_unsupported(request: dict[str, Any]) -> None:
    """Settings that need infrastructure Strongroom has not: refused unless empty, rather than silently ignored."""
    for name in _UNSUPPORTED_CONFIG:
        value = request.get(name)
        if value and (not isinstance(value, dict) or any(v for v in value.values())):
            raise InvalidParameterValueException(f"Strongroom's Lambda does not support {name}.")
    if request.get("PackageType", "Zip") != "Zip":
        raise InvalidParameterValueException("Strongroom's Lambda runs only Zip packages (PackageType Zip).")
