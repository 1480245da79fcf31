"""OpenID Connect and SAML identity providers: the trust anchors of AssumeRoleWithWebIdentity and AssumeRoleWithSAML.

An OIDC provider is its issuer URL, the audiences (client ids) it may mint tokens for and, as legacy pins, the
thumbprints of its TLS certificates; a SAML provider is its IdP metadata document, whose signing certificates
verify assertions. Both are ``iam_objects`` rows keyed by ARN, tagged in ``iam_tags`` under that ARN.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from strongroom.iam import directory as d
from strongroom.iam import objects, saml, webidentity
from strongroom.services.iam.base import (
    IamBase,
    check_new_tags,
    drop_all_tags,
    list_entity_tags,
    put_tags,
    tag_entity,
    tag_list,
    untag_entity,
)
from strongroom.services.iam.errors import EntityAlreadyExists, InvalidInput, LimitExceeded, NoSuchEntity

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from strongroom.services.base.runtime import RequestContext

MAX_CLIENT_IDS = 100
MAX_THUMBPRINTS = 5
MAX_SAML_PRIVATE_KEYS = 2
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_url(url: str) -> str:
    """AWS accepts only https issuer URLs without query or fragment; Strongroom also accepts http on loopback, for
    issuers running beside it (docs/iam.md)."""
    parts = urlsplit(url)
    loopback_http = parts.scheme == "http" and (parts.hostname or "") in _LOOPBACK
    if (parts.scheme != "https" and not loopback_http) or not parts.hostname or parts.query or parts.fragment:
        raise InvalidInput("Invalid Open ID Connect Provider URL")
    return url.rstrip("/")


def check_thumbprints(values: list[str]) -> list[str]:
    if len(values) > MAX_THUMBPRINTS:
        raise LimitExceeded(f"Thumbprint list must contain fewer than {MAX_THUMBPRINTS + 1} entries.")
    for value in values:
        if len(value) != 40 or any(c not in "0123456789abcdefABCDEF" for c in value):
            raise InvalidInput(f"Thumbprint {value} is invalid; must be a 40-character hex string.")
    return [v.lower() for v in values]


def oidc_arn(account_id: str, url: str) -> str:
    return f"arn:aws:iam::{account_id}:oidc-provider/{webidentity.provider_key(url)}"


def saml_arn(account_id: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:saml-provider/{name}"


def _arn_account(arn: str, kind: str) -> str:
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or not parts[5].startswith(f"{kind}/"):
        raise InvalidInput(f"ARN {arn} is not valid.")
    return parts[4]


class FederationOperations(IamBase):
    # --- OpenID Connect --------------------------------------------------------------------------------------

    def _oidc(self, conn: Connection, ctx: RequestContext, arn: str) -> objects.Obj:
        _arn_account(arn, "oidc-provider")
        found = objects.get(conn, ctx.account_id, "oidc", arn)
        if found is None:
            raise NoSuchEntity(f"OpenIDConnect Provider not found for arn {arn}")
        return found

    def create_open_id_connect_provider(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        url = check_url(request["Url"])
        clients = list(dict.fromkeys(request.get("ClientIDList") or []))
        if len(clients) > MAX_CLIENT_IDS:
            raise LimitExceeded(f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}")
        thumbprints = check_thumbprints(request.get("ThumbprintList") or [])
        new_tags = check_new_tags(request.get("Tags"))
        arn = oidc_arn(ctx.account_id, url)
        with self.runtime.store.write() as conn:
            if objects.get(conn, ctx.account_id, "oidc", arn) is not None:
                raise EntityAlreadyExists(f"Provider with url {url} already exists.")
            objects.put(conn, ctx.account_id, "oidc", arn, {"url": url, "clients": clients, "thumbprints": thumbprints})
            put_tags(conn, ctx.account_id, "oidc", arn, new_tags)
        return {"OpenIDConnectProviderArn": arn, "Tags": tag_list(new_tags) or None}

    def get_open_id_connect_provider(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["OpenIDConnectProviderArn"]
        with self.runtime.store.read() as conn:
            found = self._oidc(conn, ctx, arn)
            tags_ = d.entity_tags(conn, ctx.account_id, "oidc", arn)
        return {
            "Url": webidentity.provider_key(found.data["url"]),
            "ClientIDList": found.data["clients"],
            "ThumbprintList": found.data["thumbprints"],
            "CreateDate": found.created_at,
            "Tags": tag_list(tags_),
        }

    def list_open_id_connect_providers(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            found = objects.all_of(conn, ctx.account_id, "oidc")
        return {"OpenIDConnectProviderList": [{"Arn": o.key} for o in found]}

    def delete_open_id_connect_provider(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["OpenIDConnectProviderArn"]
        _arn_account(arn, "oidc-provider")
        with self.runtime.store.write() as conn:
            # AWS answers success for a provider that does not exist
            objects.remove(conn, ctx.account_id, "oidc", arn)
            drop_all_tags(conn, ctx.account_id, "oidc", arn)
        return {}

    def _update_oidc(self, ctx: RequestContext, arn: str, change: Any) -> None:
        with self.runtime.store.write() as conn:
            found = self._oidc(conn, ctx, arn)
            data = dict(found.data)
            change(data)
            objects.put(conn, ctx.account_id, "oidc", arn, data)

    def add_client_id_to_open_id_connect_provider(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        client = request["ClientID"]

        def add(data: dict[str, Any]) -> None:
            if client not in data["clients"]:
                if len(data["clients"]) >= MAX_CLIENT_IDS:
                    raise LimitExceeded(f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}")
                data["clients"] = [*data["clients"], client]

        self._update_oidc(ctx, request["OpenIDConnectProviderArn"], add)
        return {}

    def remove_client_id_from_open_id_connect_provider(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        client = request["ClientID"]

        def remove(data: dict[str, Any]) -> None:
            data["clients"] = [c for c in data["clients"] if c != client]

        self._update_oidc(ctx, request["OpenIDConnectProviderArn"], remove)
        return {}

    def update_open_id_connect_provider_thumbprint(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        thumbprints = check_thumbprints(request["ThumbprintList"])

        def replace(data: dict[str, Any]) -> None:
            data["thumbprints"] = thumbprints

        self._update_oidc(ctx, request["OpenIDConnectProviderArn"], replace)
        return {}

    def update_open_id_connect_provider(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        # Context providers and Identity Center instances belong to IAM Identity Center, which Strongroom does not
        # serve: the provider must exist, and naming one is refused as for an unknown instance.
        with self.runtime.store.read() as conn:
            self._oidc(conn, ctx, request["OpenIDConnectProviderArn"])
        if request.get("ContextProvider") or request.get("IdentityCenterInstanceArn"):
            raise InvalidInput("The specified IAM Identity Center instance does not exist.")
        return {}

    def tag_open_id_connect_provider(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["OpenIDConnectProviderArn"]
        tag_entity(self.runtime.store, ctx.account_id, "oidc", lambda c: self._oidc(c, ctx, arn).key, request["Tags"])
        return {}

    def untag_open_id_connect_provider(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["OpenIDConnectProviderArn"]
        untag_entity(
            self.runtime.store, ctx.account_id, "oidc", lambda c: self._oidc(c, ctx, arn).key, request["TagKeys"]
        )
        return {}

    def list_open_id_connect_provider_tags(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["OpenIDConnectProviderArn"]
        return list_entity_tags(
            self.runtime.store, ctx.account_id, "oidc", lambda c: self._oidc(c, ctx, arn).key, request
        )

    # --- SAML ------------------------------------------------------------------------------------------------

    def _saml(self, conn: Connection, ctx: RequestContext, arn: str) -> objects.Obj:
        _arn_account(arn, "saml-provider")
        found = objects.get(conn, ctx.account_id, "saml", arn)
        if found is None:
            raise NoSuchEntity(f"Manifest not found for arn {arn}")
        return found

    @staticmethod
    def _metadata(document: str) -> dict[str, Any]:
        try:
            meta = saml.parse_metadata(document)
        except saml.SamlError as exc:
            raise InvalidInput(f"Could not parse metadata: {exc}") from None
        return {
            "metadata": document,
            "entity_id": meta.entity_id,
            "certificates": meta.certificates,
            "valid_until": meta.valid_until.isoformat() if meta.valid_until else None,
        }

    def create_saml_provider(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["Name"]
        data = self._metadata(request["SAMLMetadataDocument"])
        data["uuid"] = str(uuid.uuid4())
        data["encryption"] = request.get("AssertionEncryptionMode") or "Allowed"
        if request.get("AddPrivateKey"):
            raise InvalidInput("Encrypted SAML assertions are not supported by this server; omit AddPrivateKey.")
        new_tags = check_new_tags(request.get("Tags"))
        arn = saml_arn(ctx.account_id, name)
        with self.runtime.store.write() as conn:
            if objects.get(conn, ctx.account_id, "saml", arn) is not None:
                raise EntityAlreadyExists(f"SAMLProvider {name} already exists.")
            objects.put(conn, ctx.account_id, "saml", arn, data)
            put_tags(conn, ctx.account_id, "saml", arn, new_tags)
        return {"SAMLProviderArn": arn, "Tags": tag_list(new_tags) or None}

    def get_saml_provider(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["SAMLProviderArn"]
        with self.runtime.store.read() as conn:
            found = self._saml(conn, ctx, arn)
            tags_ = d.entity_tags(conn, ctx.account_id, "saml", arn)
        data = found.data
        hashes = [base64.b64encode(hashlib.sha256(base64.b64decode(c)).digest()).decode() for c in data["certificates"]]
        return {
            "SAMLProviderUUID": data["uuid"],
            "SAMLMetadataDocument": data["metadata"],
            "SAMLKeyHashes": [{"IssuerURL": data.get("entity_id", ""), "KeyHashes": hashes}],
            "CreateDate": found.created_at,
            "ValidUntil": saml.parse_time(data["valid_until"]) if data.get("valid_until") else None,
            "Tags": tag_list(tags_),
            "AssertionEncryptionMode": data.get("encryption", "Allowed"),
        }

    def list_saml_providers(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            found = objects.all_of(conn, ctx.account_id, "saml")
        out = []
        for o in found:
            item: dict[str, Any] = {"Arn": o.key, "CreateDate": o.created_at}
            if o.data.get("valid_until"):
                item["ValidUntil"] = saml.parse_time(o.data["valid_until"])
            out.append(item)
        return {"SAMLProviderList": out}

    def update_saml_provider(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["SAMLProviderArn"]
        if request.get("AddPrivateKey"):
            raise InvalidInput("Encrypted SAML assertions are not supported by this server; omit AddPrivateKey.")
        with self.runtime.store.write() as conn:
            found = self._saml(conn, ctx, arn)
            data = dict(found.data)
            if request.get("SAMLMetadataDocument"):
                data.update(self._metadata(request["SAMLMetadataDocument"]))
            if request.get("AssertionEncryptionMode"):
                data["encryption"] = request["AssertionEncryptionMode"]
            objects.put(conn, ctx.account_id, "saml", arn, data)
        return {"SAMLProviderArn": arn}

    def delete_saml_provider(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["SAMLProviderArn"]
        with self.runtime.store.write() as conn:
            self._saml(conn, ctx, arn)
            objects.remove(conn, ctx.account_id, "saml", arn)
            drop_all_tags(conn, ctx.account_id, "saml", arn)
        return {}

    def tag_saml_provider(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["SAMLProviderArn"]
        tag_entity(self.runtime.store, ctx.account_id, "saml", lambda c: self._saml(c, ctx, arn).key, request["Tags"])
        return {}

    def untag_saml_provider(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["SAMLProviderArn"]
        untag_entity(
            self.runtime.store, ctx.account_id, "saml", lambda c: self._saml(c, ctx, arn).key, request["TagKeys"]
        )
        return {}

    def list_saml_provider_tags(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["SAMLProviderArn"]
        return list_entity_tags(
            self.runtime.store, ctx.account_id, "saml", lambda c: self._saml(c, ctx, arn).key, request
        )
