"""The services Strongroom speaks, as botocore models them, indexed the ways a request names them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import unquote

import botocore.session
from botocore.model import OperationModel, ServiceModel

WIRED_SERVICES: tuple[str, ...] = (
    "kms",
    "sts",
    "iam",
    "cloudtrail",
    "events",
    "ssm",
    "secretsmanager",
    "lambda",
    "acm",
    "acm-pca",
    "wafv2",
    "shield",
    "fms",
    "guardduty",
    "inspector2",
    "macie2",
    "s3",
    "s3control",
)

SUPPORTED_PROTOCOLS = ("json", "rest-json", "query", "smithy-rpc-v2-cbor", "rest-xml")


def signing_name(service: ServiceModel) -> str:
    return str(service.metadata.get("signingName") or service.metadata["endpointPrefix"])


def protocols_of(service: ServiceModel) -> list[str]:
    """Every protocol the service speaks; clients pick the first they support, so we accept all."""
    names = service.metadata.get("protocols") or [service.metadata["protocol"]]
    return [p for p in names if p in SUPPORTED_PROTOCOLS]


@dataclass(frozen=True, slots=True)
class UriTemplate:
    """A rest-json ``requestUri`` compiled to a regex over the raw (percent-encoded) path."""

    method: str
    regex: re.Pattern[str]
    labels: tuple[str, ...]
    greedy: frozenset[str]
    required_query: tuple[tuple[str, str | None], ...]
    literal_length: int
    operation: str

    def match(self, method: str, path: str, query: dict[str, str]) -> dict[str, str] | None:
        if method != self.method:
            return None
        m = self.regex.fullmatch(path)
        if m is None:
            return None
        for name, value in self.required_query:
            if name not in query or (value is not None and query[name] != value):
                return None
        return {label: unquote(m.group(i + 1)) for i, label in enumerate(self.labels)}


_LABEL = re.compile(r"\{([^}]+)\}")


def compile_uri(operation: OperationModel) -> UriTemplate:
    http = operation.http
    uri = http.get("requestUri", "/")
    path, _, query = uri.partition("?")
    labels: list[str] = []
    greedy: set[str] = set()
    pattern = ""
    pos = 0
    literal = 0
    for m in _LABEL.finditer(path):
        pattern += re.escape(path[pos : m.start()])
        literal += m.start() - pos
        name = m.group(1)
        if name.endswith("+"):
            name = name[:-1]
            greedy.add(name)
            pattern += "(.+)"
        else:
            pattern += "([^/]+)"
        labels.append(name)
        pos = m.end()
    pattern += re.escape(path[pos:])
    literal += len(path) - pos
    if path.endswith("/") and path != "/":
        pattern += "?"  # clients differ on the trailing slash
    required: list[tuple[str, str | None]] = []
    for part in filter(None, query.split("&")):
        k, eq, v = part.partition("=")
        required.append((k, v if eq else None))
    return UriTemplate(
        method=http.get("method", "POST"),
        regex=re.compile(pattern),
        labels=tuple(labels),
        greedy=frozenset(greedy),
        required_query=tuple(required),
        literal_length=literal + 100 * len(required),
        operation=operation.name,
    )


class Catalog:
    """Loads the models once and answers: which service and operation does this request mean?"""

    def __init__(self, names: tuple[str, ...] = WIRED_SERVICES) -> None:
        session = botocore.session.get_session()
        self.services: dict[str, ServiceModel] = {n: session.get_service_model(n) for n in names}
        self._by_target: dict[str, ServiceModel] = {}
        self._by_signing: dict[str, ServiceModel] = {}
        self._uris: dict[str, list[UriTemplate]] = {}
        for service in self.services.values():
            prefix = service.metadata.get("targetPrefix")
            if prefix:
                self._by_target[prefix] = service
            self._by_signing.setdefault(signing_name(service), service)
            if "rest-json" in protocols_of(service) or (
                "rest-xml" in protocols_of(service) and service.service_name != "s3"
            ):
                templates = [compile_uri(service.operation_model(op)) for op in service.operation_names]
                # most specific first: longer literal text wins over labels
                templates.sort(key=lambda t: (-t.literal_length, len(t.labels)))
                self._uris[service.service_name] = templates

    def service(self, name: str) -> ServiceModel:
        return self.services[name]

    def by_target_prefix(self, prefix: str) -> ServiceModel | None:
        return self._by_target.get(prefix)

    def by_signing_name(self, name: str) -> ServiceModel | None:
        return self._by_signing.get(name)

    def match_rest(
        self, service: ServiceModel, method: str, path: str, query: dict[str, str]
    ) -> tuple[OperationModel, dict[str, str]] | None:
        for template in self._uris.get(service.service_name, ()):
            labels = template.match(method, path, query)
            if labels is not None:
                return service.operation_model(template.operation), labels
        return None

    def query_services(self) -> list[ServiceModel]:
        return [s for s in self.services.values() if "query" in protocols_of(s)]


@cache
def default_catalog() -> Catalog:
    return Catalog()
