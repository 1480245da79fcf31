"""What the data plane reads: a read-only API over the control plane's tables (no writes, no AWS errors).

The data plane (invoking REST APIs) resolves a request in this order, each step one or two point reads:

- ``find_domain(store, region, host)``: a custom domain name (``region``'s first, then any region's) and its base
  path mappings, or None; then
  ``DomainRoute.match(path)`` picks the mapping (longest base path first, ``(none)`` last) and the rest of the path.
- ``find_api(store, api_id)``: the REST API (account, region, endpoint types, whether the execute-api endpoint is
  disabled, its resource policy) for ``{api_id}.execute-api.{region}.amazonaws.com`` hosts.
- ``load_stage(store, api_id, stage)``: the stage joined with its API, and its deployment's snapshot
  (``snapshot["resources"]``: every resource with ``path``, ``pathPart`` and ``resourceMethods`` (method,
  ``methodResponses``, ``methodIntegration`` with ``integrationResponses``), as GetResource ``embed=methods``
  answers them; ``authorizers``, ``requestValidators``, ``models``, ``gatewayResponses`` (only those put; the
  defaults are ``apiparts.GATEWAY_RESPONSE_STATUS``); ``api``: the API's settings when it was deployed).
  ``StageConfig.method_setting(path, verb)`` merges the ``*/*`` settings with the method's own.
- ``find_client_certificate(store, id)``: the certificate a stage presents to HTTP backends (PEM, sealed key).
- ``find_api_key(store, value)``: the key a client presents in ``x-api-key`` (by SHA-256 digest; the value itself is
  never compared in SQL nor unsealed here) and ``stage_usage_plans(store, api_id, stage)``: the usage plans that
  cover the stage, with the ids of their keys.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.services.apigateway.keys import value_digest
from strongroom.services.apigateway.model import (
    api_keys,
    base_path_mappings,
    client_certificates,
    deployments,
    domain_names,
    rest_apis,
    stages,
    usage_plan_keys,
    usage_plans,
)

if TYPE_CHECKING:
    from strongroom.store.engine import Store

Doc = dict[str, Any]


def _loads(text: str | None) -> Doc:
    return dict(json.loads(text)) if text else {}


@dataclass(frozen=True, slots=True)
class ApiRecord:
    id: str
    account_id: str
    region: str
    name: str
    endpoint_types: tuple[str, ...]
    disable_execute_api_endpoint: bool
    policy: str | None
    doc: Doc  # the API's stored document (apiKeySource, binaryMediaTypes, minimumCompressionSize, ...)


@dataclass(frozen=True, slots=True)
class StageConfig:
    api: ApiRecord
    stage_name: str
    deployment_id: str
    variables: dict[str, str]
    method_settings: dict[str, Doc]
    access_log_settings: Doc | None
    tracing_enabled: bool
    client_certificate_id: str | None  # presented to HTTP backends: find_client_certificate()
    snapshot: Doc

    def method_setting(self, resource_path: str, verb: str) -> Doc:
        """The settings that apply to one method: ``*/*`` overlaid with ``path/VERB`` (path without leading /)."""
        merged = dict(self.method_settings.get("*/*") or {})
        merged.update(self.method_settings.get(f"{resource_path.lstrip('/')}/{verb}") or {})
        return merged

    def resources(self) -> list[Doc]:
        return list(self.snapshot.get("resources") or [])


@dataclass(frozen=True, slots=True)
class Mapping:
    base_path: str  # "(none)" for the root
    api_id: str
    stage: str | None


@dataclass(frozen=True, slots=True)
class DomainRoute:
    name: str
    account_id: str
    region: str
    doc: Doc  # the DomainName document (endpointConfiguration, securityPolicy, mutualTlsAuthentication, ...)
    mappings: tuple[Mapping, ...] = field(default_factory=tuple)

    def match(self, path: str) -> tuple[Mapping, str] | None:
        """The mapping a request path selects and the path left for the API (``/v1/pets`` -> (v1, ``/pets``))."""
        trimmed = path.lstrip("/")
        named = sorted((m for m in self.mappings if m.base_path != "(none)"), key=lambda m: -len(m.base_path))
        for mapping in named:
            if trimmed == mapping.base_path or trimmed.startswith(mapping.base_path + "/"):
                return mapping, "/" + trimmed[len(mapping.base_path) :].lstrip("/")
        for mapping in self.mappings:
            if mapping.base_path == "(none)":
                return mapping, "/" + trimmed
        return None


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    id: str
    account_id: str
    region: str
    enabled: bool
    stage_keys: tuple[str, ...]  # "apiId/stage"
    usage_plan_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UsagePlanRecord:
    id: str
    throttle: Doc | None  # burstLimit, rateLimit
    quota: Doc | None  # limit, offset, period
    method_throttle: dict[str, Doc]  # "/pets/GET" -> burstLimit, rateLimit (this stage's)
    key_ids: tuple[str, ...]
    created_at: datetime | None = None  # the quota's ``offset`` applies to the period the plan was created in


def _api_record(row: Any) -> ApiRecord:
    doc = _loads(row.doc)
    return ApiRecord(
        id=row.id,
        account_id=row.account_id,
        region=row.region,
        name=row.name,
        endpoint_types=tuple((doc.get("endpointConfiguration") or {}).get("types") or ("EDGE",)),
        disable_execute_api_endpoint=bool(doc.get("disableExecuteApiEndpoint", False)),
        policy=doc.get("policy"),
        doc=doc,
    )


def find_api(store: Store, api_id: str) -> ApiRecord | None:
    with store.read() as conn:
        row = conn.execute(select(rest_apis).where(rest_apis.c.id == api_id)).one_or_none()
    return None if row is None else _api_record(row)


def load_stage(store: Store, api_id: str, stage_name: str) -> StageConfig | None:
    """The stage, its API and its deployment's snapshot (two queries), or None when any is missing."""
    with store.read() as conn:
        row = conn.execute(
            select(
                rest_apis,
                stages.c.deployment_id,
                stages.c.doc.label("stage_doc"),
            )
            .join(stages, stages.c.api_id == rest_apis.c.id)
            .where(rest_apis.c.id == api_id, stages.c.name == stage_name)
        ).one_or_none()
        if row is None:
            return None
        snapshot = conn.execute(
            select(deployments.c.snapshot).where(deployments.c.api_id == api_id, deployments.c.id == row.deployment_id)
        ).scalar_one_or_none()
    if snapshot is None:
        return None
    stage = _loads(row.stage_doc)
    return StageConfig(
        api=_api_record(row),
        stage_name=stage_name,
        deployment_id=row.deployment_id,
        variables=dict(stage.get("variables") or {}),
        method_settings=dict(stage.get("methodSettings") or {}),
        access_log_settings=stage.get("accessLogSettings"),
        tracing_enabled=bool(stage.get("tracingEnabled", False)),
        client_certificate_id=stage.get("clientCertificateId"),
        snapshot=_loads(snapshot),
    )


def find_domain(store: Store, region: str, host: str) -> DomainRoute | None:
    """The custom domain a Host names, in any region: ``region``'s own record first, then the first region in sort
    order (the Host does not say which region a regional domain lives in; on AWS DNS decides)."""
    name = host.split(":", 1)[0].lower().rstrip(".")
    with store.read() as conn:
        rows = conn.execute(select(domain_names).where(domain_names.c.name == name)).all()
        if not rows:
            return None
        row = min(rows, key=lambda r: (r.region != region, r.region))
        mapped = conn.execute(
            select(base_path_mappings).where(
                base_path_mappings.c.region == row.region, base_path_mappings.c.domain_name == name
            )
        ).all()
    return DomainRoute(
        name=name,
        account_id=row.account_id,
        region=row.region,
        doc=_loads(row.doc),
        mappings=tuple(Mapping(m.base_path, m.api_id, m.stage) for m in mapped),
    )


@dataclass(frozen=True, slots=True)
class ClientCertificateRecord:
    id: str
    account_id: str
    certificate_pem: str
    # The PKCS#8 DER private key, sealed: ``runtime.seal.unwrap(sealed_key, model.client_certificate_key_aad(id))``.
    sealed_key: bytes


def find_client_certificate(store: Store, certificate_id: str) -> ClientCertificateRecord | None:
    with store.read() as conn:
        row = conn.execute(select(client_certificates).where(client_certificates.c.id == certificate_id)).one_or_none()
    if row is None:
        return None
    return ClientCertificateRecord(row.id, row.account_id, row.certificate, bytes(row.sealed_key))


def find_api_key(store: Store, value: str, account_id: str, region: str) -> ApiKeyRecord | None:
    with store.read() as conn:
        row = conn.execute(
            select(api_keys).where(
                api_keys.c.value_digest == value_digest(value),
                api_keys.c.account_id == account_id,
                api_keys.c.region == region,
            )
        ).one_or_none()
        if row is None:
            return None
        plans = conn.execute(select(usage_plan_keys.c.plan_id).where(usage_plan_keys.c.key_id == row.id)).scalars()
        plan_ids = tuple(sorted(plans))
    doc = _loads(row.doc)
    return ApiKeyRecord(
        id=row.id,
        account_id=row.account_id,
        region=row.region,
        enabled=bool(doc.get("enabled", False)),
        stage_keys=tuple(doc.get("stageKeys") or ()),
        usage_plan_ids=plan_ids,
    )


def stage_usage_plans(store: Store, api_id: str, stage_name: str) -> list[UsagePlanRecord]:
    """The usage plans of the API's account that name this stage, with their keys."""
    with store.read() as conn:
        api = conn.execute(select(rest_apis.c.account_id, rest_apis.c.region).where(rest_apis.c.id == api_id)).first()
        if api is None:
            return []
        rows = conn.execute(
            select(usage_plans).where(usage_plans.c.account_id == api.account_id, usage_plans.c.region == api.region)
        ).all()
        found: list[UsagePlanRecord] = []
        for row in rows:
            doc = _loads(row.doc)
            entry = next(
                (s for s in doc.get("apiStages") or [] if s.get("apiId") == api_id and s.get("stage") == stage_name),
                None,
            )
            if entry is None:
                continue
            keys = conn.execute(select(usage_plan_keys.c.key_id).where(usage_plan_keys.c.plan_id == row.id)).scalars()
            found.append(
                UsagePlanRecord(
                    id=row.id,
                    throttle=doc.get("throttle"),
                    quota=doc.get("quota"),
                    method_throttle=dict(entry.get("throttle") or {}),
                    key_ids=tuple(sorted(keys)),
                    created_at=row.created_at,
                )
            )
    return found
