"""The services Strongroom speaks, as botocore models them, indexed the ways a request names them.

A service's model is loaded by the first request (or call) that needs it, not when the server starts: the models
(eighteen of them then) held ~29 MB in every server process, most of it for services a deployment never calls (S3
and S3 Control alone ~5 MB). What routing must know before any model is loaded (the signing name, the
``X-Amz-Target`` prefix and the protocols) is written out in ``WIRING``; tests/unit/test_protocol_catalog.py checks
it against the models.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from urllib.parse import unquote

import botocore.session
from botocore.model import OperationModel, ServiceModel

SUPPORTED_PROTOCOLS = ("json", "rest-json", "query", "smithy-rpc-v2-cbor", "rest-xml")


@dataclass(frozen=True, slots=True)
class Wiring:
    """What routing reads of a service's model: its SigV4 signing name, ``targetPrefix`` and supported protocols."""

    signing_name: str
    target_prefix: str | None
    protocols: tuple[str, ...]


WIRING: dict[str, Wiring] = {
    "kms": Wiring("kms", "TrentService", ("json",)),
    "sts": Wiring("sts", None, ("query",)),
    "iam": Wiring("iam", None, ("query",)),
    "cloudtrail": Wiring("cloudtrail", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101", ("json",)),
    "events": Wiring("events", "AWSEvents", ("json",)),
    "ssm": Wiring("ssm", "AmazonSSM", ("json",)),
    "secretsmanager": Wiring("secretsmanager", "secretsmanager", ("json",)),
    "lambda": Wiring("lambda", None, ("rest-json",)),
    "apigateway": Wiring("apigateway", None, ("rest-json",)),
    "acm": Wiring("acm", "CertificateManager", ("json",)),
    "acm-pca": Wiring("acm-pca", "ACMPrivateCA", ("smithy-rpc-v2-cbor", "json")),
    "wafv2": Wiring("wafv2", "AWSWAF_20190729", ("json",)),
    "shield": Wiring("shield", "AWSShield_20160616", ("smithy-rpc-v2-cbor", "json")),
    "fms": Wiring("fms", "AWSFMS_20180101", ("smithy-rpc-v2-cbor", "json")),
    "guardduty": Wiring("guardduty", None, ("rest-json",)),
    "inspector2": Wiring("inspector2", None, ("rest-json",)),
    "inspector-scan": Wiring("inspector-scan", None, ("rest-json",)),
    "macie2": Wiring("macie2", None, ("rest-json",)),
    "s3": Wiring("s3", None, ("rest-xml",)),
    "s3control": Wiring("s3", None, ("rest-xml",)),  # S3 Control signs as "s3"; the router tells it by its path
    "logs": Wiring("logs", "Logs_20140328", ("json",)),
    "organizations": Wiring("organizations", "AWSOrganizationsV20161128", ("json",)),
}

WIRED_SERVICES: tuple[str, ...] = tuple(WIRING)


def signing_name(service: ServiceModel) -> str:
    return str(service.metadata.get("signingName") or service.metadata["endpointPrefix"])


def protocols_of(service: ServiceModel) -> list[str]:
    """Every protocol the service speaks; clients pick the first they support, so we accept all."""
    names = service.metadata.get("protocols") or [service.metadata["protocol"]]
    return [p for p in names if p in SUPPORTED_PROTOCOLS]


def wiring_of(service: ServiceModel) -> Wiring:
    """What routing needs of ``service``, read from its model."""
    return Wiring(signing_name(service), service.metadata.get("targetPrefix"), tuple(protocols_of(service)))


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
    """Answers which service and operation a request means; each service's model is loaded on first use.

    ``services`` maps every wired service name to its model: membership and iteration need no model, looking a
    service up loads its model (once, under a lock: the server's threads route requests concurrently, and the
    codecs and routes cache by model, so each service must have exactly one).
    """

    def __init__(self, names: tuple[str, ...] = WIRED_SERVICES) -> None:
        self._lock = threading.Lock()
        self._session: botocore.session.Session | None = None
        self._loaded: dict[str, ServiceModel] = {}
        # Called with a service's name once its model is loaded (the server freezes it out of the collector's sight)
        self.on_load: Callable[[str], None] | None = None
        self.services: Mapping[str, ServiceModel] = _Models(names, self._loaded, self._load)
        # A name outside WIRING (a test's own catalog) has its model read now, as every model once was.
        self._wiring = {n: WIRING.get(n) or wiring_of(self._load(n)) for n in names}
        self._by_target: dict[str, str] = {}
        self._by_signing: dict[str, str] = {}
        for name, wiring in self._wiring.items():
            if wiring.target_prefix:
                self._by_target[wiring.target_prefix] = name
            self._by_signing.setdefault(wiring.signing_name, name)
        self._uris: dict[str, list[UriTemplate]] = {}

    def _load(self, name: str) -> ServiceModel:
        with self._lock:
            model = self._loaded.get(name)
            if model is None:
                if self._session is None:
                    self._session = botocore.session.get_session()
                model = self._session.get_service_model(name)
                self._loaded[name] = model
                if self.on_load is not None:
                    self.on_load(name)
            return model

    def loaded(self) -> list[str]:
        """The services whose models have been loaded so far."""
        return list(self._loaded)

    def service(self, name: str) -> ServiceModel:
        return self.services[name]

    def by_target_prefix(self, prefix: str) -> ServiceModel | None:
        name = self._by_target.get(prefix)
        return None if name is None else self.services[name]

    def by_signing_name(self, name: str) -> ServiceModel | None:
        service = self._by_signing.get(name)
        return None if service is None else self.services[service]

    def match_rest(
        self, service: ServiceModel, method: str, path: str, query: dict[str, str]
    ) -> tuple[OperationModel, dict[str, str]] | None:
        for template in self._templates(service):
            labels = template.match(method, path, query)
            if labels is not None:
                return service.operation_model(template.operation), labels
        return None

    def _templates(self, service: ServiceModel) -> list[UriTemplate]:
        """The service's ``requestUri`` templates, most specific first; compiled on its first rest request."""
        name = service.service_name
        templates = self._uris.get(name)
        if templates is not None:
            return templates
        wiring = self._wiring.get(name)
        protocols = wiring.protocols if wiring is not None else ()
        # S3's own routing (s3route.py) reads its templates; S3 Control and the rest-json services use these.
        if "rest-json" not in protocols and ("rest-xml" not in protocols or name == "s3"):
            return []
        with self._lock:
            templates = self._uris.get(name)
            if templates is None:
                templates = [compile_uri(service.operation_model(op)) for op in service.operation_names]
                # most specific first: longer literal text wins over labels
                templates.sort(key=lambda t: (-t.literal_length, len(t.labels)))
                self._uris[name] = templates
            return templates

    def query_services(self) -> list[ServiceModel]:
        return [self.services[n] for n, wiring in self._wiring.items() if "query" in wiring.protocols]


class _Models(Mapping[str, ServiceModel]):
    """Service name -> model, loading a model when it is first looked up; ``in`` and iteration load nothing."""

    def __init__(
        self, names: tuple[str, ...], loaded: dict[str, ServiceModel], load: Callable[[str], ServiceModel]
    ) -> None:
        self._names = dict.fromkeys(names)
        self._loaded = loaded
        self._load = load

    def __getitem__(self, name: str) -> ServiceModel:
        model = self._loaded.get(name)  # loaded already: no lock on the request path
        if model is not None:
            return model
        if name not in self._names:
            raise KeyError(name)
        return self._load(name)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


@cache
def default_catalog() -> Catalog:
    return Catalog()
