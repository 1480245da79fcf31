"""Identity providers for federation tests: a tiny OIDC issuer on loopback and a SAML IdP that signs assertions."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import XMLSigner


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _int_b64(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class SigningKey:
    def __init__(self, kid: str | None = None) -> None:
        self.kid = kid or uuid.uuid4().hex[:12]
        self.key = rsa.generate_private_key(65537, 2048)

    def jwk(self) -> dict[str, str]:
        numbers = self.key.public_key().public_numbers()
        return {
            "kty": "RSA",
            "kid": self.kid,
            "use": "sig",
            "alg": "RS256",
            "n": _int_b64(numbers.n),
            "e": _int_b64(numbers.e),
        }

    def sign(self, claims: dict[str, Any], kid: str | None = None) -> str:
        header = {"alg": "RS256", "typ": "JWT", "kid": kid or self.kid}
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64url(signature)}"


class OidcIssuer:
    """Serves /.well-known/openid-configuration and its JWKS over http://127.0.0.1:PORT."""

    def __init__(self) -> None:
        self.key = SigningKey()
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    body: Any = {"issuer": issuer.url, "jwks_uri": issuer.url + "/jwks"}
                elif self.path == "/jwks":
                    body = {"keys": [issuer.key.jwk()]}
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def token(
        self, now: datetime, *, sub: str, aud: str, lifetime: int = 300, key: SigningKey | None = None, **extra: Any
    ) -> str:
        claims = {
            "iss": self.url,
            "sub": sub,
            "aud": aud,
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()) - 5,
            "exp": int(now.timestamp()) + lifetime,
            **extra,
        }
        return (key or self.key).sign(claims, kid=self.key.kid)


@contextmanager
def oidc_issuer() -> Iterator[OidcIssuer]:
    issuer = OidcIssuer()
    thread = threading.Thread(target=issuer.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield issuer
    finally:
        issuer.httpd.shutdown()
        issuer.httpd.server_close()


MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"


class SamlIdp:
    def __init__(self, entity_id: str = "https://idp.example.test/saml") -> None:
        self.entity_id = entity_id
        self.key = rsa.generate_private_key(65537, 2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.example.test")])
        now = datetime.now(UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .sign(self.key, hashes.SHA256())
        )

    def cert_b64(self) -> str:
        return base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()

    def metadata(self) -> str:
        return (
            f'<md:EntityDescriptor xmlns:md="{MD}" xmlns:ds="{DS}" entityID="{self.entity_id}">'
            f'<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            f'<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{self.cert_b64()}'
            "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
            '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
            'Location="https://idp.example.test/sso"/>'
            "</md:IDPSSODescriptor></md:EntityDescriptor>"
        )

    def response(
        self,
        now: datetime,
        *,
        subject: str,
        roles: list[str],
        session_name: str,
        extra_attributes: dict[str, str] | None = None,
        lifetime: int = 300,
    ) -> bytes:
        """A SAMLResponse whose Assertion is signed (enveloped signature), as the XML bytes."""
        fmt = "%Y-%m-%dT%H:%M:%SZ"
        after = (now + timedelta(seconds=lifetime)).strftime(fmt)
        before = (now - timedelta(seconds=30)).strftime(fmt)
        attrs = {
            "https://aws.amazon.com/SAML/Attributes/RoleSessionName": [session_name],
            "https://aws.amazon.com/SAML/Attributes/Role": roles,
        }
        for k, v in (extra_attributes or {}).items():
            attrs[k] = [v]
        attr_xml = "".join(
            f'<saml:Attribute Name="{name}">'
            + "".join(f"<saml:AttributeValue>{v}</saml:AttributeValue>" for v in vals)
            + "</saml:Attribute>"
            for name, vals in attrs.items()
        )
        assertion_id = "_" + uuid.uuid4().hex
        assertion = etree.fromstring(
            f'<saml:Assertion xmlns:saml="{SAML}" ID="{assertion_id}" Version="2.0" IssueInstant="{now.strftime(fmt)}">'
            f"<saml:Issuer>{self.entity_id}</saml:Issuer>"
            f'<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{subject}'
            '</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
            f'<saml:SubjectConfirmationData NotOnOrAfter="{after}" Recipient="https://signin.aws.amazon.com/saml"/>'
            "</saml:SubjectConfirmation></saml:Subject>"
            f'<saml:Conditions NotBefore="{before}" NotOnOrAfter="{after}"><saml:AudienceRestriction>'
            "<saml:Audience>https://signin.aws.amazon.com/saml</saml:Audience></saml:AudienceRestriction>"
            f"</saml:Conditions><saml:AttributeStatement>{attr_xml}</saml:AttributeStatement></saml:Assertion>"
        )
        signed = XMLSigner(c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#").sign(
            assertion, key=self.key, cert=[self.cert], reference_uri=assertion_id, id_attribute="ID"
        )
        response = etree.fromstring(
            f'<samlp:Response xmlns:samlp="{SAMLP}" ID="_{uuid.uuid4().hex}" Version="2.0" '
            f'IssueInstant="{now.strftime(fmt)}"><samlp:Status><samlp:StatusCode '
            'Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:Response>'
        )
        response.append(signed)
        return bytes(etree.tostring(response))
