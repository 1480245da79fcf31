"""Access log lines: AWS's CLF, JSON, XML and CSV examples, missing values, hostile values."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from strongroom.services.apigateway.dataplane import access_log
from strongroom.services.apigateway.dataplane.chain import GatewayContext, GatewayRequest, context_variables
from strongroom.services.apigateway.dataplane.responses import GatewayResponse

CONTEXT: dict[str, Any] = {
    "requestId": "a1b2",
    "extendedRequestId": "Ext=",
    "identity": {"sourceIp": "192.0.2.1", "caller": None, "user": None, "userAgent": "curl/8"},
    "requestTime": "09/Apr/2015:12:34:56 +0000",
    "httpMethod": "GET",
    "resourcePath": "/pets/{id}",
    "protocol": "HTTP/1.1",
    "status": 200,
    "responseLength": 42,
    "authorizer": {"principalId": "p", "claims": {"sub": "s"}},
    "integration": {"latency": 12, "status": 200},
    "error": {"message": "Forbidden", "responseType": "WAF_FILTERED"},
}


def test_clf() -> None:
    assert access_log.render(access_log.CLF_FORMAT, CONTEXT) == (
        '192.0.2.1 - - [09/Apr/2015:12:34:56 +0000] "GET /pets/{id} HTTP/1.1" 200 42 a1b2 Ext='
    )


def test_json() -> None:
    assert json.loads(access_log.render(access_log.JSON_FORMAT, CONTEXT)) == {
        "requestId": "a1b2",
        "extendedRequestId": "Ext=",
        "ip": "192.0.2.1",
        "caller": "-",
        "user": "-",
        "requestTime": "09/Apr/2015:12:34:56 +0000",
        "httpMethod": "GET",
        "resourcePath": "/pets/{id}",
        "status": "200",
        "protocol": "HTTP/1.1",
        "responseLength": "42",
    }


def test_xml() -> None:
    root = ET.fromstring(access_log.render(access_log.XML_FORMAT, CONTEXT))
    assert root.attrib == {"id": "a1b2"}
    assert root.findtext("ip") == "192.0.2.1" and root.findtext("status") == "200" and root.findtext("user") == "-"


def test_csv() -> None:
    row = next(csv.reader(io.StringIO(access_log.render(access_log.CSV_FORMAT, CONTEXT))))
    assert row == [
        "192.0.2.1",
        "-",
        "-",
        "09/Apr/2015:12:34:56 +0000",
        "GET",
        "/pets/{id}",
        "HTTP/1.1",
        "200",
        "42",
        "a1b2",
        "Ext=",
    ]


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("$context.authorizer.claims.sub $context.authorizer.principalId", "s p"),
        ("$context.integration.latency/$context.integration.status", "12/200"),
        ("$context.error.message $context.error.responseType", "Forbidden WAF_FILTERED"),
        ("$context.nope $context.authorizer.claims.nope $context.identity", "- - -"),
        ("status=$context.status.", "status=200."),  # prose after a variable is not part of its name
        ("${context.requestId}x", "a1b2x"),
        ("$input.body $stageVariables.x $context", "$input.body $stageVariables.x $context"),  # only $context.*
    ],
)
def test_variables(fmt: str, expected: str) -> None:
    assert access_log.render(fmt, CONTEXT) == expected


def test_hostile_values_cannot_forge_lines_or_break_json() -> None:
    context = {**CONTEXT, "identity": {"userAgent": 'x"}\n{"forged": "1', "sourceIp": "1.2.3.4"}}
    line = access_log.render('{"ua": "$context.identity.userAgent", "ip": "$context.identity.sourceIp"}', context)
    assert "\n" not in line
    assert json.loads(line) == {"ua": 'x"}\n{"forged": "1', "ip": "1.2.3.4"}
    plain = access_log.render("$context.identity.userAgent", context)
    assert "\n" not in plain and plain.startswith('x"}\\n')


def test_lines_are_capped() -> None:
    context = {"requestId": "r" * (access_log.MAX_LINE * 2)}
    assert len(access_log.render("$context.requestId", context)) == access_log.MAX_LINE


def test_from_a_chain_context() -> None:
    request = GatewayRequest("POST", "/prod/pets", headers=[("User-Agent", "ua")], source_ip="10.0.0.1", received_at=0)
    ctx = GatewayContext(request=request, request_id="rid", stage="prod", resource_path="/pets")
    ctx.response = GatewayResponse(201, [], b"12345")
    line = access_log.render(access_log.CLF_FORMAT, context_variables(ctx))
    assert line == '10.0.0.1 - - [01/Jan/1970:00:00:00 +0000] "POST /pets HTTP/1.1" 201 5 rid rid'
