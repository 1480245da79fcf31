"""Public parameters (``/aws/service/...``) and Secrets Manager references (``/aws/reference/secretsmanager/...``).

Public parameters come from a small catalogue shipped with the package (``public_parameters.json``), extended
by the operator's file named by ``ssm_public_parameters_file`` in ``strongroom.toml``. They are read-only, the
same for every account, and carry account-less ARNs. ``{region}`` in a value stands for the caller's region.
"""

from __future__ import annotations

import base64
import json
import logging
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strongroom.core.errors import AwsError
from strongroom.services.ssm.errors import AccessDeniedException, ParameterNotFound, ValidationException
from strongroom.services.ssm.refs import Ref

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime

log = logging.getLogger("strongroom.ssm")

PUBLIC_PREFIX = "/aws/service/"
SECRET_PREFIX = "/aws/reference/secretsmanager/"
CATALOGUE_SETTING = "ssm_public_parameters_file"
_SECRET_FIELDS = frozenset({"SecretString", "SecretBinary"})  # SourceResult is not a sensitive member: never in it


def _entries(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    stamp = datetime.fromisoformat(str(document.get("LastModifiedDate", "2024-01-01T00:00:00Z")).replace("Z", "+00:00"))
    out: dict[str, dict[str, Any]] = {}
    for name, entry in (document.get("Parameters") or {}).items():
        if not str(name).startswith(PUBLIC_PREFIX):
            log.warning("public parameter %s ignored: public parameters live under %s", name, PUBLIC_PREFIX)
            continue
        item = entry if isinstance(entry, dict) else {"Value": entry}
        out[str(name)] = {
            "Value": str(item["Value"]),
            "Type": item.get("Type", "String"),
            "DataType": item.get("DataType", "text"),
            "Version": int(item.get("Version", 1)),
            "LastModifiedDate": stamp,
        }
    return out


def load_catalogue(extra_file: str | None) -> dict[str, dict[str, Any]]:
    builtin = json.loads(resources.files("strongroom.services.ssm").joinpath("public_parameters.json").read_text())
    catalogue = _entries(builtin)
    if extra_file:
        catalogue.update(_entries(json.loads(Path(extra_file).read_text())))
    return dict(sorted(catalogue.items()))


class PublicParameters:
    """The read-only parameters every account shares; a component of the provider (``SsmBase.public``)."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self._catalogue: dict[str, dict[str, Any]] | None = None

    @property
    def catalogue(self) -> dict[str, dict[str, Any]]:
        if self._catalogue is None:
            self._catalogue = load_catalogue(self.runtime.config.extra.get(CATALOGUE_SETTING))
        return self._catalogue

    @staticmethod
    def is_public(name: str) -> bool:
        return name.startswith(PUBLIC_PREFIX)

    @staticmethod
    def is_secret_reference(name: str) -> bool:
        return name.startswith(SECRET_PREFIX)

    def public_view(self, ctx: RequestContext, name: str, entry: dict[str, Any]) -> dict[str, Any]:
        return {
            "Name": name,
            "Type": entry["Type"],
            "Value": entry["Value"].replace("{region}", ctx.region),
            "Version": entry["Version"],
            "LastModifiedDate": entry["LastModifiedDate"],
            "ARN": f"arn:aws:ssm:{ctx.region}::parameter{name}",
            "DataType": entry["DataType"],
        }

    def public_parameter(self, ctx: RequestContext, ref: Ref) -> dict[str, Any]:
        entry = self.catalogue.get(ref.name)
        if entry is None or (ref.selector is not None and ref.selector != str(entry["Version"])):
            raise ParameterNotFound("")
        out = self.public_view(ctx, ref.name, entry)
        if ref.selector is not None:
            out["Selector"] = ":" + ref.selector
        return out

    def public_under(self, path: str, recursive: bool) -> list[str]:
        prefix = path.rstrip("/") + "/"
        return [n for n in self.catalogue if n.startswith(prefix) and (recursive or "/" not in n[len(prefix) :])]

    def secret_reference(self, ctx: RequestContext, ref: Ref, decrypt: bool) -> dict[str, Any]:
        """A Secrets Manager secret read through Parameter Store, as the caller, once Secrets Manager exists."""
        if not decrypt:
            raise ValidationException("WithDecryption flag must be True for retrieving a Secret Manager secret.")
        secret_id = ref.name[len(SECRET_PREFIX) :]
        if not secret_id or self.runtime.providers.provider("secretsmanager") is None:
            raise ParameterNotFound("")
        request: dict[str, Any] = {"SecretId": secret_id}
        if ref.selector is not None:
            looks_like_id = len(ref.selector) >= 32 and ref.selector.count("-") == 4
            request["VersionId" if looks_like_id else "VersionStage"] = ref.selector
        try:
            secret = ctx.call("secretsmanager", "GetSecretValue", request)
        except AwsError as exc:
            if exc.code == "AccessDeniedException":
                raise AccessDeniedException(exc.message) from None
            raise ParameterNotFound("") from None
        value = secret.get("SecretString")
        if value is None and secret.get("SecretBinary") is not None:
            value = base64.b64encode(bytes(secret["SecretBinary"])).decode()
        source = {
            k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in secret.items() if k not in _SECRET_FIELDS
        }
        out: dict[str, Any] = {
            "Name": ref.name,
            "Type": "SecureString",
            "Value": value or "",
            "Version": 0,
            "SourceResult": json.dumps(source),
            "LastModifiedDate": secret.get("CreatedDate") or ctx.now(),
            "ARN": secret.get("ARN", ""),
            "DataType": "text",
        }
        if ref.selector is not None:
            out["Selector"] = ":" + ref.selector
        return out
