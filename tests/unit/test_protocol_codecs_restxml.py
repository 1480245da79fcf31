"""Round trips of the rest-xml codec against botocore's own S3 serializer and parser, for every S3 operation,
plus S3's wire details: keys in paths, streaming bodies, error documents and hostile XML."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import boto3
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse, HeadersDict
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.handlers import parse_get_bucket_location
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.parsers import create_parser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strongroom.core.errors import AwsError
from strongroom.protocol.codecs.restxml import MALFORMED_XML_MESSAGE, RestXmlCodec, host_id
from strongroom.protocol.http import HttpRequest, HttpResponse
from tests.support.shapegen import operation_input, operation_output
from tests.unit.test_protocol_codecs_json import botocore_request, normal

SEEDS = tuple(range(8))
CODEC = RestXmlCodec()
S3: ServiceModel = botocore.session.get_session().get_service_model("s3")
S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"


def _op(name: str) -> OperationModel:
    return S3.operation_model(name)


OPERATIONS = [_op(name) for name in S3.operation_names]
# The deprecated notification shapes give two members one element name (``Event`` and the flattened ``Events``
# are both ``<Event>``): no codec can round-trip that. test_deprecated_notification_events pins what we do.
AMBIGUOUS = {"PutBucketNotification", "GetBucketNotification"}


def _raw_payload(shape: Shape | None) -> str | None:
    """The payload member carried as the raw body (a blob or a string), if any."""
    payload = shape.serialization.get("payload") if shape is not None else None
    if shape is None or payload is None:
        return None
    return str(payload) if shape.members[payload].type_name in ("blob", "string") else None


def _streaming_input(operation: OperationModel) -> str | None:
    payload = _raw_payload(operation.input_shape)
    return payload if payload and operation.input_shape.members[payload].serialization.get("streaming") else None


def _has_event_stream(operation: OperationModel) -> bool:
    shape = operation.output_shape
    return shape is not None and any(m.serialization.get("eventstream") for m in shape.members.values())


def _drop_unsent(shape: Shape, value: Any) -> Any:
    """Values the XML wire cannot tell from absence: an empty flattened list or map writes no element at all."""
    if shape.type_name == "structure" and isinstance(value, dict):
        out = {}
        for name, item in value.items():
            member = shape.members[name]
            if member.type_name in ("list", "map") and member.serialization.get("flattened") and not item:
                continue
            out[name] = _drop_unsent(member, item)
        return out
    if shape.type_name == "list" and isinstance(value, list):
        return [_drop_unsent(shape.member, item) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: _drop_unsent(shape.value, v) for k, v in value.items()}
    return value


def expected_input(operation: OperationModel, params: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    """What survives botocore's rest-xml wire: empty header lists and maps are not sent, header-map keys come
    back lower-cased (HTTP header names are case-insensitive), empty flattened lists vanish, and the HTTP layer
    adds ``Content-Length``, which PutObject and UploadPart model as a member."""
    shape = operation.input_shape
    out = dict(params)
    if shape is None:
        return out
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = str(member.serialization.get("name", "")).lower()
        if location == "header" and wire == "content-length" and wire in request.headers:
            out[name] = int(request.headers[wire])
        if location in ("header", "headers", "querystring") and member.type_name in ("list", "map"):
            if not out.get(name):
                out.pop(name, None)
            elif location == "headers":
                out[name] = {k.lower(): v for k, v in out[name].items()}
    payload = shape.serialization.get("payload")
    if payload and payload in out and shape.members[payload].type_name == "structure":
        out[payload] = _drop_unsent(shape.members[payload], out[payload])
    return _drop_unsent(shape, out) if not payload else out


@pytest.mark.parametrize("seed", SEEDS)
def test_decode_round_trips_every_operation(seed: int) -> None:
    failures: list[str] = []
    for operation in OPERATIONS:
        if operation.name in AMBIGUOUS:
            continue
        params = operation_input(operation, seed, required_nonempty=True)
        for name, member in operation.input_shape.members.items() if operation.input_shape else ():
            if member.serialization.get("hostLabel"):
                params[name] = "route-1"  # botocore only accepts host-name characters here
        request = botocore_request(operation, params, "rest-xml")
        decoded = CODEC.decode(operation, request)
        streaming = _streaming_input(operation)
        if streaming:
            body = decoded.pop(streaming)
            assert isinstance(body, io.BytesIO) and body.read() == b"", operation.name  # shapegen sends none
        if normal(decoded) != normal(expected_input(operation, params, request)):
            failures.append(f"{operation.name}: {request!r}\n{params!r} !=\n{decoded!r}")
    assert not failures, "\n".join(failures[:5])


def botocore_parse(operation: OperationModel, response: HttpResponse) -> dict[str, Any]:
    """What a boto3 client returns, with botocore's S3 handler for GetBucketLocation's unmodelable body."""
    headers = HeadersDict()
    for k, v in response.headers:
        headers[k] = v
    body: Any = response.body
    if operation.has_streaming_output:
        body = bytearray(body)  # not ``bytes``: botocore leaves it undecoded, like its StreamingBody
    parsed = create_parser("rest-xml").parse(
        {"status_code": response.status, "headers": headers, "body": body}, operation.output_shape
    )
    if operation.name == "GetBucketLocation":
        parse_get_bucket_location(parsed, SimpleNamespace(raw=object(), content=response.body))
    parsed.pop("ResponseMetadata", None)
    return {k: bytes(v) if isinstance(v, bytearray) else v for k, v in parsed.items()}


def expected_output(operation: OperationModel, output: dict[str, Any]) -> dict[str, Any]:
    shape = operation.output_shape
    if shape is None:
        return dict(output)
    out: dict[str, Any] = _drop_unsent(shape, dict(output))
    for name, member in shape.members.items():
        if member.serialization.get("location") == "headers":
            out.setdefault(name, {})  # botocore always reports header maps
    if operation.name == "GetBucketLocation":
        out.setdefault("LocationConstraint", None)  # an empty element: us-east-1, as AWS answers it
    payload = shape.serialization.get("payload")
    if payload and payload not in out:
        kind = shape.members[payload].type_name
        out[payload] = {"structure": {}, "string": ""}.get(kind, b"")
    return out


@pytest.mark.parametrize("seed", SEEDS)
def test_encode_round_trips_every_operation(seed: int) -> None:
    failures: list[str] = []
    for operation in OPERATIONS:
        if _has_event_stream(operation) or operation.name in AMBIGUOUS:
            continue  # SelectObjectContent's event stream is out of the codecs' scope
        output = operation_output(operation, seed)
        response = CODEC.encode(operation, output, "req-1")
        assert response.header("x-amz-request-id") == "req-1"
        assert response.header("x-amz-id-2") == host_id("req-1")
        assert response.status == int(operation.http.get("responseCode", 200))
        if response.body:
            assert response.body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n') or _raw_payload(
                operation.output_shape
            )
        parsed = botocore_parse(operation, response)
        if normal(parsed) != normal(expected_output(operation, output)):
            failures.append(f"{operation.name}: {output!r} !=\n{parsed!r}\n{response.body!r}")
    assert not failures, "\n".join(failures[:5])


# ---- hand cases: requests ----------------------------------------------------------------------------


def test_keys_with_encoded_slashes_spaces_and_unicode() -> None:
    op = _op("GetObject")
    for key in ("dir/sub dir/file%2F+.txt", "/lead//double//", "é中 ?#&=;", "a+b", "trailing/"):
        request = botocore_request(op, {"Bucket": "b", "Key": key}, "rest-xml")
        assert CODEC.decode(op, request) == {"Bucket": "b", "Key": key}, request.path
    raw = HttpRequest("GET", "/bkt/a%2Fb/c%20d%25e", "versionId=v%2B1&x-id=GetObject", {})
    assert CODEC.decode(op, raw) == {"Bucket": "bkt", "Key": "a/b/c d%e", "VersionId": "v+1"}
    listing = HttpRequest("GET", "/bkt/", "list-type=2&max-keys=7&prefix=a%2Fb", {})
    assert CODEC.decode(_op("ListObjectsV2"), listing) == {"Bucket": "bkt", "MaxKeys": 7, "Prefix": "a/b"}


def test_headers_metadata_and_bad_values() -> None:
    op = _op("PutObject")
    headers = {
        "x-amz-meta-color": "Blue",
        "x-amz-meta-empty": "",
        "content-length": "5",
        "expires": "Wed, 01 Jan 2031 00:00:00 GMT",
        "x-amz-object-lock-retain-until-date": "2031-01-01T00:00:00Z",
        "x-amz-server-side-encryption-bucket-key-enabled": "true",
        "x-amz-checksum-crc32": "AAAAAA==",
    }
    got = CODEC.decode(op, HttpRequest("PUT", "/b/k", "", headers, b"hello"))
    assert got["Metadata"] == {"color": "Blue", "empty": ""}
    assert got["ContentLength"] == 5 and got["BucketKeyEnabled"] is True
    assert got["Expires"] == datetime(2031, 1, 1, tzinfo=UTC)
    assert got["ObjectLockRetainUntilDate"] == datetime(2031, 1, 1, tzinfo=UTC)
    for name, value in (
        ("content-length", "five"),
        ("x-amz-server-side-encryption-bucket-key-enabled", "yes"),
        ("expires", "whenever"),
    ):
        with pytest.raises(AwsError) as info:
            CODEC.decode(op, HttpRequest("PUT", "/b/k", "", {name: value}))
        assert (info.value.code, info.value.status) == ("InvalidArgument", 400)
    with pytest.raises(AwsError) as info:
        CODEC.decode(_op("ListObjectsV2"), HttpRequest("GET", "/b", "list-type=2&max-keys=lots", {}))
    assert info.value.code == "InvalidArgument"
    attrs = CODEC.decode(
        _op("GetObjectAttributes"),
        HttpRequest("GET", "/b/k", "attributes", {"x-amz-object-attributes": "ETag, ObjectSize"}),
    )
    assert attrs["ObjectAttributes"] == ["ETag", "ObjectSize"]


class _Unreadable(io.RawIOBase):
    def read(self, n: int = -1, /) -> bytes:
        raise AssertionError("the codec must not read a streaming body")


def test_streaming_body_is_handed_over_unread() -> None:
    op = _op("PutObject")
    stream = _Unreadable()
    request = HttpRequest("PUT", "/b/k", "", {"content-length": "3"})
    request.stream = stream
    assert CODEC.decode(op, request)["Body"] is stream
    fallback = CODEC.decode(_op("UploadPart"), HttpRequest("PUT", "/b/k", "partNumber=2&uploadId=u", {}, b"abc"))
    assert fallback["Body"].read() == b"abc" and fallback["PartNumber"] == 2 and fallback["UploadId"] == "u"


def test_string_payload_and_empty_payloads() -> None:
    policy = '{"Version":"2012-10-17","Statement":[]}'
    request = botocore_request(_op("PutBucketPolicy"), {"Bucket": "b", "Policy": policy}, "rest-xml")
    assert CODEC.decode(_op("PutBucketPolicy"), request) == {"Bucket": "b", "Policy": policy}
    with pytest.raises(AwsError) as info:
        CODEC.decode(_op("PutBucketPolicy"), HttpRequest("PUT", "/b", "policy", {}, b"\xff\xfe"))
    assert info.value.code == "InvalidArgument"
    assert CODEC.decode(_op("CreateBucket"), HttpRequest("PUT", "/b", "", {}, b"")) == {"Bucket": "b"}
    assert CODEC.decode(_op("CreateBucket"), HttpRequest("PUT", "/b", "", {}, b"  \n")) == {"Bucket": "b"}


def test_xml_bodies_as_other_clients_write_them() -> None:
    """Namespaced or not, prefixed, with declarations, whitespace and elements the model does not know."""
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<s3:Delete xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/">\n'
        b"  <s3:Object><s3:Key> spaced key </s3:Key><s3:VersionId>v1</s3:VersionId><Unknown>x</Unknown></s3:Object>\n"
        b"  <!-- a comment --><s3:Object><s3:Key>a&amp;b&#13;</s3:Key></s3:Object>\n"
        b"  <s3:Quiet>true</s3:Quiet>\n"
        b"</s3:Delete>"
    )
    got = CODEC.decode(_op("DeleteObjects"), HttpRequest("POST", "/b", "delete", {}, body))
    assert got["Delete"] == {"Objects": [{"Key": " spaced key ", "VersionId": "v1"}, {"Key": "a&b\r"}], "Quiet": True}
    acl = (
        b"<AccessControlPolicy><AccessControlList><Grant>"
        b'<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group">'
        b"<URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission>"
        b"</Grant></AccessControlList></AccessControlPolicy>"
    )
    got = CODEC.decode(_op("PutBucketAcl"), HttpRequest("PUT", "/b", "acl", {}, acl))
    grant = got["AccessControlPolicy"]["Grants"][0]
    assert grant["Grantee"] == {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}
    complete = (
        b'<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"e1"</ETag></Part></CompleteMultipartUpload>'
    )
    got = CODEC.decode(_op("CompleteMultipartUpload"), HttpRequest("POST", "/b/k", "uploadId=u", {}, complete))
    assert got["MultipartUpload"] == {"Parts": [{"PartNumber": 1, "ETag": '"e1"'}]}


def test_deprecated_notification_events() -> None:
    """Every ``<Event>`` goes to the list; the single deprecated ``Event`` is the first of them."""
    body = (
        b"<NotificationConfiguration><TopicConfiguration><Event>a</Event><Event>b</Event><Topic>t</Topic>"
        b"</TopicConfiguration></NotificationConfiguration>"
    )
    got = CODEC.decode(_op("PutBucketNotification"), HttpRequest("PUT", "/b", "notification", {}, body))
    topic = got["NotificationConfiguration"]["TopicConfiguration"]
    assert topic == {"Event": "a", "Events": ["a", "b"], "Topic": "t"}


@pytest.mark.parametrize(
    "body",
    [
        b"<Delete><Object><Key>k</Key></Object>",  # unclosed
        b"not xml at all",
        b"<Delete><Object><Key>k</Key></Object></Delete><Extra/>",
        b"<CompleteMultipartUpload><Part><PartNumber>one</PartNumber></Part></CompleteMultipartUpload>",
        b"<Delete><Quiet>maybe</Quiet></Delete>",
        b'<?xml version="1.0" encoding="no-such-encoding"?><Delete/>',
        b"\xff\xfe<\x00D\x00",
    ],
)
def test_malformed_xml(body: bytes) -> None:
    op = _op("CompleteMultipartUpload") if b"Complete" in body else _op("DeleteObjects")
    with pytest.raises(AwsError) as info:
        CODEC.decode(op, HttpRequest("POST", "/b/k" if b"Complete" in body else "/b", "delete", {}, body))
    assert (info.value.code, info.value.status, info.value.message) == ("MalformedXML", 400, MALFORMED_XML_MESSAGE)


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode() for i in range(1, 10)
    )
    + b"]><Tagging><TagSet><Tag><Key>&lol9;</Key><Value>v</Value></Tag></TagSet></Tagging>"
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<Tagging><TagSet><Tag><Key>&xxe;</Key><Value>v</Value></Tag></TagSet></Tagging>"
)
PARAMETER_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>'
    b"<Tagging><TagSet/></Tagging>"
)
DOCTYPE_ONLY = b'<?xml version="1.0"?><!DOCTYPE Tagging SYSTEM "http://127.0.0.1:9/t.dtd"><Tagging><TagSet/></Tagging>'


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY, PARAMETER_ENTITY, DOCTYPE_ONLY])
def test_hostile_xml_is_refused_without_expanding(body: bytes) -> None:
    with pytest.raises(AwsError) as info:
        CODEC.decode(_op("PutBucketTagging"), HttpRequest("PUT", "/b", "tagging", {}, body))
    assert info.value.code == "MalformedXML"


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.sampled_from(
        ["DeleteObjects", "PutBucketTagging", "CompleteMultipartUpload", "PutBucketLifecycleConfiguration"]
    ),
    st.one_of(
        st.binary(max_size=300),
        st.text(alphabet="<>/=\"' &;#xX0123456789abcDeleteObjectKeyTagSetPartNumber", max_size=200).map(str.encode),
    ),
    st.text(max_size=30),
)
def test_random_input_never_escapes_as_python_errors(name: str, body: bytes, path: str) -> None:
    op = _op(name)
    try:
        CODEC.decode(op, HttpRequest(op.http["method"], "/b/" + path, "uploadId=u", {}, body))
    except AwsError as exc:
        assert exc.code in ("MalformedXML", "InvalidArgument")


# ---- hand cases: responses ---------------------------------------------------------------------------


# The ListObjectsV2 example of the S3 API reference (Examples, "Listing keys"), as AWS sends it.
AWS_LIST_OBJECTS_V2 = b"""<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
    <Name>bucket</Name>
    <Prefix/>
    <KeyCount>205</KeyCount>
    <MaxKeys>1000</MaxKeys>
    <IsTruncated>false</IsTruncated>
    <Contents>
        <Key>my-image.jpg</Key>
        <LastModified>2009-10-12T17:50:30.000Z</LastModified>
        <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>
        <Size>434234</Size>
        <StorageClass>STANDARD</StorageClass>
    </Contents>
</ListBucketResult>"""


def _elements(element: ElementTree.Element) -> Any:
    """An element tree as nested (name, text-or-children) pairs, in name order: XML readers key by name."""
    children = sorted((_elements(child) for child in element), key=repr)
    return (element.tag, children if children else (element.text or "").strip())


def test_list_objects_v2_matches_aws_documentation_example() -> None:
    op = _op("ListObjectsV2")
    expected = botocore_parse(op, HttpResponse(200, [("x-amz-request-id", "r")], AWS_LIST_OBJECTS_V2))
    assert expected["Contents"][0]["Size"] == 434234 and expected["Prefix"] == ""
    response = CODEC.encode(op, expected, "r")
    assert response.header("Content-Type") == "application/xml"
    assert response.body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="')
    assert _elements(ElementTree.fromstring(response.body)) == _elements(ElementTree.fromstring(AWS_LIST_OBJECTS_V2))
    assert botocore_parse(op, response) == expected


@pytest.mark.parametrize(
    ("operation", "root"),
    [
        ("ListBuckets", "ListAllMyBucketsResult"),
        ("CreateMultipartUpload", "InitiateMultipartUploadResult"),
        ("ListObjects", "ListBucketResult"),
        ("GetBucketTagging", "Tagging"),
        ("DeleteObjects", "DeleteResult"),
        ("ListObjectAnnotations", "ListObjectAnnotationsResult"),  # not listed: the model's name, Output -> Result
    ],
)
def test_root_elements_are_what_aws_sends(operation: str, root: str) -> None:
    response = CODEC.encode(_op(operation), {"Bucket": "b"}, "r")
    assert ElementTree.fromstring(response.body).tag == "{" + S3_NS + "}" + root


def test_payload_roots_headers_and_status() -> None:
    when = datetime(2026, 12, 6, 10, 0, 0, 123456, tzinfo=UTC)
    copy = CODEC.encode(_op("CopyObject"), {"CopyObjectResult": {"ETag": '"e"', "LastModified": when}}, "r")
    assert b'<CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' in copy.body
    assert b"<LastModified>2026-12-06T10:00:00.123Z</LastModified>" in copy.body
    hold = CODEC.encode(_op("GetObjectLegalHold"), {"LegalHold": {"Status": "ON"}}, "r")
    assert ElementTree.fromstring(hold.body).tag == "{" + S3_NS + "}LegalHold"
    deleted = CODEC.encode(_op("DeleteObject"), {"DeleteMarker": True, "VersionId": "v"}, "r")
    assert (deleted.status, deleted.body) == (204, b"")
    assert deleted.header("x-amz-delete-marker") == "true" and deleted.header("Content-Type") is None
    head = CODEC.encode(
        _op("HeadObject"),
        {"LastModified": when, "ContentLength": 3, "Metadata": {"color": "blue"}, "ObjectLockRetainUntilDate": when},
        "r",
    )
    assert head.header("Last-Modified") == "Sun, 06 Dec 2026 10:00:00 GMT"
    assert head.header("x-amz-meta-color") == "blue" and head.header("Content-Length") == "3"
    assert (
        head.header(
            "x-amz-object-lock-retain-until-date",
        )
        == "2026-12-06T10:00:00.123456Z"
    )
    assert head.body == b""
    location = CODEC.encode(_op("GetBucketLocation"), {"LocationConstraint": "eu-west-1"}, "r")
    assert location.body.endswith(
        b'<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1</LocationConstraint>'
    )


def test_get_object_bodies_bytes_iterators_and_files() -> None:
    op = _op("GetObject")
    plain = CODEC.encode(op, {"Body": b"abc", "ContentLength": 3, "ContentType": "text/plain"}, "r")
    assert (plain.body, plain.stream, plain.header("Content-Type")) == (b"abc", None, "text/plain")
    chunks = iter([b"ab", b"c"])
    streamed = CODEC.encode(op, {"Body": chunks, "ContentLength": 3}, "r")
    assert streamed.body == b"" and streamed.stream is not None and b"".join(streamed.stream) == b"abc"
    assert streamed.header("Content-Length") == "3"
    from_file = CODEC.encode(op, {"Body": io.BytesIO(b"x" * 200_000)}, "r")
    assert from_file.stream is not None and sum(len(c) for c in from_file.stream) == 200_000
    assert CODEC.encode(_op("GetBucketPolicy"), {"Policy": "{}"}, "r").body == b"{}"


def test_text_that_xml_would_mangle_survives() -> None:
    op = _op("ListObjectsV2")
    key = "a&b<c>d\"e'f\r\ng\tz]]>"
    response = CODEC.encode(op, {"Contents": [{"Key": key}], "Name": "b"}, "r")
    assert botocore_parse(op, response)["Contents"] == [{"Key": key}]
    bad = CODEC.encode(op, {"Contents": [{"Key": "nul\x00here"}]}, "r")
    assert botocore_parse(op, bad)["Contents"] == [{"Key": "nul\ufffdhere"}]  # XML 1.0 cannot carry NUL


# ---- errors --------------------------------------------------------------------------------------------


def _parse_error(response: HttpResponse, operation: OperationModel | None = None) -> dict[str, Any]:
    headers = HeadersDict()
    for k, v in response.headers:
        headers[k] = v
    shape = operation.output_shape if operation is not None else None
    return dict(
        create_parser("rest-xml").parse(
            {"status_code": response.status, "headers": headers, "body": response.body}, shape
        )
    )


def test_error_document_parses_with_extra_fields() -> None:
    err = AwsError("The specified key does not exist.", code="NoSuchKey", status=404, Key="a/b&c", BucketName="b")
    response = CODEC.encode_error(S3, _op("GetObject"), err, "req-9")
    assert response.status == 404 and response.header("Content-Type") == "application/xml"
    assert response.body == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
        b"<Message>The specified key does not exist.</Message><Key>a/b&amp;c</Key><BucketName>b</BucketName>"
        b"<RequestId>req-9</RequestId><HostId>" + host_id("req-9").encode() + b"</HostId></Error>"
    )
    parsed = _parse_error(response, _op("GetObject"))
    assert parsed["Error"] == {
        "Code": "NoSuchKey",
        "Message": "The specified key does not exist.",
        "Key": "a/b&c",
        "BucketName": "b",
    }
    assert parsed["ResponseMetadata"]["RequestId"] == "req-9"
    assert parsed["ResponseMetadata"]["HostId"] == host_id("req-9")


def test_error_extra_attribute_and_odd_field_values() -> None:
    err = AwsError("bad", code="InvalidArgument", status=400, ArgumentName="max-keys", Code="ignored", Bad_="ok")
    err.extra = {"ArgumentValue": "lots"}  # type: ignore[attr-defined]
    parsed = _parse_error(CODEC.encode_error(S3, None, err, "r"))["Error"]
    assert parsed == {
        "Code": "InvalidArgument",
        "Message": "bad",
        "ArgumentValue": "lots",  # ``extra`` first, then the error's fields in their order
        "ArgumentName": "max-keys",
        "Bad_": "ok",
    }
    odd = AwsError(
        "m", code="X", status=409, When=datetime(2026, 1, 2, tzinfo=UTC), Flag=True, Raw=b"\x00", Nested={"A": 1}
    )
    body = CODEC.encode_error(S3, None, odd, "r").body
    assert b"<When>2026-01-02T00:00:00.000Z</When><Flag>true</Flag><Raw>AA==</Raw><Nested><A>1</A></Nested>" in body


def test_head_and_not_modified_errors_have_no_body() -> None:
    err = AwsError("Not Found", code="NoSuchKey", status=404)
    for response in (
        CODEC.encode_error(S3, _op("GetObject"), err, "r", head=True),
        CODEC.encode_error(S3, _op("HeadObject"), err, "r"),
    ):
        assert (response.status, response.body) == (404, b"")
        assert _parse_error(response)["Error"]["Code"] == "404"  # what boto3 reports for S3 HEAD errors
    not_modified = CODEC.encode_error(S3, _op("GetObject"), AwsError("", code="NotModified", status=304), "r")
    assert (not_modified.status, not_modified.body) == (304, b"")


@pytest.mark.parametrize("code", ["NoSuchBucket", "BucketAlreadyOwnedByYou", "AccessDenied", "InternalError"])
def test_errors_become_botocore_client_errors(code: str) -> None:
    status = {"AccessDenied": 403, "InternalError": 500, "BucketAlreadyOwnedByYou": 409}.get(code, 404)
    response = CODEC.encode_error(S3, _op("CreateBucket"), AwsError("msg", code=code, status=status), "r")
    parsed = _parse_error(response)
    error = ClientError(parsed, "CreateBucket")
    assert error.response["Error"]["Code"] == code and error.response["Error"]["Message"] == "msg"


# ---- a real boto3 client, with every S3 handler botocore registers ---------------------------------------


class _RawBody:
    """What botocore reads a response body from (urllib3's interface)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, amt: int | None = None, decode_content: bool = True) -> bytes:
        return self._data.read() if amt is None else self._data.read(amt)

    def stream(self, amt: int = 1024, decode_content: bool = True) -> Iterator[bytes]:
        while chunk := self._data.read(amt):
            yield chunk


def _s3_client(provider: Callable[[str, dict[str, Any]], dict[str, Any]]) -> Any:
    """A boto3 client whose requests go through the codec and ``provider`` instead of the network. The codec uses
    a fresh model: a client strips ``{Bucket}`` from its own model's ``requestUri`` (the endpoint rules put it
    back in the URL), which the server's catalog never sees."""
    client = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )

    def send(request: Any, event_name: str, **_: Any) -> AWSResponse:
        operation = _op(event_name.rsplit(".", 1)[-1])
        url = urlsplit(request.url)
        body = request.body.read() if hasattr(request.body, "read") else request.body or b""
        headers = {k.lower(): v if isinstance(v, str) else v.decode() for k, v in request.headers.items()}
        http = HttpRequest(
            request.method, url.path, url.query, headers, body.encode() if isinstance(body, str) else body
        )
        try:
            response = CODEC.encode(operation, provider(operation.name, CODEC.decode(operation, http)), "rid")
        except AwsError as err:
            response = CODEC.encode_error(S3, operation, err, "rid")
        data = response.body if response.stream is None else b"".join(response.stream)
        return AWSResponse(request.url, response.status, dict(response.headers), _RawBody(data))

    client.meta.events.register_first("before-send.s3", send)
    return client


def test_boto3_client_end_to_end() -> None:
    seen: dict[str, dict[str, Any]] = {}
    listed = datetime(2026, 1, 1, tzinfo=UTC)

    def provider(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        seen[operation] = params
        if operation == "PutObject":
            return {"ETag": '"' + params["Body"].read().hex() + '"'}
        if operation == "ListObjectsV2":  # boto3 asks for EncodingType=url and decodes the keys itself
            assert params["EncodingType"] == "url"
            return {"Name": "b", "Contents": [{"Key": "a%20b%0D", "LastModified": listed}], "EncodingType": "url"}
        if operation == "GetObject":
            return {"Body": iter([b"he", b"llo"]), "ContentLength": 5, "Metadata": {"color": "blue"}}
        if operation == "GetBucketLocation":
            return {"LocationConstraint": "eu-west-1"}
        if operation == "HeadObject":
            raise AwsError("", code="NoSuchKey", status=404)
        if operation == "CopyObject":
            raise AwsError("The specified bucket does not exist", code="NoSuchBucket", status=404, BucketName="src")
        return {}

    s3 = _s3_client(provider)
    assert s3.put_object(Bucket="b", Key="dir/a b%2F\r\n", Body=b"hi", Metadata={"Color": "x"})["ETag"] == '"6869"'
    put = seen["PutObject"]
    assert (put["Bucket"], put["Key"], put["Metadata"], put["ContentLength"]) == (
        "b",
        "dir/a b%2F\r\n",
        {"color": "x"},
        2,
    )
    assert put["ChecksumAlgorithm"] == "CRC32" and put["ChecksumCRC32"]  # computed by botocore, carried through
    s3.delete_objects(Bucket="b", Delete={"Objects": [{"Key": "line\r\nbreak"}, {"Key": "x", "VersionId": "v"}]})
    assert seen["DeleteObjects"]["Delete"] == {"Objects": [{"Key": "line\r\nbreak"}, {"Key": "x", "VersionId": "v"}]}
    assert s3.list_objects_v2(Bucket="b")["Contents"] == [{"Key": "a b\r", "LastModified": listed}]
    got = s3.get_object(Bucket="b", Key="k")
    assert (got["Body"].read(), got["Metadata"]) == (b"hello", {"color": "blue"})
    assert s3.get_bucket_location(Bucket="b")["LocationConstraint"] == "eu-west-1"
    s3.create_bucket(Bucket="c", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert seen["CreateBucket"] == {"Bucket": "c", "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}}
    s3.put_bucket_policy(Bucket="c", Policy='{"Statement": []}')
    assert seen["PutBucketPolicy"]["Policy"] == '{"Statement": []}'
    with pytest.raises(ClientError) as head:
        s3.head_object(Bucket="b", Key="gone")
    assert head.value.response["Error"]["Code"] == "404"
    with pytest.raises(ClientError) as copy:
        s3.copy_object(Bucket="b", Key="k", CopySource={"Bucket": "src", "Key": "k"})
    assert copy.value.response["Error"] == {
        "Code": "NoSuchBucket",
        "Message": "The specified bucket does not exist",
        "BucketName": "src",
    }
    assert copy.value.response["ResponseMetadata"]["RequestId"] == "rid"
