"""Credentials IAM keeps besides passwords and access keys: server certificates (the pre-ACM way to hand a TLS
certificate to a load balancer; the private key sealed), X.509 signing certificates, SSH public keys (CodeCommit)
and service-specific credentials (CodeCommit / Keyspaces / Bedrock passwords, sealed). All ``iam_objects`` rows:
kinds ``server-cert`` (key: name_key), ``signing-cert``, ``ssh-key`` and ``service-cred`` (key: their id)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from strongroom.core import ids
from strongroom.iam import directory as d
from strongroom.iam import objects
from strongroom.services.iam.base import (
    IamBase,
    check_new_tags,
    drop_all_tags,
    list_entity_tags,
    page,
    put_tags,
    tag_entity,
    tag_list,
    untag_entity,
)
from strongroom.services.iam.errors import (
    DuplicateCertificate,
    DuplicateSSHPublicKey,
    EntityAlreadyExists,
    InvalidInput,
    InvalidPublicKey,
    KeyPairMismatch,
    LimitExceeded,
    MalformedCertificate,
    NoSuchEntity,
    NotSupportedService,
    UnrecognizedPublicKeyEncoding,
    ValidationError,
)

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from strongroom.services.base.runtime import RequestContext

SERVER = "server-cert"
SERVER_TAGS = "servcert"
SIGNING = "signing-cert"
SSH = "ssh-key"
SERVICE = "service-cred"
SIGNING_PER_USER = 2
SSH_PER_USER = 5
SERVICE_PER_USER = 2
SUPPORTED_SERVICES = frozenset({"codecommit.amazonaws.com", "cassandra.amazonaws.com", "bedrock.amazonaws.com"})


def _load_cert(pem: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem.strip().encode())
    except ValueError:
        raise MalformedCertificate("Certificate body is invalid.") from None


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


class CertificateOperations(IamBase):
    def _owner(self, conn: Connection, ctx: RequestContext, request: dict[str, Any]) -> d.UserRecord:
        name = request.get("UserName") or ctx.principal.user_name
        if not name:
            raise ValidationError("Must specify userName when calling with non-User credentials")
        return self.require_user(conn, ctx, str(name))

    def _of_user(
        self, conn: Connection, ctx: RequestContext, kind: str, key: str, user: d.UserRecord, what: str
    ) -> objects.Obj:
        found = objects.get(conn, ctx.account_id, kind, key)
        if found is None or found.data.get("user_key") != user.name.lower():
            raise NoSuchEntity(f"The {what} with id {key} cannot be found.")
        return found

    # --- server certificates ---------------------------------------------------------------------------------

    def _server(self, conn: Connection, ctx: RequestContext, name: str) -> objects.Obj:
        found = objects.get(conn, ctx.account_id, SERVER, name.lower())
        if found is None:
            raise NoSuchEntity(f"The Server Certificate with name {name} cannot be found.")
        return found

    @staticmethod
    def _server_meta(found: objects.Obj) -> dict[str, Any]:
        data = found.data
        return {
            "Path": data["path"],
            "ServerCertificateName": data["name"],
            "ServerCertificateId": data["id"],
            "Arn": data["arn"],
            "UploadDate": found.created_at,
            "Expiration": _time(data["expiration"]),
        }

    def upload_server_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name, path = request["ServerCertificateName"], request.get("Path", "/")
        cert = _load_cert(request["CertificateBody"])
        try:
            key = serialization.load_pem_private_key(request["PrivateKey"].strip().encode(), None)
        except (ValueError, TypeError):
            raise MalformedCertificate("Private key is invalid.") from None
        public = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if (
            key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
            != public
        ):
            raise KeyPairMismatch("Public key certificate and private key doesn't match")
        chain = request.get("CertificateChain")
        if chain:
            try:
                x509.load_pem_x509_certificates(chain.strip().encode())
            except ValueError:
                raise MalformedCertificate("Certificate chain is invalid.") from None
        new_tags = check_new_tags(request.get("Tags"))
        der_key = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        with self.runtime.store.write() as conn:
            if objects.get(conn, ctx.account_id, SERVER, name.lower()) is not None:
                raise EntityAlreadyExists(f"The Server Certificate with name {name} already exists.")
            data = {
                "name": name,
                "path": path,
                "id": ids.unique_id("ASCA"),
                "arn": f"arn:aws:iam::{ctx.account_id}:server-certificate{path}{name}",
                "body": request["CertificateBody"].strip(),
                "chain": chain.strip() if chain else None,
                "expiration": cert.not_valid_after_utc.isoformat(),
            }
            objects.put(conn, ctx.account_id, SERVER, name.lower(), data, secret=der_key, seal=self.runtime.seal)
            put_tags(conn, ctx.account_id, SERVER_TAGS, name.lower(), new_tags)
            found = self._server(conn, ctx, name)
        return {"ServerCertificateMetadata": self._server_meta(found), "Tags": tag_list(new_tags) or None}

    def get_server_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            found = self._server(conn, ctx, request["ServerCertificateName"])
            tags_ = d.entity_tags(conn, ctx.account_id, SERVER_TAGS, found.key)
        out: dict[str, Any] = {
            "ServerCertificateMetadata": self._server_meta(found),
            "CertificateBody": found.data["body"],
        }
        if found.data.get("chain"):
            out["CertificateChain"] = found.data["chain"]
        if tags_:
            out["Tags"] = tag_list(tags_)
        return {"ServerCertificate": out}

    def list_server_certificates(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        prefix = request.get("PathPrefix", "/")
        with self.runtime.store.read() as conn:
            items = [
                self._server_meta(o)
                for o in objects.all_of(conn, ctx.account_id, SERVER)
                if o.data["path"].startswith(prefix)
            ]
        return page(request, items, "ServerCertificateMetadataList")

    def update_server_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["ServerCertificateName"]
        with self.runtime.store.write() as conn:
            found = self._server(conn, ctx, name)
            data = dict(found.data)
            new_name = request.get("NewServerCertificateName") or data["name"]
            new_path = request.get("NewPath") or data["path"]
            if (
                new_name.lower() != found.key
                and objects.get(conn, ctx.account_id, SERVER, new_name.lower()) is not None
            ):
                raise EntityAlreadyExists(f"The Server Certificate with name {new_name} already exists.")
            data.update(
                name=new_name,
                path=new_path,
                arn=f"arn:aws:iam::{ctx.account_id}:server-certificate{new_path}{new_name}",
            )
            secret = objects.secret(self.runtime.seal, found)
            objects.remove(conn, ctx.account_id, SERVER, found.key)
            objects.put(
                conn,
                ctx.account_id,
                SERVER,
                new_name.lower(),
                data,
                secret=secret,
                seal=self.runtime.seal,
                created_at=found.created_at,
            )
            if new_name.lower() != found.key:
                tags_ = d.entity_tags(conn, ctx.account_id, SERVER_TAGS, found.key)
                drop_all_tags(conn, ctx.account_id, SERVER_TAGS, found.key)
                put_tags(conn, ctx.account_id, SERVER_TAGS, new_name.lower(), tags_)
        return {}

    def delete_server_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            found = self._server(conn, ctx, request["ServerCertificateName"])
            objects.remove(conn, ctx.account_id, SERVER, found.key)
            drop_all_tags(conn, ctx.account_id, SERVER_TAGS, found.key)
        return {}

    def _server_key(self, ctx: RequestContext, name: str) -> Any:
        return lambda conn: self._server(conn, ctx, name).key

    def tag_server_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        locate = self._server_key(ctx, request["ServerCertificateName"])
        tag_entity(self.runtime.store, ctx.account_id, SERVER_TAGS, locate, request["Tags"])
        return {}

    def untag_server_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        locate = self._server_key(ctx, request["ServerCertificateName"])
        untag_entity(self.runtime.store, ctx.account_id, SERVER_TAGS, locate, request["TagKeys"])
        return {}

    def list_server_certificate_tags(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        locate = self._server_key(ctx, request["ServerCertificateName"])
        return list_entity_tags(self.runtime.store, ctx.account_id, SERVER_TAGS, locate, request)

    # --- signing certificates --------------------------------------------------------------------------------

    def upload_signing_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        cert = _load_cert(request["CertificateBody"])
        cert_id = hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()  # an id
        with self.runtime.store.write() as conn:
            user = self._owner(conn, ctx, request)
            if objects.get(conn, ctx.account_id, SIGNING, cert_id) is not None:
                raise DuplicateCertificate(
                    "The request was rejected because the same certificate is associated with an IAM user in the "
                    "account."
                )
            mine = [o for o in objects.all_of(conn, ctx.account_id, SIGNING) if o.data["user_key"] == user.name.lower()]
            if len(mine) >= SIGNING_PER_USER:
                raise LimitExceeded(f"Cannot exceed quota for CertificatesPerUser: {SIGNING_PER_USER}")
            data = {"user_key": user.name.lower(), "body": request["CertificateBody"].strip(), "status": "Active"}
            objects.put(conn, ctx.account_id, SIGNING, cert_id, data)
            found = objects.get(conn, ctx.account_id, SIGNING, cert_id)
        assert found is not None
        return {"Certificate": self._signing_shape(user.name, found)}

    @staticmethod
    def _signing_shape(user_name: str, found: objects.Obj) -> dict[str, Any]:
        return {
            "UserName": user_name,
            "CertificateId": found.key,
            "CertificateBody": found.data["body"],
            "Status": found.data["status"],
            "UploadDate": found.created_at,
        }

    def list_signing_certificates(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            user = self._owner(conn, ctx, request)
            items = [
                self._signing_shape(user.name, o)
                for o in objects.all_of(conn, ctx.account_id, SIGNING)
                if o.data["user_key"] == user.name.lower()
            ]
        return page(request, items, "Certificates")

    def update_signing_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            user = self._owner(conn, ctx, request)
            found = self._of_user(conn, ctx, SIGNING, request["CertificateId"], user, "Signing Certificate")
            objects.put(conn, ctx.account_id, SIGNING, found.key, {**found.data, "status": request["Status"]})
        return {}

    def delete_signing_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            user = self._owner(conn, ctx, request)
            found = self._of_user(conn, ctx, SIGNING, request["CertificateId"], user, "Signing Certificate")
            objects.remove(conn, ctx.account_id, SIGNING, found.key)
        return {}

    # --- SSH public keys -------------------------------------------------------------------------------------

    def upload_ssh_public_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        body = request["SSHPublicKeyBody"].strip()
        try:
            if body.startswith("-----BEGIN"):
                key = serialization.load_pem_public_key(body.encode())
            else:
                key = serialization.load_ssh_public_key(body.encode())
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise InvalidPublicKey("The public key is not a valid SSH-RSA or PEM public key.") from None
        ssh = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
        raw = base64.b64decode(ssh.split()[1])
        fingerprint = ":".join(f"{b:02x}" for b in hashlib.md5(raw).digest())  # AWS's fingerprint
        with self.runtime.store.write() as conn:
            user = self.require_user(conn, ctx, request["UserName"])
            mine = [o for o in objects.all_of(conn, ctx.account_id, SSH) if o.data["user_key"] == user.name.lower()]
            if any(o.data["fingerprint"] == fingerprint for o in mine):
                raise DuplicateSSHPublicKey(
                    "The request was rejected because the SSH public key is already associated with the specified "
                    "IAM user."
                )
            if len(mine) >= SSH_PER_USER:
                raise LimitExceeded(f"Cannot exceed quota for PublicKeysPerUser: {SSH_PER_USER}")
            key_id = ids.unique_id("APKA")
            pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
            data = {
                "user_key": user.name.lower(),
                "ssh": ssh,
                "pem": pem,
                "fingerprint": fingerprint,
                "status": "Active",
            }
            objects.put(conn, ctx.account_id, SSH, key_id, data)
            found = objects.get(conn, ctx.account_id, SSH, key_id)
        assert found is not None
        return {"SSHPublicKey": self._ssh_shape(user.name, found, "SSH")}

    @staticmethod
    def _ssh_shape(user_name: str, found: objects.Obj, encoding: str) -> dict[str, Any]:
        return {
            "UserName": user_name,
            "SSHPublicKeyId": found.key,
            "Fingerprint": found.data["fingerprint"],
            "SSHPublicKeyBody": found.data["ssh"] if encoding == "SSH" else found.data["pem"],
            "Status": found.data["status"],
            "UploadDate": found.created_at,
        }

    def get_ssh_public_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        encoding = request["Encoding"]
        if encoding not in ("SSH", "PEM"):
            raise UnrecognizedPublicKeyEncoding(f"The public key encoding {encoding} is not recognized.")
        with self.runtime.store.read() as conn:
            user = self.require_user(conn, ctx, request["UserName"])
            found = self._of_user(conn, ctx, SSH, request["SSHPublicKeyId"], user, "Public Key")
        return {"SSHPublicKey": self._ssh_shape(user.name, found, encoding)}

    def list_ssh_public_keys(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            user = self._owner(conn, ctx, request)
            items = [
                {"UserName": user.name, "SSHPublicKeyId": o.key, "Status": o.data["status"], "UploadDate": o.created_at}
                for o in objects.all_of(conn, ctx.account_id, SSH)
                if o.data["user_key"] == user.name.lower()
            ]
        return page(request, items, "SSHPublicKeys")

    def update_ssh_public_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            user = self.require_user(conn, ctx, request["UserName"])
            found = self._of_user(conn, ctx, SSH, request["SSHPublicKeyId"], user, "Public Key")
            objects.put(conn, ctx.account_id, SSH, found.key, {**found.data, "status": request["Status"]})
        return {}

    def delete_ssh_public_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            user = self.require_user(conn, ctx, request["UserName"])
            found = self._of_user(conn, ctx, SSH, request["SSHPublicKeyId"], user, "Public Key")
            objects.remove(conn, ctx.account_id, SSH, found.key)
        return {}

    # --- service-specific credentials ------------------------------------------------------------------------

    def _service_shape(self, user_name: str, found: objects.Obj, *, secret: bool) -> dict[str, Any]:
        data = found.data
        out: dict[str, Any] = {
            "UserName": user_name,
            "Status": data["status"],
            "CreateDate": found.created_at,
            "ServiceSpecificCredentialId": found.key,
            "ServiceName": data["service"],
        }
        if data.get("expires"):
            out["ExpirationDate"] = _time(data["expires"])
        if data["service"] == "bedrock.amazonaws.com":
            out["ServiceCredentialAlias"] = data["user"]
        else:
            out["ServiceUserName"] = data["user"]
        if secret:
            value = (objects.secret(self.runtime.seal, found) or b"").decode()
            out["ServiceCredentialSecret" if data["service"] == "bedrock.amazonaws.com" else "ServicePassword"] = value
        return out

    def create_service_specific_credential(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        service = request["ServiceName"]
        if service not in SUPPORTED_SERVICES:
            raise NotSupportedService(f"The specified service {service} is not supported.")
        days = request.get("CredentialAgeDays")
        if days is not None and service != "bedrock.amazonaws.com":
            raise InvalidInput("CredentialAgeDays is only supported for bedrock.amazonaws.com.")
        with self.runtime.store.write() as conn:
            user = self.require_user(conn, ctx, request["UserName"])
            mine = [
                o
                for o in objects.all_of(conn, ctx.account_id, SERVICE)
                if o.data["user_key"] == user.name.lower() and o.data["service"] == service
            ]
            if len(mine) >= SERVICE_PER_USER:
                raise LimitExceeded(
                    f"Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: {SERVICE_PER_USER}"
                )
            cred_id = ids.unique_id("ACCA")
            data: dict[str, Any] = {
                "user_key": user.name.lower(),
                "service": service,
                "user": f"{user.name}-at-{ctx.account_id}",
                "status": "Active",
            }
            if days:
                data["expires"] = (ctx.now() + timedelta(days=int(days))).isoformat()
            password = base64.b64encode(secrets.token_bytes(30)).decode()
            objects.put(conn, ctx.account_id, SERVICE, cred_id, data, secret=password.encode(), seal=self.runtime.seal)
            found = objects.get(conn, ctx.account_id, SERVICE, cred_id)
        assert found is not None
        return {"ServiceSpecificCredential": self._service_shape(user.name, found, secret=True)}

    def list_service_specific_credentials(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        service = request.get("ServiceName")
        if service and service not in SUPPORTED_SERVICES:
            raise NotSupportedService(f"The specified service {service} is not supported.")
        with self.runtime.store.read() as conn:
            owner = None if request.get("AllUsers") else self._owner(conn, ctx, request)
            items = []
            for o in objects.all_of(conn, ctx.account_id, SERVICE):
                if owner is not None and o.data["user_key"] != owner.name.lower():
                    continue
                if service and o.data["service"] != service:
                    continue
                user = d.get_user(conn, ctx.account_id, o.data["user_key"])
                items.append(self._service_shape(user.name if user else o.data["user_key"], o, secret=False))
        return page(request, items, "ServiceSpecificCredentials")

    def _service_cred(
        self, conn: Connection, ctx: RequestContext, request: dict[str, Any]
    ) -> tuple[d.UserRecord, objects.Obj]:
        user = self._owner(conn, ctx, request)
        found = self._of_user(
            conn, ctx, SERVICE, request["ServiceSpecificCredentialId"], user, "Service Specific Credential"
        )
        return user, found

    def reset_service_specific_credential(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        password = base64.b64encode(secrets.token_bytes(30)).decode()
        with self.runtime.store.write() as conn:
            user, found = self._service_cred(conn, ctx, request)
            objects.put(
                conn, ctx.account_id, SERVICE, found.key, found.data, secret=password.encode(), seal=self.runtime.seal
            )
            found = objects.get(conn, ctx.account_id, SERVICE, found.key) or found
        return {"ServiceSpecificCredential": self._service_shape(user.name, found, secret=True)}

    def update_service_specific_credential(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            _user, found = self._service_cred(conn, ctx, request)
            objects.put(conn, ctx.account_id, SERVICE, found.key, {**found.data, "status": request["Status"]})
        return {}

    def delete_service_specific_credential(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            _user, found = self._service_cred(conn, ctx, request)
            objects.remove(conn, ctx.account_id, SERVICE, found.key)
        return {}
