"""The catalog loads a service's model on first use: routing works from ``WIRING`` alone until a request needs one."""

from __future__ import annotations

import subprocess
import sys
import threading

import botocore.session
import pytest

from strongroom.protocol.catalog import WIRED_SERVICES, WIRING, Catalog, wiring_of
from strongroom.protocol.http import HttpRequest
from strongroom.protocol.router import resolve

_SCOPE = "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/{}/aws4_request, SignedHeaders=host, Signature=0"


def _request(method: str, path: str, headers: dict[str, str], query: str = "", body: bytes = b"") -> HttpRequest:
    return HttpRequest(method=method, path=path, query_string=query, headers=headers, body=body)


@pytest.mark.parametrize("service", WIRED_SERVICES)
def test_wiring_is_what_the_model_says(service: str) -> None:
    model = botocore.session.get_session().get_service_model(service)
    assert WIRING[service] == wiring_of(model)


def test_a_new_catalog_has_loaded_no_model() -> None:
    catalog = Catalog()
    assert catalog.loaded() == []
    assert "s3" in catalog.services and list(catalog.services) == list(WIRED_SERVICES)
    assert len(catalog.services) == len(WIRED_SERVICES)
    assert "ec2" not in catalog.services
    assert catalog.loaded() == []


def test_a_request_loads_only_its_service() -> None:
    catalog = Catalog()
    kms = _request(
        "POST",
        "/",
        {
            "x-amz-target": "TrentService.Encrypt",
            "content-type": "application/x-amz-json-1.1",
            "authorization": _SCOPE.format("kms"),
        },
    )
    assert resolve(catalog, kms).operation.name == "Encrypt"
    assert catalog.loaded() == ["kms"]
    s3 = _request("GET", "/bucket/key", {"authorization": _SCOPE.format("s3"), "host": "127.0.0.1"})
    assert resolve(catalog, s3).operation.name == "GetObject"
    assert catalog.loaded() == ["kms", "s3"]
    control = _request(
        "GET",
        "/v20180820/configuration/publicAccessBlock",
        {"authorization": _SCOPE.format("s3"), "host": "111122223333.s3-control.localhost"},
    )
    assert resolve(catalog, control).operation.name == "GetPublicAccessBlock"
    assert catalog.loaded() == ["kms", "s3", "s3control"]
    lambda_ = _request("GET", "/2015-03-31/functions", {"authorization": _SCOPE.format("lambda")})
    assert resolve(catalog, lambda_).operation.name == "ListFunctions"
    assert catalog.loaded() == ["kms", "s3", "s3control", "lambda"]
    # the unsigned Action fallback looks only at the query services
    query = _request("POST", "/", {"content-type": "application/x-www-form-urlencoded"}, body=b"Action=GetUser")
    assert resolve(catalog, query).service.service_name == "iam"
    assert catalog.loaded() == ["kms", "s3", "s3control", "lambda", "sts", "iam"]


def test_unknown_names_load_nothing() -> None:
    catalog = Catalog()
    assert catalog.by_target_prefix("NoSuchService_20200101") is None
    assert catalog.by_signing_name("ec2") is None
    with pytest.raises(KeyError):
        catalog.service("ec2")
    assert catalog.loaded() == []


def test_concurrent_first_lookups_get_one_model() -> None:
    """Worker threads route concurrently; codecs and routes cache by model, so a service must have exactly one."""
    catalog = Catalog()
    start = threading.Barrier(8)
    found: list[tuple[object, object]] = []

    def lookup() -> None:
        start.wait()
        found.append((catalog.service("s3control"), catalog.by_signing_name("s3")))

    threads = [threading.Thread(target=lookup) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(found) == 8
    assert len({id(control) for control, _ in found}) == 1 and len({id(s3) for _, s3 in found}) == 1
    assert sorted(catalog.loaded()) == ["s3", "s3control"]


def test_a_catalog_of_other_names_reads_their_models() -> None:
    catalog = Catalog(("kms", "ec2"))
    assert catalog.loaded() == ["ec2"]  # not in WIRING: its model is read for its routing facts
    assert catalog.by_signing_name("ec2") is catalog.service("ec2")


def test_checksums_import_awscrt_only_when_needed() -> None:
    code = (
        "import sys\n"
        "from strongroom.protocol import checksums\n"
        "assert checksums.compute('SHA256', b'x') and checksums.compute('CRC32', b'x')\n"
        "assert 'awscrt' not in sys.modules, 'imported with the module'\n"
        "assert len(checksums.compute('CRC32C', b'x')) == 8\n"
        "assert 'awscrt.checksums' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_on_load_is_told_each_model_once() -> None:
    from strongroom.protocol.catalog import Catalog

    catalog = Catalog()
    told: list[str] = []
    catalog.on_load = told.append
    catalog.service("kms")
    catalog.service("kms")
    catalog.by_target_prefix("TrentService")
    assert told == ["kms"]
