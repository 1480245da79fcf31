"""Model-driven input validation: AWS's exact wording, paths, redaction, and no crashes on any input."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.model import Shape

from strongroom.core.errors import ValidationError
from strongroom.protocol import validate as validate_module
from strongroom.protocol.catalog import WIRED_SERVICES, default_catalog
from strongroom.protocol.validate import format_message, validate, validation_errors
from tests.support.shapegen import operation_input


def shape(service: str, operation: str) -> Shape:
    result = default_catalog().service(service).operation_model(operation).input_shape
    assert result is not None
    return result


def only(errors: list[str]) -> str:
    assert len(errors) == 1, errors
    return errors[0]


# ------------------------------------------------------------------------------------------ single constraints


def test_valid_input_has_no_errors() -> None:
    params = {
        "KeyId": "alias/my-key",
        "Plaintext": b"hello",
        "EncryptionContext": {"purpose": "test"},
        "GrantTokens": ["token"],
        "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
        "DryRun": False,
    }
    assert validation_errors(shape("kms", "Encrypt"), params) == []
    validate(shape("kms", "Encrypt"), params)


def test_required_member_missing() -> None:
    errors = validation_errors(shape("kms", "Encrypt"), {"Plaintext": b"x"})
    assert only(errors) == "Value null at 'keyId' failed to satisfy constraint: Member must not be null"


def test_none_counts_as_missing() -> None:
    errors = validation_errors(shape("kms", "Encrypt"), {"KeyId": None, "Plaintext": b"x"})
    assert only(errors) == "Value null at 'keyId' failed to satisfy constraint: Member must not be null"


def test_string_length_min_and_max() -> None:
    encrypt = shape("kms", "Encrypt")
    assert only(validation_errors(encrypt, {"KeyId": "", "Plaintext": b"x"})) == (
        "Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1"
    )
    long_id = "k" * 2049
    assert only(validation_errors(encrypt, {"KeyId": long_id, "Plaintext": b"x"})) == (
        f"Value '{long_id}' at 'keyId' failed to satisfy constraint: Member must have length less than or equal to 2048"
    )
    assert validation_errors(encrypt, {"KeyId": "k" * 2048, "Plaintext": b"x"}) == []


def test_string_length_counts_characters_not_bytes() -> None:
    # 2048 characters of 3 UTF-8 bytes each is still within KeyId's 2048 limit.
    assert validation_errors(shape("kms", "Encrypt"), {"KeyId": "中" * 2048, "Plaintext": b"x"}) == []


def test_numeric_range() -> None:
    list_keys = shape("kms", "ListKeys")
    assert only(validation_errors(list_keys, {"Limit": 0})) == (
        "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
    )
    assert only(validation_errors(list_keys, {"Limit": 1001})) == (
        "Value '1001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000"
    )
    assert validation_errors(list_keys, {"Limit": 1000}) == []
    assert validation_errors(list_keys, {"Limit": 1}) == []


def test_enum_lists_model_values_in_order() -> None:
    create_key = shape("kms", "CreateKey")
    usages = ", ".join(create_key.members["KeyUsage"].enum)
    assert usages.startswith("SIGN_VERIFY, ENCRYPT_DECRYPT")
    assert only(validation_errors(create_key, {"KeyUsage": "BOGUS"})) == (
        f"Value 'BOGUS' at 'keyUsage' failed to satisfy constraint: Member must satisfy enum value set: [{usages}]"
    )
    assert validation_errors(create_key, {"KeyUsage": "ENCRYPT_DECRYPT"}) == []


def test_ssm_enum_and_length() -> None:
    errors = validation_errors(shape("ssm", "PutParameter"), {"Name": "", "Value": "v", "Type": "Bogus"})
    assert errors == [
        "Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1",
        "Value 'Bogus' at 'type' failed to satisfy constraint: "
        "Member must satisfy enum value set: [String, StringList, SecureString]",
    ]


def test_pattern_kms_alias() -> None:
    errors = validation_errors(shape("kms", "CreateAlias"), {"AliasName": "alias/bad name!", "TargetKeyId": "k"})
    assert only(errors) == (
        "Value 'alias/bad name!' at 'aliasName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$"
    )
    assert validation_errors(shape("kms", "CreateAlias"), {"AliasName": "alias/ok_1", "TargetKeyId": "k"}) == []


def test_pattern_is_whole_string_match() -> None:
    create_user = shape("iam", "CreateUser")
    pattern = create_user.members["Path"].metadata["pattern"]
    assert validation_errors(create_user, {"UserName": "bob", "Path": "/"}) == []
    assert validation_errors(create_user, {"UserName": "bob", "Path": "/division/team/"}) == []
    # Unanchored alternation: a prefix match ("/") must not be enough, as with Java's matches().
    assert only(validation_errors(create_user, {"UserName": "bob", "Path": "/division"})) == (
        "Value '/division' at 'path' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {pattern}"
    )
    assert validation_errors(create_user, {"UserName": "bob smith"}) == [
        "Value 'bob smith' at 'userName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    ]


def test_java_word_class_is_ascii() -> None:
    # Java's \w is [a-zA-Z_0-9] unless UNICODE_CHARACTER_CLASS; IAM rejects non-ASCII user names.
    assert len(validation_errors(shape("iam", "CreateUser"), {"UserName": "jösé"})) == 1


def test_length_and_pattern_both_reported() -> None:
    errors = validation_errors(shape("kms", "CreateAlias"), {"AliasName": "!" * 257, "TargetKeyId": "k"})
    assert [e.split("constraint: ")[1] for e in errors] == [
        "Member must have length less than or equal to 256",
        "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
    ]


def test_surrogate_pair_pattern_is_translated() -> None:
    compiled = validate_module._compile_pattern("[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*")
    assert compiled is not None
    assert compiled.fullmatch("ok \U0001f600\t") is not None
    assert compiled.fullmatch("bad \x01") is None


def test_uncompilable_pattern_is_skipped() -> None:
    assert validate_module._compile_pattern("[z-a") is None


def test_blob_length_counts_bytes_and_shows_java_buffer() -> None:
    # Ciphertext blobs are not sensitive; AWS echoes them as Java's ByteBuffer description.
    decrypt = shape("kms", "Decrypt")
    assert only(validation_errors(decrypt, {"CiphertextBlob": b""})) == (
        "Value 'java.nio.HeapByteBuffer[pos=0 lim=0 cap=0]' at 'ciphertextBlob' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )
    assert validation_errors(decrypt, {"CiphertextBlob": b"x" * 6144}) == []
    assert len(validation_errors(decrypt, {"CiphertextBlob": b"x" * 6145})) == 1


# ------------------------------------------------------------------------------------------ sensitive values


def test_sensitive_blob_never_echoed() -> None:
    secret = b"TOP-SECRET-" * 400  # 4400 bytes > 4096
    errors = validation_errors(shape("kms", "Encrypt"), {"KeyId": "k", "Plaintext": secret})
    assert only(errors) == (
        "Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096"
    )
    with pytest.raises(ValidationError) as info:
        validate(shape("kms", "Encrypt"), {"KeyId": "k", "Plaintext": secret})
    assert "TOP-SECRET" not in info.value.message
    assert "HeapByteBuffer" not in info.value.message


def test_sensitive_string_never_echoed() -> None:
    secret = "hunter2" * 10_000
    errors = validation_errors(shape("secretsmanager", "CreateSecret"), {"Name": "n", "SecretString": secret})
    assert only(errors) == (
        "Value at 'secretString' failed to satisfy constraint: Member must have length less than or equal to 65536"
    )


def test_sensitive_wrong_type_never_echoed() -> None:
    errors = validation_errors(shape("ssm", "PutParameter"), {"Name": "n", "Value": ["hunter2"]})
    assert only(errors) == "Value at 'value' failed to satisfy constraint: Member must be of type string"


def test_sensitive_map_never_echoed() -> None:
    # Lambda environment variables: keys and values are both sensitive.
    params = {
        "FunctionName": "f",
        "Role": "arn:aws:iam::123456789012:role/r",
        "Code": {"ZipFile": b"zip"},
        "Environment": {"Variables": {"9bad": "hunter2"}},
    }
    errors = validation_errors(shape("lambda", "CreateFunction"), params)
    message = format_message(errors)
    assert "hunter2" not in message and "9bad" not in message
    assert "Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [" in (
        message
    )


# ------------------------------------------------------------------------------------------ nested paths


def test_list_of_structures_uses_one_based_member_path() -> None:
    params = {"Tags": [{"TagKey": "ok", "TagValue": "v"}, {"TagKey": "", "TagValue": "v"}, {"TagKey": "k"}]}
    assert validation_errors(shape("kms", "CreateKey"), params) == [
        "Value '' at 'tags.2.member.tagKey' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
        "Value null at 'tags.3.member.tagValue' failed to satisfy constraint: Member must not be null",
    ]


def test_list_of_scalars_reported_once_at_the_list() -> None:
    params = {"KeyId": "k", "Plaintext": b"x", "GrantTokens": ["ok", "", ""]}
    assert only(validation_errors(shape("kms", "Encrypt"), params)) == (
        "Value '[ok, , ]' at 'grantTokens' failed to satisfy constraint: Member must satisfy constraint: "
        "[Member must have length less than or equal to 8192, Member must have length greater than or equal to 1, "
        "Member must not be null]"
    )


def test_list_length() -> None:
    params = {"KeyId": "k", "Plaintext": b"x", "GrantTokens": [f"t{i}" for i in range(11)]}
    error = only(validation_errors(shape("kms", "Encrypt"), params))
    assert error.startswith("Value '[t0, t1, ")
    assert error.endswith(
        "at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to 10"
    )


def test_map_keys_and_values_reported_at_the_map() -> None:
    params = {"Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "Tags": {"": "v", "k": "x" * 257}}
    errors = validation_errors(shape("lambda", "TagResource"), params)
    shown = "{=v, k=" + "x" * 257 + "}"
    key_pattern = "([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)"
    assert errors == [
        f"Value '{shown}' at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: "
        "[Member must have length less than or equal to 128, Member must have length greater than or equal to 1, "
        f"Member must satisfy regular expression pattern: {key_pattern}]",
        f"Value '{shown}' at 'tags' failed to satisfy constraint: Map value must satisfy constraint: "
        "[Member must have length less than or equal to 256, "
        f"Member must satisfy regular expression pattern: {key_pattern}]",
    ]


def test_map_with_list_values_uses_key_in_path() -> None:
    params = {"DocumentName": "doc", "Parameters": {"InstanceIds": ["x" * 600]}}
    start = shape("ssm", "StartAutomationExecution")
    errors = validation_errors(start, params)
    assert only(errors).startswith("Value '[" + "x" * 600 + "]' at 'parameters.InstanceIds' failed to satisfy ")
    assert "Member must satisfy constraint: [Member must have length less than or equal to 512" in errors[0]


def test_nested_structure_path() -> None:
    params = {
        "FunctionName": "f",
        "Role": "arn:aws:iam::123456789012:role/r",
        "Code": {"ZipFile": b"zip", "S3Bucket": "B"},
    }
    errors = validation_errors(shape("lambda", "CreateFunction"), params)
    assert any(e.startswith("Value 'B' at 'code.s3Bucket' failed to satisfy constraint:") for e in errors), errors


# ------------------------------------------------------------------------------------------ combined message


def test_multiple_errors_combined_in_member_order() -> None:
    params = {"Plaintext": b"x", "EncryptionAlgorithm": "NOPE", "GrantTokens": [""]}
    with pytest.raises(ValidationError) as info:
        validate(shape("kms", "Encrypt"), params)
    err = info.value
    assert err.code == "ValidationException"
    assert err.status == 400
    assert err.message.startswith(
        "3 validation errors detected: Value null at 'keyId' failed to satisfy constraint: "
        "Member must not be null; Value '[]' at 'grantTokens' failed to satisfy constraint: "
    )
    assert err.message.endswith(
        "; Value 'NOPE' at 'encryptionAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: "
        "[SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE]"
    )


def test_format_message_singular_and_plural() -> None:
    assert format_message(["a"]) == "1 validation error detected: a"
    assert format_message(["a", "b"]) == "2 validation errors detected: a; b"


def test_shape_none_accepts_anything() -> None:
    assert validation_errors(None, {"x": 1}) == []
    validate(None, {})


# ------------------------------------------------------------------------------------------ unions


def test_union_exactly_one_member() -> None:
    create = shape("inspector2", "CreateCisScanConfiguration")
    base: dict[str, Any] = {
        "scanName": "scan",
        "securityLevel": "LEVEL_1",
        "targets": {"accountIds": ["123456789012"], "targetResourceTags": {"k": ["v"]}},
    }
    ok = validation_errors(create, {**base, "schedule": {"oneTime": {}}})
    assert ok == []
    two = validation_errors(create, {**base, "schedule": {"oneTime": {}, "daily": {"startTime": {}}}})
    assert any(
        e.startswith("Value '{oneTime={}, daily={startTime={}}}' at 'schedule' failed to satisfy constraint: ")
        and e.endswith("Member must have exactly one member set")
        for e in two
    ), two
    none = validation_errors(create, {**base, "schedule": {}})
    assert "Value '{}' at 'schedule' failed to satisfy constraint: Member must have exactly one member set" in none


def test_recursive_union() -> None:
    search = shape("acm", "SearchCertificates")
    inner = {"Filter": {"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x"}}
    assert validation_errors(search, {"FilterStatement": {"And": [inner, inner]}}) == []
    errors = validation_errors(search, {"FilterStatement": {"And": [inner, {}]}})
    assert only(errors) == (
        "Value '{}' at 'filterStatement.and.2.member' failed to satisfy constraint: "
        "Member must have exactly one member set"
    )


# ------------------------------------------------------------------------------------------ wrong python types


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"KeyId": ["k"], "Plaintext": b"x"}, "Value '[k]' at 'keyId' failed to satisfy constraint: "),
        ({"KeyId": "k", "Plaintext": "text"}, "Value at 'plaintext' failed to satisfy constraint: "),
        ({"KeyId": "k", "Plaintext": b"x", "DryRun": "yes"}, "Value 'yes' at 'dryRun' failed to satisfy constraint: "),
        ({"KeyId": "k", "Plaintext": b"x", "GrantTokens": "tok"}, "Value 'tok' at 'grantTokens' failed to "),
        ({"KeyId": "k", "Plaintext": b"x", "EncryptionContext": ["a"]}, "Value '[a]' at 'encryptionContext' failed"),
        ({"KeyId": "k", "Plaintext": b"x", "GrantTokens": [5]}, "Value '5' at 'grantTokens.1.member' failed"),
        ({"KeyId": "k", "Plaintext": b"x", "EncryptionContext": {"a": 5}}, "Value '5' at 'encryptionContext.a' "),
    ],
)
def test_wrong_python_types_are_validation_errors(params: dict[str, Any], expected: str) -> None:
    errors = validation_errors(shape("kms", "Encrypt"), params)
    assert len(errors) == 1 and errors[0].startswith(expected), errors
    assert "Member must be of type" in errors[0]


def test_wrong_types_for_numbers_and_structures() -> None:
    assert only(validation_errors(shape("kms", "ListKeys"), {"Limit": True})).endswith("Member must be of type integer")
    assert only(validation_errors(shape("kms", "ListKeys"), {"Limit": 1.5})).endswith("Member must be of type integer")
    assert only(validation_errors(shape("kms", "ListKeys"), [1, 2])) == (
        "Value '[1, 2]' at 'input' failed to satisfy constraint: Member must be of type structure"
    )
    # A structure holding a sensitive member is never echoed whole.
    assert only(validation_errors(shape("kms", "Encrypt"), [1, 2])) == (
        "Value at 'input' failed to satisfy constraint: Member must be of type structure"
    )
    tags = validation_errors(shape("kms", "CreateKey"), {"Tags": ["not-a-tag"]})
    assert only(tags).startswith("Value 'not-a-tag' at 'tags.1.member' failed to satisfy constraint:")
    lookup = shape("cloudtrail", "LookupEvents")
    assert validation_errors(lookup, {"StartTime": datetime(2024, 1, 1, tzinfo=UTC)}) == []
    assert only(validation_errors(lookup, {"StartTime": "2024-01-01"})).endswith("Member must be of type timestamp")


# ------------------------------------------------------------------------------------------ caching


def test_validator_is_compiled_once_per_shape() -> None:
    encrypt = shape("kms", "Encrypt")
    validation_errors(encrypt, {})
    first = encrypt.__dict__[validate_module._CACHE_ATTR]
    validation_errors(encrypt, {"KeyId": "k"})
    assert encrypt.__dict__[validate_module._CACHE_ATTR] is first


# ------------------------------------------------------------------------------------------ sweep


def _mutate(value: Any, rng: random.Random) -> Any:
    """Randomly swap values for ones of the wrong type, to prove type confusion is an error, not a crash."""
    junk: list[Any] = [None, 7, -1, 2.5, True, "s", b"b", [], [1, None], {}, {"k": None}, datetime.now(UTC)]
    if rng.random() < 0.15:
        return rng.choice(junk)
    if isinstance(value, dict):
        return {k: _mutate(v, rng) for k, v in value.items()}
    if isinstance(value, list):
        return [_mutate(v, rng) for v in value]
    return value


def _operations() -> list[tuple[str, str]]:
    catalog = default_catalog()
    return [(svc, op) for svc in WIRED_SERVICES for op in catalog.service(svc).operation_names]


@pytest.mark.parametrize("service", WIRED_SERVICES)
def test_sweep_every_operation_never_crashes(service: str) -> None:
    model = default_catalog().service(service)
    rng = random.Random(service)
    for name in model.operation_names:
        operation = model.operation_model(name)
        for seed in range(3):
            params = operation_input(operation, seed=seed)
            for candidate in (params, _mutate(params, rng), {}):
                try:
                    errors = validation_errors(operation.input_shape, candidate)
                    validate(operation.input_shape, candidate)
                except ValidationError as exc:
                    assert exc.message == format_message(errors)
                else:
                    assert errors == []
                for error in errors:
                    assert " failed to satisfy constraint: " in error


def test_sweep_covers_all_wired_services() -> None:
    ops = _operations()
    assert {svc for svc, _ in ops} == set(WIRED_SERVICES)
    assert len(ops) > 500


def test_long_values_match_under_a_timeout() -> None:
    compiled = validate_module._compile_pattern("^[a-zA-Z0-9:/_-]+$")
    assert compiled is not None
    assert validate_module._pattern_ok(compiled, "a" * 5000)
    assert not validate_module._pattern_ok(compiled, "a" * 5000 + " ")
    # A pathological pattern gives up (and rejects) instead of pinning the worker.
    evil = validate_module._compile_pattern("^(a+)+$")
    assert evil is not None
    assert not validate_module._pattern_ok(evil, "a" * 5000 + "!")


# ------------------------------------------------------------------------------------------ integer ranges (issue 15)


def test_integer_beyond_the_model_bound_quotes_the_model_bound() -> None:
    assert only(validation_errors(shape("kms", "ListKeys"), {"Limit": 10**40})) == (
        f"Value '{10**40}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000"
    )
    assert only(validation_errors(shape("kms", "GenerateDataKey"), {"KeyId": "k", "NumberOfBytes": 2**64})) == (
        f"Value '{2**64}' at 'numberOfBytes' failed to satisfy constraint: "
        "Member must have value less than or equal to 1024"
    )


def test_unbounded_integer_must_fit_32_bits() -> None:
    create = shape("lambda", "CreateFunction")
    base = {"FunctionName": "f", "Role": "arn:aws:iam::123456789012:role/r", "Code": {"ZipFile": b"x"}}
    accel = create.members["AcceleratorConfig"].members["AcceleratorMemorySize"]
    assert accel.type_name == "integer" and "max" not in accel.metadata  # the member this test is about
    ok = dict(base, AcceleratorConfig={"AcceleratorMemorySize": 2**31 - 1})
    assert not [e for e in validation_errors(create, ok) if "acceleratorMemorySize" in e]
    for value, bound in (
        (2**31, "less than or equal to 2147483647"),
        (-(2**31) - 1, "greater than or equal to -2147483648"),
    ):
        params = dict(base, AcceleratorConfig={"AcceleratorMemorySize": value})
        errors = [e for e in validation_errors(create, params) if "acceleratorMemorySize" in e]
        assert errors == [
            f"Value '{value}' at 'acceleratorConfig.acceleratorMemorySize' failed to satisfy constraint: "
            f"Member must have value {bound}"
        ]


def test_long_must_fit_64_bits() -> None:
    found = None
    for op in ("GetParameterHistory", "LabelParameterVersion"):
        members = shape("ssm", op).members
        for name, member in members.items():
            if member.type_name == "long" and "max" not in member.metadata:
                found = (op, name)
    assert found is not None
    op, name = found
    params = {"Name": "/p", name: 2**63 - 1, "Labels": ["l"]}
    assert not [e for e in validation_errors(shape("ssm", op), params) if e.split("'")[3].lower() == name.lower()]
    params[name] = 2**63
    bad = [e for e in validation_errors(shape("ssm", op), params) if "9223372036854775807" in e]
    assert len(bad) == 1
