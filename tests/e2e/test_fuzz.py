"""Hypothesis over request bodies and headers of several services: never a 500, never a traceback.

Requests are properly signed (so they get past authentication into the decoders, validators and
providers) and sent through the server's own pipeline in-process, for speed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strongroom.protocol.http import HttpRequest
from strongroom.server.app import StrongroomApp
from tests.support.inprocess import inprocess_server
from tests.support.server import ServerProcess

JSON_TARGETS = [
    ("kms", "TrentService", "CreateKey"),
    ("kms", "TrentService", "Encrypt"),
    ("kms", "TrentService", "Decrypt"),
    ("kms", "TrentService", "ListKeys"),
    ("kms", "TrentService", "DescribeKey"),
    ("secretsmanager", "secretsmanager", "CreateSecret"),
    ("ssm", "AmazonSSM", "PutParameter"),
    ("events", "AWSEvents", "PutEvents"),
    ("acm", "CertificateManager", "RequestCertificate"),
]
REST_PATHS = [
    ("lambda", "GET", "/2015-03-31/functions/"),
    ("lambda", "POST", "/2015-03-31/functions/fn/invocations"),
    ("guardduty", "POST", "/detector"),
    ("macie2", "GET", "/findings/filters/x%2Fy"),
]
QUERY_ACTIONS = [("sts", "GetCallerIdentity"), ("sts", "AssumeRole"), ("iam", "CreateUser"), ("iam", "ListUsers")]
CBOR_OPS = [("acm-pca", "ACMPrivateCA", "IssueCertificate"), ("shield", "AWSShield_20160616", "CreateProtection")]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
headers = st.dictionaries(
    st.sampled_from(["x-amz-target", "content-type", "content-encoding", "x-amz-date", "accept", "x-foo"]),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
    max_size=3,
)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, StrongroomApp]]:
    with inprocess_server(Path(tmp_path_factory.mktemp("fuzz"))) as (handle, _, app):
        yield handle, app


def _send(
    handle: ServerProcess, app: StrongroomApp, service: str, method: str, path: str, body: bytes, hdrs: dict[str, str]
) -> None:
    url = f"http://127.0.0.1:{handle.port}{path}"
    req = AWSRequest(method, url, data=body, headers=hdrs)
    SigV4Auth(Credentials(handle.access_key, handle.secret_key), service, "us-east-1").add_auth(req)
    prepared = req.prepare()
    raw_path, _, query = prepared.url.split(str(handle.port), 1)[1].partition("?")
    request = HttpRequest(
        method=method,
        path=raw_path,
        query_string=query,
        headers={k.lower(): v for k, v in prepared.headers.items()},
        body=body,
    )
    response = app.pipeline.handle(request)
    assert response.status != 500, response.body[:500]
    assert b"Traceback" not in response.body
    assert response.status < 600


settings_ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@settings_
@given(
    target=st.sampled_from(JSON_TARGETS),
    doc=json_values,
    extra=headers,
    raw=st.booleans(),
    noise=st.binary(max_size=64),
)
def test_json_services(
    pipeline: Any, target: tuple[str, str, str], doc: Any, extra: dict[str, str], raw: bool, noise: bytes
) -> None:
    handle, app = pipeline
    service, prefix, op = target
    body = noise if raw else json.dumps(doc).encode()
    hdrs = {"X-Amz-Target": f"{prefix}.{op}", "Content-Type": "application/x-amz-json-1.1", **extra}
    _send(handle, app, service, "POST", "/", body, hdrs)


@settings_
@given(target=st.sampled_from(REST_PATHS), doc=json_values, extra=headers, query=st.text(max_size=40))
def test_rest_json_services(
    pipeline: Any, target: tuple[str, str, str], doc: Any, extra: dict[str, str], query: str
) -> None:
    handle, app = pipeline
    service, method, path = target
    from urllib.parse import quote

    path = path + ("?" + quote(query, safe="=&") if query else "")
    _send(handle, app, service, method, path, json.dumps(doc).encode(), {"Content-Type": "application/json", **extra})


@settings_
@given(
    target=st.sampled_from(QUERY_ACTIONS),
    params=st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=30), max_size=6),
    extra=headers,
)
def test_query_services(pipeline: Any, target: tuple[str, str], params: dict[str, str], extra: dict[str, str]) -> None:
    handle, app = pipeline
    from urllib.parse import urlencode

    service, action = target
    body = urlencode({"Action": action, "Version": "2011-06-15", **params}).encode()
    hdrs = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", **extra}
    _send(handle, app, service, "POST", "/", body, hdrs)


@settings_
@given(target=st.sampled_from(CBOR_OPS), doc=json_values, noise=st.binary(max_size=64), raw=st.booleans())
def test_cbor_services(pipeline: Any, target: tuple[str, str, str], doc: Any, noise: bytes, raw: bool) -> None:
    import cbor2

    handle, app = pipeline
    service, prefix, op = target
    body = noise if raw else cbor2.dumps(doc)
    hdrs = {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor", "Accept": "application/cbor"}
    _send(handle, app, service, "POST", f"/service/{prefix}/operation/{op}", body, hdrs)
