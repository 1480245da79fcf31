"""Which S3 operation a request means: S3 shares the server's port, and its requests are told apart by headers alone.

A request is S3's when its signature names the ``s3`` service (SigV4 header or presigned URL), when it is signed the
S3 SigV2 way (``Authorization: AWS ...`` or ``?AWSAccessKeyId=``), when its ``Host`` names a bucket
(virtual-hosted style), or when it is anonymous and shaped like no other protocol's request (no
``X-Amz-Target``, no ``Action``, no form body): S3 is the only served API that answers anonymous callers, when
a bucket policy lets them. All of this is decided before the body is read, so S3 bodies can stream.

The operation comes from botocore's ``requestUri`` templates, with two differences: the ``x-id`` query parameter
botocore adds is a hint, not a requirement (presigned URLs made elsewhere, curl and SigV2 clients do not send it),
and where S3 serves several operations on one method and path the query members and headers decide, as S3 does
(``PUT /b/k`` with ``x-amz-copy-source`` is CopyObject; with ``uploadId`` and ``partNumber``, UploadPart).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import parse_qsl, unquote

from botocore.model import OperationModel, ServiceModel

from strongroom.protocol.catalog import UriTemplate, compile_uri
from strongroom.protocol.http import HttpRequest

FORM = "application/x-www-form-urlencoded"
S3CONTROL_PREFIX = "/v20180820/"  # every S3 Control request path (its model's requestUris)
# bucket.s3.<anything>, bucket.s3-<region>.<anything>, bucket.s3.<region>.<anything>, bucket.localhost
_VIRTUAL_S3 = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])\.s3(?:[.-][a-z0-9.\-]*)?$")
_VIRTUAL_LOCALHOST = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])\.localhost$")


def virtual_bucket(request: HttpRequest) -> str | None:
    """The bucket a virtual-hosted-style ``Host`` names (``bucket.s3.example``, ``bucket.localhost``), or None.

    An S3 Control request's host names its account, not a bucket."""
    if request.path.startswith(S3CONTROL_PREFIX):
        return None
    host = request.headers.get("host", "")
    if host.startswith("["):  # an IPv6 literal never names a bucket
        return None
    host = host.rsplit(":", 1)[0].lower() if ":" in host else host.lower()
    if host.startswith("s3.") or host.startswith("s3-"):
        return None
    for pattern in (_VIRTUAL_S3, _VIRTUAL_LOCALHOST):
        m = pattern.match(host)
        if m is not None:
            bucket = m.group("bucket")
            # "bucket.s3.amazonaws.com" minus the service part must still be a bucket name, not an IP address
            if not re.fullmatch(r"[\d.]+", bucket):
                return bucket
    return None


def is_s3_request(request: HttpRequest, signed_service: str | None) -> bool:
    """Whether the request is meant for S3 (see the module docstring); ``signed_service`` is its SigV4 scope's."""
    if signed_service is not None:
        return signed_service == "s3"
    auth = request.headers.get("authorization")
    if auth is not None:
        return auth.startswith("AWS ")
    qs = request.query_string
    if "AWSAccessKeyId=" in qs:
        return True
    if virtual_bucket(request) is not None:
        return True
    if "x-amz-target" in request.headers or request.headers.get("smithy-protocol"):
        return False
    return not (request.headers.get("content-type", "").startswith(FORM) or "Action=" in qs)


@dataclass(frozen=True, slots=True)
class S3Target:
    operation: OperationModel
    labels: dict[str, str]
    path: str  # the path-style path (``/bucket/key``), whichever addressing style the request used


def _without_x_id(operation: OperationModel) -> UriTemplate:
    template = compile_uri(operation)
    required = tuple((k, v) for k, v in template.required_query if k != "x-id")
    literal = template.literal_length - 100 * (len(template.required_query) - len(required))
    return UriTemplate(
        template.method, template.regex, template.labels, template.greedy, required, literal, template.operation
    )


@cache
def _templates(service: ServiceModel) -> tuple[UriTemplate, ...]:
    found = [_without_x_id(service.operation_model(name)) for name in service.operation_names]
    found.sort(key=lambda t: (-t.literal_length, len(t.labels)))
    return tuple(found)


# Operations S3 no longer answers the old way, or serves only on other endpoints: never chosen by a path.
_NOT_ROUTED = frozenset(
    {
        "GetBucketLifecycle",
        "PutBucketLifecycle",
        "GetBucketNotification",
        "PutBucketNotification",
        "ListDirectoryBuckets",
        "CreateSession",
    }
)
# Subresources whose Get and List share a path: with ``id`` it is the Get.
_ID_SELECTS = {
    "ListBucketAnalyticsConfigurations": "GetBucketAnalyticsConfiguration",
    "ListBucketIntelligentTieringConfigurations": "GetBucketIntelligentTieringConfiguration",
    "ListBucketInventoryConfigurations": "GetBucketInventoryConfiguration",
    "ListBucketMetricsConfigurations": "GetBucketMetricsConfiguration",
}


def _choose(candidates: list[str], method: str, query: dict[str, str], request: HttpRequest) -> str:
    """Among operations sharing a method and path, the one this request means (S3's rules)."""
    names = set(candidates)
    copy = "x-amz-copy-source" in request.headers
    if {"PutObject", "UploadPart"} <= names:
        if "uploadId" in query and "partNumber" in query:
            return "UploadPartCopy" if copy else "UploadPart"
        return "CopyObject" if copy else "PutObject"
    if {"GetObject", "ListParts"} <= names:
        return "ListParts" if "uploadId" in query else "GetObject"
    if {"DeleteObject", "AbortMultipartUpload"} <= names:
        return "AbortMultipartUpload" if "uploadId" in query else "DeleteObject"
    for listing, getter in _ID_SELECTS.items():
        if {listing, getter} <= names:
            return getter if "id" in query else listing
    if {"GetObjectAnnotation", "ListObjectAnnotations"} <= names:
        return "GetObjectAnnotation" if "annotationName" in query else "ListObjectAnnotations"
    return candidates[0]


def resolve_s3(service: ServiceModel, request: HttpRequest) -> S3Target | None:
    """The S3 operation and its URI labels (``Bucket``, ``Key``), or None when no operation has this shape."""
    path = request.path or "/"
    bucket = virtual_bucket(request)
    if bucket is not None:
        path = f"/{bucket}{path}" if path != "/" else f"/{bucket}"
    # "/bucket/" is the bucket: a key is never empty
    parts = path.split("/", 2)
    if len(parts) == 3 and parts[2] == "":
        path = f"/{parts[1]}"
    query = dict(parse_qsl(request.query_string, keep_blank_values=True))
    method = request.method.upper()
    shape = 0 if path == "/" else (1 if path.count("/") == 1 else 2)
    valued, named = _query_keys(service)
    facts = frozenset((k, v if k in valued else "") for k, v in query.items() if k in named)
    memo = (service.service_name, method, shape, facts, "x-amz-copy-source" in request.headers)
    name = _chosen.get(memo)
    if name is not None:
        template = _by_name(service)[name]
        labels = template.match(method, path, query)
        if labels is not None:
            return S3Target(service.operation_model(name), labels, path)
    found = _match(service, request, method, path, query)
    if found is not None:
        if len(_chosen) > 4096:
            _chosen.clear()
        _chosen[memo] = found.operation.name
    return found


# (service, method, path shape, the query members that decide, copy source?) -> operation: a request's operation
# depends on nothing else, so the scan over every template runs once per shape of request.
_chosen: dict[tuple[object, ...], str] = {}


@cache
def _query_keys(service: ServiceModel) -> tuple[frozenset[str], frozenset[str]]:
    """(query members whose value a template fixes, every query member that takes part in choosing)."""
    valued = {k for t in _templates(service) for k, v in t.required_query if v is not None}
    named = {k for t in _templates(service) for k, _ in t.required_query}
    return frozenset(valued), frozenset(named | {"uploadId", "partNumber", "id", "annotationName", "x-id"})


@cache
def _by_name(service: ServiceModel) -> dict[str, UriTemplate]:
    return {t.operation: t for t in _templates(service)}


def _match(
    service: ServiceModel, request: HttpRequest, method: str, path: str, query: dict[str, str]
) -> S3Target | None:
    matches: list[tuple[UriTemplate, dict[str, str]]] = []
    for template in _templates(service):
        if template.operation in _NOT_ROUTED:
            continue
        labels = template.match(method, path, query)
        if labels is None:
            continue
        if matches and (template.literal_length, len(template.labels)) != (
            matches[0][0].literal_length,
            len(matches[0][0].labels),
        ):
            break
        matches.append((template, labels))
    if not matches:
        return None
    hint = query.get("x-id")
    names = [t.operation for t, _ in matches]
    name = hint if hint in names else _choose(names, method, query, request)
    labels = next(lbl for t, lbl in matches if t.operation == name)
    return S3Target(service.operation_model(name), labels, path)


def bucket_and_key(path: str) -> tuple[str | None, str | None]:
    """(bucket, key) of a path-style path, percent-decoded; None where absent."""
    parts = path.split("/", 2)
    bucket = unquote(parts[1]) if len(parts) > 1 and parts[1] else None
    key = unquote(parts[2]) if len(parts) > 2 and parts[2] else None
    return bucket, key
