"""Which service, operation and protocol a raw HTTP request means.

Requests name their service in different ways by protocol: ``X-Amz-Target`` (json), the smithy RPC v2
path (cbor), the SigV4 credential scope's signing name plus the ``requestUri`` templates (rest-json) or
the ``Action`` parameter (query). Errors found here are answered in the protocol the request used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from botocore.model import OperationModel, ServiceModel

from strongroom.core.errors import AwsError
from strongroom.protocol.catalog import Catalog, protocols_of
from strongroom.protocol.http import HttpRequest
from strongroom.protocol.s3route import S3CONTROL_PREFIX, is_s3_request, resolve_s3

_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")
_SCOPE_QS = re.compile(r"^[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request$")
_RPC_V2 = re.compile(r"^/service/([^/]+)/operation/([^/?]+)$")
FORM = "application/x-www-form-urlencoded"


class RoutingError(AwsError):
    """The request names no operation we know; answered in ``protocol``."""

    def __init__(self, message: str, *, code: str, status: int, protocol: str, service: ServiceModel | None) -> None:
        super().__init__(message, code=code, status=status)
        self.protocol = protocol
        self.service = service


@dataclass(slots=True)
class Route:
    service: ServiceModel
    operation: OperationModel
    protocol: str
    scope_region: str | None = None
    labels: dict[str, str] = field(default_factory=dict)


def credential_scope(request: HttpRequest) -> tuple[str, str] | None:
    """(region, signing name) from the Authorization header or a presigned URL, if present."""
    auth = request.headers.get("authorization")
    if auth:
        m = _SCOPE.search(auth)
        return (m.group(1), m.group(2)) if m else None
    if "X-Amz-Credential" in request.query_string:
        for k, v in parse_qsl(request.query_string):
            if k == "X-Amz-Credential":
                m = _SCOPE_QS.match(v)
                return (m.group(1), m.group(2)) if m else None
    return None


def _form(request: HttpRequest) -> dict[str, str]:
    params = dict(parse_qsl(request.query_string, keep_blank_values=True))
    ctype = request.headers.get("content-type", "")
    if request.body and ctype.startswith(FORM):
        try:
            params.update(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            pass
    return params


def _operation(service: ServiceModel, name: str, protocol: str) -> OperationModel:
    if name in service.operation_names:
        return service.operation_model(name)
    if protocol == "query":
        raise RoutingError(
            f"Could not find operation {name} for version {service.api_version}",
            code="InvalidAction",
            status=400,
            protocol=protocol,
            service=service,
        )
    raise RoutingError("", code="UnknownOperationException", status=400, protocol=protocol, service=service)


def resolve(catalog: Catalog, request: HttpRequest) -> Route:
    scope = credential_scope(request)
    region = scope[0] if scope else None

    target = request.headers.get("x-amz-target")
    if target:
        prefix, _, op_name = target.rpartition(".")
        service = catalog.by_target_prefix(prefix)
        if service is None:
            raise RoutingError("", code="UnknownOperationException", status=400, protocol="json", service=None)
        ctype = request.headers.get("content-type", "")
        if not ctype.startswith("application/x-amz-json-") and not ctype.startswith("application/json"):
            raise RoutingError("", code="UnknownOperationException", status=404, protocol="json", service=service)
        return Route(service, _operation(service, op_name, "json"), "json", region)

    if request.headers.get("smithy-protocol") == "rpc-v2-cbor":
        m = _RPC_V2.match(request.path)
        service = catalog.by_target_prefix(m.group(1)) if m else None
        if m is None or service is None:
            raise RoutingError(
                "", code="UnknownOperationException", status=404, protocol="smithy-rpc-v2-cbor", service=None
            )
        return Route(service, _operation(service, m.group(2), "smithy-rpc-v2-cbor"), "smithy-rpc-v2-cbor", region)

    if "s3" in catalog.services and is_s3_request(request, scope[1] if scope else None):
        if request.path.startswith(S3CONTROL_PREFIX) and "s3control" in catalog.services:
            # S3 Control signs as "s3" too; its paths are its own (its host names the account, not a bucket)
            control = catalog.service("s3control")
            matched = catalog.match_rest(control, request.method, request.path, dict(parse_qsl(request.query_string)))
            if matched is None:
                raise RoutingError(
                    "The specified method is not allowed against this resource.",
                    code="MethodNotAllowed",
                    status=405,
                    protocol="rest-xml",
                    service=control,
                )
            return Route(control, matched[0], "rest-xml", region, matched[1])
        s3 = catalog.service("s3")
        s3_target = resolve_s3(s3, request)
        if s3_target is None:
            raise RoutingError(
                "The specified method is not allowed against this resource.",
                code="MethodNotAllowed",
                status=405,
                protocol="rest-xml",
                service=s3,
            )
        return Route(s3, s3_target.operation, "rest-xml", region, s3_target.labels)

    signed_service = catalog.by_signing_name(scope[1]) if scope else None
    if signed_service is not None and "rest-json" in protocols_of(signed_service):
        query = dict(parse_qsl(request.query_string, keep_blank_values=True))
        found = catalog.match_rest(signed_service, request.method, request.path, query)
        if found is None:
            raise RoutingError(
                f"No operation matches {request.method} {request.path}",
                code="UnknownOperationException",
                status=404,
                protocol="rest-json",
                service=signed_service,
            )
        operation, labels = found
        return Route(signed_service, operation, "rest-json", region, labels)

    action = _form(request).get("Action")
    if action is not None:
        if signed_service is not None and "query" in protocols_of(signed_service):
            return Route(signed_service, _operation(signed_service, action, "query"), "query", region)
        for service in catalog.query_services():
            if action in service.operation_names:
                return Route(service, service.operation_model(action), "query", region)
        raise RoutingError(
            f"Could not find operation {action}", code="InvalidAction", status=400, protocol="query", service=None
        )

    protocol = protocols_of(signed_service)[0] if signed_service is not None else "json"
    raise RoutingError("", code="UnknownOperationException", status=400, protocol=protocol, service=signed_service)
