"""Custom domain names and their base path mappings.

A domain name's certificate is an ACM certificate of the caller's account that is ISSUED, checked through ACM's own
API (``ctx.call("acm", "DescribeCertificate")``, as the caller: the caller needs ``acm:DescribeCertificate`` on
it, as on AWS where API Gateway reads it on the caller's behalf). Uploaded certificates (certificateBody &
co., deprecated on AWS) are refused.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update

from strongroom.core.errors import AwsError
from strongroom.services.apigateway import patch
from strongroom.services.apigateway.base import ApiGatewayBase, Doc, dumps, loads, new_id
from strongroom.services.apigateway.errors import BadRequestException, ConflictException, NotFoundException
from strongroom.services.apigateway.model import base_path_mappings, domain_names, stages

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from strongroom.services.base.runtime import RequestContext

_DOMAIN = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_BASE_PATH = re.compile(r"^[a-zA-Z0-9$\-_.+!*'()]+$")
_TRUSTSTORE = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+$")
NONE_PATH = "(none)"
SECURITY_POLICIES = ("TLS_1_0", "TLS_1_2")
# The Route 53 hosted zones AWS names for its regional endpoints and for CloudFront.
CLOUDFRONT_ZONE = "Z2FDTNDATAQYW2"
_REGIONAL_ZONES = {
    "us-east-1": "Z1UJRXOUMOOFQ8",
    "us-east-2": "ZOJJZC49E0EPZ",
    "us-west-1": "Z2MUQ32089INYE",
    "us-west-2": "Z2OJLYMUO9EFXC",
    "eu-west-1": "ZLY8HYME6SFDD",
    "eu-central-1": "Z1U9ULNL0V5AJ3",
}

DOMAIN_RULES = patch.Rules(
    [
        patch.rule("/certificateArn"),
        patch.rule("/regionalCertificateArn"),
        patch.rule("/securityPolicy"),
        patch.rule("/mutualTlsAuthentication/truststoreUri", member="mutualTlsAuthentication/truststoreUri"),
        patch.rule("/mutualTlsAuthentication/truststoreVersion", member="mutualTlsAuthentication/truststoreVersion"),
    ]
)
MAPPING_RULES = patch.Rules(
    [patch.rule("/basePath"), patch.rule("/restapiId", member="restApiId"), patch.rule("/stage")],
    listing="[/basePath, /restapiId, /stage]",
)


def domain_arn(region: str, name: str) -> str:
    return f"arn:aws:apigateway:{region}::/domainnames/{name}"


class DomainOperations(ApiGatewayBase):
    # -- certificates -------------------------------------------------------------------------------------------

    def check_certificate(self, ctx: RequestContext, arn: str, *, edge: bool) -> None:
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "acm" or not parts[5].startswith("certificate/"):
            raise BadRequestException(f"Invalid certificate ARN specified: {arn}")
        if edge and parts[3] != "us-east-1":
            raise BadRequestException(f"Invalid certificate ARN: {arn}. Certificate must be in 'us-east-1'.")
        if not edge and parts[3] != ctx.region:
            raise BadRequestException(f"Invalid certificate ARN: {arn}. Certificate must be in '{ctx.region}'.")
        if parts[4] != ctx.account_id:
            raise BadRequestException("The certificate provided must be owned by the account creating the domain.")
        try:
            detail = ctx.call("acm", "DescribeCertificate", {"CertificateArn": arn})["Certificate"]
        except AwsError as exc:
            if exc.code == "AccessDeniedException":
                raise
            raise BadRequestException("The provided certificate does not exist.") from None
        status = detail.get("Status")
        if status != "ISSUED":
            raise BadRequestException(f"Certificate {arn} is not ISSUED (status {status}); it cannot be used")

    # -- wire -----------------------------------------------------------------------------------------------------

    def domain_wire(self, conn: Connection, row: Any) -> Doc:
        doc = loads(row.doc)
        out: Doc = {"domainName": row.name, **doc}
        if "certificateUploadDate" in out:  # stored as epoch seconds in the JSON document
            out["certificateUploadDate"] = datetime.fromtimestamp(float(out["certificateUploadDate"]), UTC)
        out["domainNameArn"] = domain_arn(row.region, row.name)
        found = self.tags_of(conn, domain_arn(row.region, row.name))
        if found:
            out["tags"] = found
        return out

    def _domain_row(self, conn: Connection, ctx: RequestContext, name: str, *, lock: bool = False) -> Any:
        query = select(domain_names).where(domain_names.c.region == ctx.region, domain_names.c.name == name)
        row = conn.execute(query.with_for_update() if lock else query).one_or_none()
        if row is None or row.account_id != ctx.account_id:
            raise NotFoundException("Invalid domain name identifier specified")
        return row

    # -- DomainNames ----------------------------------------------------------------------------------------------

    def create_domain_name(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = str(request["domainName"]).lower().rstrip(".")
        if not name or not _DOMAIN.match(name):
            raise BadRequestException(f"Invalid domain name specified: {request['domainName']}")
        if any(request.get(k) for k in ("certificateBody", "certificatePrivateKey", "certificateChain")):
            raise BadRequestException("Uploading a certificate is not supported; import it into ACM and give its ARN")
        config = dict(request.get("endpointConfiguration") or {"types": ["EDGE"]})
        types = config.get("types") or ["EDGE"]
        if len(types) != 1 or types[0] not in ("EDGE", "REGIONAL"):
            raise BadRequestException("Domain names support exactly one endpoint type: EDGE or REGIONAL")
        edge = types[0] == "EDGE"
        policy = request.get("securityPolicy") or "TLS_1_2"
        if policy not in SECURITY_POLICIES:
            raise BadRequestException(f"Invalid security policy specified: {policy}. Valid options are TLS_1_0,TLS_1_2")
        self.check_tags(request.get("tags"))
        now = self.now()
        doc: Doc = {}
        if edge:
            arn = request.get("certificateArn")
            if not arn or request.get("regionalCertificateArn"):
                raise BadRequestException("A certificate was not provided for the endpoint type EDGE.")
            self.check_certificate(ctx, arn, edge=True)
            doc.update(
                certificateArn=arn,
                certificateUploadDate=now.timestamp(),
                distributionDomainName=f"d{new_id(13)}.cloudfront.net",
                distributionHostedZoneId=CLOUDFRONT_ZONE,
            )
            if request.get("certificateName"):
                doc["certificateName"] = request["certificateName"]
        else:
            arn = request.get("regionalCertificateArn")
            if not arn or request.get("certificateArn"):
                raise BadRequestException("A certificate was not provided for the endpoint type REGIONAL.")
            self.check_certificate(ctx, arn, edge=False)
            doc.update(
                regionalDomainName=f"d-{new_id(10)}.execute-api.{ctx.region}.amazonaws.com",
                regionalHostedZoneId=_REGIONAL_ZONES.get(ctx.region, "Z1UJRXOUMOOFQ8"),
                regionalCertificateArn=arn,
            )
            if request.get("regionalCertificateName"):
                doc["regionalCertificateName"] = request["regionalCertificateName"]
        doc["endpointConfiguration"] = {"types": types, "ipAddressType": config.get("ipAddressType") or "ipv4"}
        doc["domainNameStatus"] = "AVAILABLE"
        doc["securityPolicy"] = policy
        mtls = request.get("mutualTlsAuthentication")
        if mtls:
            doc["mutualTlsAuthentication"] = self._check_mtls(dict(mtls), edge=edge)
        with self.runtime.store.write() as conn:
            taken = conn.execute(
                select(domain_names.c.name).where(domain_names.c.region == ctx.region, domain_names.c.name == name)
            ).first()
            if taken is not None:
                raise BadRequestException("The domain name you provided already exists.")
            conn.execute(
                insert(domain_names).values(
                    region=ctx.region, name=name, account_id=ctx.account_id, created_at=now, doc=dumps(doc)
                )
            )
            self.set_tags(conn, domain_arn(ctx.region, name), request.get("tags"))
            return self.domain_wire(conn, self._domain_row(conn, ctx, name))

    @staticmethod
    def _check_mtls(mtls: Doc, *, edge: bool) -> Doc:
        if edge:
            raise BadRequestException("Mutual TLS authentication is supported only for REGIONAL domain names")
        uri = str(mtls.get("truststoreUri") or "")
        if not _TRUSTSTORE.match(uri):
            raise BadRequestException(f"Invalid truststore URI specified: {uri}. Use s3://BUCKET/KEY")
        out: Doc = {"truststoreUri": uri}
        if mtls.get("truststoreVersion"):
            out["truststoreVersion"] = mtls["truststoreVersion"]
        out["truststoreWarnings"] = []
        return out

    def get_domain_name(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            return self.domain_wire(conn, self._domain_row(conn, ctx, str(request["domainName"]).lower()))

    def get_domain_names(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(domain_names).where(
                    domain_names.c.region == ctx.region, domain_names.c.account_id == ctx.account_id
                )
            ).all()
            page, position = self.page(request, rows, lambda r: r.name)
            return self.listing([self.domain_wire(conn, r) for r in page], position)

    def update_domain_name(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            row = self._domain_row(conn, ctx, str(request["domainName"]).lower(), lock=True)
            doc = loads(row.doc)
            before = dict(doc)
            patch.apply(doc, request.get("patchOperations"), DOMAIN_RULES)
            edge = doc["endpointConfiguration"]["types"] == ["EDGE"]
            if doc.get("certificateArn") != before.get("certificateArn"):
                if not edge:
                    raise BadRequestException("certificateArn applies to EDGE domain names; use regionalCertificateArn")
                self.check_certificate(ctx, str(doc["certificateArn"]), edge=True)
            if doc.get("regionalCertificateArn") != before.get("regionalCertificateArn"):
                if edge:
                    raise BadRequestException("regionalCertificateArn applies to REGIONAL domain names")
                self.check_certificate(ctx, str(doc["regionalCertificateArn"]), edge=False)
            if doc.get("securityPolicy") not in SECURITY_POLICIES:
                raise BadRequestException(
                    f"Invalid security policy specified: {doc.get('securityPolicy')}. Valid options are TLS_1_0,TLS_1_2"
                )
            if doc.get("mutualTlsAuthentication") != before.get("mutualTlsAuthentication"):
                doc["mutualTlsAuthentication"] = self._check_mtls(dict(doc["mutualTlsAuthentication"]), edge=edge)
            conn.execute(
                update(domain_names)
                .where(domain_names.c.region == ctx.region, domain_names.c.name == row.name)
                .values(doc=dumps(doc))
            )
            return self.domain_wire(conn, self._domain_row(conn, ctx, row.name))

    def delete_domain_name(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            row = self._domain_row(conn, ctx, str(request["domainName"]).lower(), lock=True)
            conn.execute(
                delete(base_path_mappings).where(
                    base_path_mappings.c.region == ctx.region, base_path_mappings.c.domain_name == row.name
                )
            )
            conn.execute(
                delete(domain_names).where(domain_names.c.region == ctx.region, domain_names.c.name == row.name)
            )
            self.drop_tags(conn, domain_arn(ctx.region, row.name))
        return {}

    # -- BasePathMappings -----------------------------------------------------------------------------------------

    @staticmethod
    def mapping_wire(row: Any) -> Doc:
        out: Doc = {"basePath": row.base_path, "restApiId": row.api_id}
        if row.stage:
            out["stage"] = row.stage
        return out

    def _check_mapping(
        self, conn: Connection, ctx: RequestContext, base_path: str, api_id: str, stage: str | None
    ) -> None:
        if "/" in base_path:
            raise BadRequestException(
                "API Gateway V1 doesn't support the slash character (/) in base path mappings. To create a "
                "multi-level base path mapping, use API Gateway V2."
            )
        if base_path != NONE_PATH and not _BASE_PATH.match(base_path):
            raise BadRequestException(f"Invalid base path specified: {base_path}")
        try:
            self.api_row(conn, ctx, api_id)
        except NotFoundException:
            raise NotFoundException("Invalid REST API identifier specified") from None
        if (
            stage
            and conn.execute(select(stages.c.name).where(stages.c.api_id == api_id, stages.c.name == stage)).first()
            is None
        ):
            raise BadRequestException("Invalid stage identifier specified")

    def _mapping_row(self, conn: Connection, ctx: RequestContext, domain: str, base_path: str) -> Any:
        row = conn.execute(
            select(base_path_mappings).where(
                base_path_mappings.c.region == ctx.region,
                base_path_mappings.c.domain_name == domain,
                base_path_mappings.c.base_path == base_path,
            )
        ).one_or_none()
        if row is None:
            raise NotFoundException("Invalid base path mapping identifier specified")
        return row

    def create_base_path_mapping(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        base_path = request.get("basePath") or NONE_PATH
        with self.runtime.store.write() as conn:
            domain = self._domain_row(conn, ctx, str(request["domainName"]).lower(), lock=True)
            self._check_mapping(conn, ctx, base_path, request["restApiId"], request.get("stage"))
            exists = conn.execute(
                select(base_path_mappings.c.base_path).where(
                    base_path_mappings.c.region == ctx.region,
                    base_path_mappings.c.domain_name == domain.name,
                    base_path_mappings.c.base_path == base_path,
                )
            ).first()
            if exists is not None:
                raise ConflictException("Base path already exists for this domain name")
            conn.execute(
                insert(base_path_mappings).values(
                    region=ctx.region,
                    domain_name=domain.name,
                    base_path=base_path,
                    api_id=request["restApiId"],
                    stage=request.get("stage"),
                )
            )
            return self.mapping_wire(self._mapping_row(conn, ctx, domain.name, base_path))

    def get_base_path_mapping(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            domain = self._domain_row(conn, ctx, str(request["domainName"]).lower())
            return self.mapping_wire(self._mapping_row(conn, ctx, domain.name, request["basePath"]))

    def get_base_path_mappings(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            domain = self._domain_row(conn, ctx, str(request["domainName"]).lower())
            rows = conn.execute(
                select(base_path_mappings).where(
                    base_path_mappings.c.region == ctx.region, base_path_mappings.c.domain_name == domain.name
                )
            ).all()
        page, position = self.page(request, rows, lambda r: r.base_path)
        return self.listing([self.mapping_wire(r) for r in page], position)

    def update_base_path_mapping(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            domain = self._domain_row(conn, ctx, str(request["domainName"]).lower(), lock=True)
            row = self._mapping_row(conn, ctx, domain.name, request["basePath"])
            doc: Doc = {"basePath": row.base_path, "restApiId": row.api_id, "stage": row.stage}
            patch.apply(doc, request.get("patchOperations"), MAPPING_RULES)
            base_path = doc.get("basePath") or NONE_PATH
            self._check_mapping(conn, ctx, base_path, str(doc.get("restApiId") or ""), doc.get("stage"))
            if base_path != row.base_path:
                clash = conn.execute(
                    select(base_path_mappings.c.base_path).where(
                        base_path_mappings.c.region == ctx.region,
                        base_path_mappings.c.domain_name == domain.name,
                        base_path_mappings.c.base_path == base_path,
                    )
                ).first()
                if clash is not None:
                    raise ConflictException("Base path already exists for this domain name")
            conn.execute(
                update(base_path_mappings)
                .where(
                    base_path_mappings.c.region == ctx.region,
                    base_path_mappings.c.domain_name == domain.name,
                    base_path_mappings.c.base_path == row.base_path,
                )
                .values(base_path=base_path, api_id=doc["restApiId"], stage=doc.get("stage") or None)
            )
            return self.mapping_wire(self._mapping_row(conn, ctx, domain.name, base_path))

    def delete_base_path_mapping(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            domain = self._domain_row(conn, ctx, str(request["domainName"]).lower(), lock=True)
            row = self._mapping_row(conn, ctx, domain.name, request["basePath"])
            conn.execute(
                delete(base_path_mappings).where(
                    base_path_mappings.c.region == ctx.region,
                    base_path_mappings.c.domain_name == domain.name,
                    base_path_mappings.c.base_path == row.base_path,
                )
            )
        return {}
