"""API Gateway client certificates end to end with boto3: real self-signed certificates whose keys are sealed, a
stage that names one, tags, and the data plane's view of it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_der_private_key

from strongroom.core.config import Config
from strongroom.keyring.seal import FileSeal
from strongroom.services.apigateway import deployed
from strongroom.services.apigateway.model import client_certificate_key_aad
from strongroom.store.engine import Store
from tests.e2e.apigateway_support import deployable
from tests.support.errors import error_of_call as _error
from tests.support.server import ServerProcess


@pytest.fixture
def apigw(server: ServerProcess) -> Any:
    return server.client("apigateway")


def test_client_certificates(server: ServerProcess, apigw: Any) -> None:
    made = apigw.generate_client_certificate(description="backend", tags={"t": "1"})
    cert_id = made["clientCertificateId"]
    certificate = x509.load_pem_x509_certificate(made["pemEncodedCertificate"].encode())
    assert isinstance(certificate.public_key(), rsa.RSAPublicKey) and certificate.public_key().key_size == 2048
    assert certificate.not_valid_after_utc - certificate.not_valid_before_utc == timedelta(days=365)
    assert made["expirationDate"] - made["createdDate"] == timedelta(days=365) and made["tags"] == {"t": "1"}
    assert cert_id in {c["clientCertificateId"] for c in apigw.get_client_certificates()["items"]}
    changed = apigw.update_client_certificate(
        clientCertificateId=cert_id, patchOperations=[{"op": "replace", "path": "/description", "value": "new"}]
    )
    assert changed["description"] == "new"
    arn = f"arn:aws:apigateway:us-east-1::/clientcertificates/{cert_id}"
    apigw.tag_resource(resourceArn=arn, tags={"u": "2"})
    assert apigw.get_tags(resourceArn=arn)["tags"] == {"t": "1", "u": "2"}

    api_id, _, _ = deployable(apigw)
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    stage = apigw.update_stage(
        restApiId=api_id,
        stageName="prod",
        patchOperations=[{"op": "replace", "path": "/clientCertificateId", "value": cert_id}],
    )
    assert stage["clientCertificateId"] == cert_id
    code, message, _ = _error(
        lambda: apigw.update_stage(
            restApiId=api_id,
            stageName="prod",
            patchOperations=[{"op": "replace", "path": "/clientCertificateId", "value": "nope000000"}],
        )
    )
    assert (code, message) == ("BadRequestException", "Invalid Client Certificate identifier specified")

    config = Config(data_dir=server.data_dir, database_url=server.database_url)
    store = Store(config.effective_database_url())
    try:
        loaded = deployed.load_stage(store, api_id, "prod")
        found = deployed.find_client_certificate(store, cert_id)
    finally:
        store.dispose()
    assert loaded is not None and loaded.client_certificate_id == cert_id
    assert found is not None and found.certificate_pem == made["pemEncodedCertificate"]
    assert b"PRIVATE KEY" not in found.sealed_key
    # the data plane unseals the key with the server's seal; it matches the certificate
    key = load_der_private_key(
        FileSeal(config.root_key_file).unwrap(found.sealed_key, client_certificate_key_aad(cert_id)), None
    )
    assert key.public_key().public_numbers() == certificate.public_key().public_numbers()  # type: ignore[union-attr]

    apigw.delete_client_certificate(clientCertificateId=cert_id)
    code, message, status = _error(lambda: apigw.get_client_certificate(clientCertificateId=cert_id))
    assert (code, status, message) == ("NotFoundException", 404, "Invalid Client Certificate identifier specified")
