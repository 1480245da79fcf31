"""API Gateway mapping templates: AWS's documented examples, every template variable, template selection."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from strongroom.services.apigateway.dataplane import vtl

CONTEXT: dict[str, Any] = {
    "stage": "prod",
    "requestId": "abcdefg-000-000-0000-abcdefg",
    "extendedRequestId": "Ab1=",
    "accountId": "111122223333",
    "apiId": "abcd1234",
    "resourcePath": "/",
    "resourceId": "efg567",
    "httpMethod": "GET",
    "path": "/prod/",
    "protocol": "HTTP/1.1",
    "domainName": "abcd1234.execute-api.us-east-1.amazonaws.com",
    "requestTime": "09/Apr/2015:12:34:56 +0000",
    "requestTimeEpoch": 1428582896000,
    "identity": {
        "sourceIp": "192.0.2.1",
        "userAgent": "curl/7.84.0",
        "accountId": "111122223333",
        "apiKey": "MyTestKey",
        "apiKeyId": "k1",
        "caller": "ABCD-0000-12345",
        "user": "ABCD-0000-12345",
        "userArn": "arn:aws:sts::111122223333:assumed-role/Admin/carlos-salazar",
    },
    "authorizer": {"principalId": "user|a1b2c3", "tenant": "blue", "claims": {"sub": "s-1"}},
}
PARAMS = vtl.Params(
    path={"petId": "7"},
    querystring={"type": "dog", "petId": "from-query"},
    header={"User-Agent": "curl/7.84.0", "X-Trace": "t-1"},
)


def render(template: str, body: str | bytes = "", **kw: Any) -> vtl.Rendered:
    kw.setdefault("params", PARAMS)
    kw.setdefault("context", CONTEXT)
    kw.setdefault("stage_variables", {"version": "v2", "url": "example.com"})
    return vtl.render(template, body=body, **kw)


# --- AWS's documented examples --------------------------------------------------------------------------------------


def test_example_context_variables() -> None:
    """ "Examples using variables for mapping template transformations", example 1."""
    template = """{
    "stage" : "$context.stage",
    "request_id" : "$context.requestId",
    "api_id" : "$context.apiId",
    "resource_path" : "$context.resourcePath",
    "resource_id" : "$context.resourceId",
    "http_method" : "$context.httpMethod",
    "source_ip" : "$context.identity.sourceIp",
    "user-agent" : "$context.identity.userAgent",
    "account_id" : "$context.identity.accountId",
    "api_key" : "$context.identity.apiKey",
    "caller" : "$context.identity.caller",
    "user" : "$context.identity.user",
    "user_arn" : "$context.identity.userArn"
}"""
    assert json.loads(render(template).body) == {
        "stage": "prod",
        "request_id": "abcdefg-000-000-0000-abcdefg",
        "api_id": "abcd1234",
        "resource_path": "/",
        "resource_id": "efg567",
        "http_method": "GET",
        "source_ip": "192.0.2.1",
        "user-agent": "curl/7.84.0",
        "account_id": "111122223333",
        "api_key": "MyTestKey",
        "caller": "ABCD-0000-12345",
        "user": "ABCD-0000-12345",
        "user_arn": "arn:aws:sts::111122223333:assumed-role/Admin/carlos-salazar",
    }


def test_example_all_parameters() -> None:
    """Example 2: every request parameter passed on through a JSON payload."""
    template = """#set($allParams = $input.params())
{
"params" : {
#foreach($type in $allParams.keySet())
    #set($params = $allParams.get($type))
"$type" : {
    #foreach($paramName in $params.keySet())
    "$paramName" : "$util.escapeJavaScript($params.get($paramName))"
        #if($foreach.hasNext),#end
    #end
}
    #if($foreach.hasNext),#end
#end
}
}"""
    assert json.loads(render(template).body) == {
        "params": {
            "path": {"petId": "7"},
            "querystring": {"type": "dog", "petId": "from-query"},
            "header": {"User-Agent": "curl/7.84.0", "X-Trace": "t-1"},
        }
    }


PHOTOS = {
    "photos": {
        "page": 1,
        "pages": "1234",
        "perpage": 100,
        "total": "123398",
        "photo": [
            {"id": "12345678901", "owner": "23456789@A12", "title": "Sample photo 1", "ispublic": True,
             "isfriend": False, "isfamily": False},
            {"id": "23456789012", "owner": "34567890@B23", "title": "Sample photo 2", "ispublic": True,
             "isfriend": False, "isfamily": False},
        ],
    }
}  # fmt: skip


def test_example_photos_output_mapping() -> None:
    """The photos example of "Mapping template transformations": $input.path, #foreach, $foreach.hasNext."""
    template = """#set($inputRoot = $input.path('$'))
{
  "photos": [
#foreach($elem in $inputRoot.photos.photo)
    {
      "id": "$elem.id",
      "photographedBy": "$elem.owner",
      "title": "$elem.title",
      "ispublic": $elem.ispublic,
      "isfriend": $elem.isfriend,
      "isfamily": $elem.isfamily
    }#if($foreach.hasNext),#end
#end
  ]
}"""
    out = json.loads(render(template, json.dumps(PHOTOS), response=True).body)
    assert out == {
        "photos": [
            {"id": "12345678901", "photographedBy": "23456789@A12", "title": "Sample photo 1", "ispublic": True,
             "isfriend": False, "isfamily": False},
            {"id": "23456789012", "photographedBy": "34567890@B23", "title": "Sample photo 2", "ispublic": True,
             "isfriend": False, "isfamily": False},
        ]
    }  # fmt: skip


def test_example_response_override() -> None:
    """ "Override your API's request and response parameters and status codes": status and header from a template."""
    template = """#set($inputRoot = $input.path('$'))
$input.json("$")
#if($inputRoot.toString().contains("error"))
#set($context.responseOverride.status = 400)
#set($context.responseOverride.header.colors = "#FF0000")
#end"""
    failed = render(template, '{"message": "error"}', response=True)
    assert failed.status_override == 400
    assert failed.header_overrides == {"colors": "#FF0000"}
    assert json.loads(failed.body) == {"message": "error"}
    fine = render(template, '{"message": "ok"}', response=True)
    assert fine.status_override is None and fine.header_overrides == {}


def test_example_request_override() -> None:
    template = """#set($context.requestOverride.header.x-tenant = $context.authorizer.tenant)
#set($context.requestOverride.querystring.page = "2")
#set($context.requestOverride.path.petId = "8")ok"""
    out = render(template)
    assert out.body == "ok"
    assert out.request_overrides == {
        "header": {"x-tenant": "blue"},
        "querystring": {"page": "2"},
        "path": {"petId": "8"},
    }


def test_example_escape_javascript_then_unescape_quotes() -> None:
    """AWS's documented way to make escapeJavaScript's output JSON: `.replaceAll("\\'","'")` (Velocity strings have
    no backslash escapes, so the pattern is the three characters \\ \\ ')."""
    template = """{"msg": "$util.escapeJavaScript($input.path('$.msg')).replaceAll("\\\\'","'")"}"""
    out = render(template, json.dumps({"msg": 'it\'s "quoted"\n/path'}))
    assert json.loads(out.body) == {"msg": 'it\'s "quoted"\n/path'}


def test_example_parse_json() -> None:
    template = """#set($map = $util.parseJson($input.json('$.a')))
$map.b.size() $map.b.get(0) $map.c"""
    assert render(template, '{"a": {"b": [1, 2], "c": "x"}}').body.split() == ["2", "1", "x"]


# --- $input ---------------------------------------------------------------------------------------------------------

BODY = json.dumps({"a": {"b": [1, 2, {"c": "x"}], "n": None, "f": 1.5, "t": True}, "s": "text", "k-1": 3})


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("$input.body", BODY),
        ("$input.json('$')", json.dumps(json.loads(BODY), separators=(",", ":"))),
        ("$input.json('$.a.b')", '[1,2,{"c":"x"}]'),
        ("$input.json('$.a.b[2]')", '{"c":"x"}'),
        ("$input.json('$.a.b[-1].c')", '"x"'),
        ("$input.json('$.s')", '"text"'),
        ("$input.json(\"$['k-1']\")", "3"),
        ("$input.json('$.a.b[*].c')", '["x"]'),
        ("$input.json('$.missing')", ""),
        ("$input.path('$.a.b')", "[1, 2, {c=x}]"),
        ("$input.path('$.a.b').size()", "3"),
        ("$input.path('$.a.b')[1]", "2"),
        ("$input.path('$.a.f')", "1.5"),
        ("$input.path('$.a.t')", "true"),
        ("$input.path('$.s').toUpperCase()", "TEXT"),
        ("$input.path('$.missing')", "$input.path('$.missing')"),  # Velocity writes a null reference as written
        ("$!input.path('$.missing')", ""),
        ("$input.params('petId')", "7"),  # path before query string
        ("$input.params('type')", "dog"),
        ("$input.params('x-trace')", "t-1"),  # headers case-insensitively
        ("$input.params('nope')", ""),
        ("$input.params().header.get('X-Trace')", "t-1"),
        ("$input.params().querystring.type", "dog"),
        ("$input.params().path", "{petId=7}"),
    ],
)
def test_input(template: str, expected: str) -> None:
    assert render(template, BODY).body == expected


def test_input_json_on_empty_body_is_an_empty_object() -> None:
    assert render("$input.json('$')").body == "{}"
    assert render("$input.path('$').size()").body == "0"


def test_request_body_that_is_not_json_answers_400() -> None:
    with pytest.raises(vtl.TemplateFailure) as raised:
        render("$input.json('$.a')", "not json")
    assert raised.value.status == 400
    assert raised.value.message.startswith("Could not parse request body into json")
    assert raised.value.response_type == "BAD_REQUEST_BODY"


def test_response_body_that_is_not_json_answers_500() -> None:
    with pytest.raises(vtl.TemplateFailure) as raised:
        render("$input.json('$.a')", "<html>", response=True)
    assert (raised.value.status, raised.value.message) == (500, "Internal server error")


def test_invalid_json_path_answers_500_with_the_reason_logged() -> None:
    with pytest.raises(vtl.TemplateFailure) as raised:
        render("$input.json('a.b')", BODY)
    assert raised.value.status == 500 and "Invalid JSONPath" in raised.value.log_reason


# --- $util, $context, $stageVariables -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('$util.escapeJavaScript("it\'s")', "it\\'s"),
        ("$util.escapeJavaScript('say \"hi\" / \\\\')", 'say \\"hi\\" \\/ \\\\\\\\'),
        ("$util.escapeJavaScript('é😀')", "\\u00E9\\uD83D\\uDE00"),
        ("$util.urlEncode('a b&c=d/é~*')", "a+b%26c%3Dd%2F%C3%A9%7E*"),
        ("$util.urlDecode('a+b%26c%3Dd%2F%C3%A9')", "a b&c=d/é"),
        ("$util.base64Encode('hello')", base64.b64encode(b"hello").decode()),
        ("$util.base64Decode('aGVsbG8=')", "hello"),
        ("$util.parseJson('[1,2]').size()", "2"),
        (
            "$context.authorizer.principalId $context.authorizer.tenant $context.authorizer.claims.sub",
            "user|a1b2c3 blue s-1",
        ),
        ("$context.identity.apiKeyId $context.requestTimeEpoch", "k1 1428582896000"),
        ("$stageVariables.version ${stageVariables.url} $stageVariables.nope", "v2 example.com $stageVariables.nope"),
        ("#set($x = 5)#if($x > 3 && $x % 2 == 1)odd#{else}even#end", "odd"),
        ("#set($l = [])#set($ok = $l.add('a'))$l.size() $l", "1 [a]"),
        (
            "#set($s = 'a,b,,c,,')$s.split(',').size() $s.replace(',', ';') $s.indexOf('c') $s.substring(2)",
            "4 a;b;;c;; 5 b,,c,,",
        ),
        ("#set($m = {'k': 1})$m.containsKey('k') $m.keySet() $m.values()", "true [k] [1]"),
        ("#foreach($v in {'a': 1, 'b': 2})$v#end", "12"),  # a map iterates its values
        ("#set($t = 'abc')$t.matches('[a-c]+') $t.replaceAll('(b)', '[$1]')", "true a[b]c"),
        ("#macro(greet $n)hi $n#end#greet('bob')", "hi bob"),
        ("#set($n = 7 / 2)$n #set($m = -7 / 2)$m", "3 -3"),
        ("#set($d = 1.5 * 2)$d", "3.0"),
        ("'it''s'", "'it''s'"),
        ("#set($q = 'it''s')$q", "it's"),
    ],
)
def test_util_context_and_language(template: str, expected: str) -> None:
    assert render(template).body == expected


def test_templates_cannot_change_the_callers_context() -> None:
    context = {"identity": {"sourceIp": "1.2.3.4"}}
    render("#set($context.identity.sourceIp = 'x')", context=context)
    assert context == {"identity": {"sourceIp": "1.2.3.4"}}


@pytest.mark.parametrize("status", ["'abc'", "99", "600"])
def test_invalid_response_override_status_is_a_500(status: str) -> None:
    with pytest.raises(vtl.TemplateFailure) as raised:
        render(f"#set($context.responseOverride.status = {status})", response=True)
    assert raised.value.status == 500


# --- template selection ---------------------------------------------------------------------------------------------

TEMPLATES = {"application/json": "J", "application/xml": "X"}


@pytest.mark.parametrize(
    ("templates", "content_type", "behavior", "expected"),
    [
        (TEMPLATES, "application/json", "WHEN_NO_MATCH", "J"),
        (TEMPLATES, "application/json; charset=UTF-8", "NEVER", "J"),
        (TEMPLATES, "Application/XML", "WHEN_NO_TEMPLATES", "X"),
        (TEMPLATES, None, "NEVER", "J"),  # no Content-Type: application/json
        (TEMPLATES, "", "NEVER", "J"),
        (TEMPLATES, "text/plain", "WHEN_NO_MATCH", None),  # passthrough
        (TEMPLATES, "text/plain", None, None),  # WHEN_NO_MATCH is the default
        ({}, "text/plain", "WHEN_NO_TEMPLATES", None),
        (None, "text/plain", "WHEN_NO_MATCH", None),
        (TEMPLATES, "text/plain", "WHEN_NO_TEMPLATES", 415),
        (TEMPLATES, "text/plain", "NEVER", 415),
        ({}, "application/json", "NEVER", 415),
    ],
)
def test_select_request_template(
    templates: dict[str, str] | None, content_type: str | None, behavior: str | None, expected: str | int | None
) -> None:
    if expected == 415:
        with pytest.raises(vtl.TemplateFailure) as raised:
            vtl.select_request_template(templates, content_type, behavior)
        assert (raised.value.status, raised.value.message) == (415, "Unsupported Media Type")
        assert raised.value.response_type == "UNSUPPORTED_MEDIA_TYPE"
    else:
        assert vtl.select_request_template(templates, content_type, behavior) == expected


@pytest.mark.parametrize(
    ("templates", "accept", "expected"),
    [
        (TEMPLATES, "application/xml", "X"),
        (TEMPLATES, "text/html, application/xml;q=0.9", "X"),
        (TEMPLATES, None, "J"),
        (TEMPLATES, "*/*", "J"),
        (TEMPLATES, "text/html", "J"),
        ({"text/plain": "T", "application/xml": "X"}, "text/html", "T"),
        ({}, "application/json", None),
    ],
)
def test_select_response_template(templates: dict[str, str], accept: str | None, expected: str | None) -> None:
    assert vtl.select_response_template(templates, accept) == expected


def test_escape_javascript_matches_commons_lang() -> None:
    assert vtl.escape_javascript("a\b\t\n\f\r\x01\x7f") == "a\\b\\t\\n\\f\\r\\u0001\x7f"
    assert vtl.escape_javascript("\u0100\u1234") == "\\u0100\\u1234"


def test_changing_what_input_path_returned_does_not_change_input_json() -> None:
    template = "#set($d = $input.path('$'))#set($ok = $d.put('a', $d))#set($ok = $d.put('b', 2))$input.json('$') $d.b"
    assert render(template, '{"a": 1}').body == '{"a":1} 2'
