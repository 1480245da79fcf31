"""Automated sensitive data discovery's settings and results through boto3: the classification scope (an excluded
bucket is not analysed), the sensitivity inspection template (an excluded managed identifier no longer counts, an
included custom identifier does), resource profiles (statistics, detections, artifacts, score override, suppressed
detections), the findings publication configuration, and their errors."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e import macie_support as docs
from tests.e2e.access_support import allow, client_for, deny, make_user
from tests.e2e.organizations_support import new_account
from tests.support.server import ServerProcess

AUTOMATED = {"classificationDetails.originType": {"eq": ["AUTOMATED_SENSITIVE_DATA_DISCOVERY"]}}


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def _findings(macie: Any, bucket: str) -> dict[str, dict[str, Any]]:
    criterion = {**AUTOMATED, "resourcesAffected.s3Bucket.name": {"eq": [bucket]}}
    ids: list[str] = []
    token = None
    while True:
        page = macie.list_findings(findingCriteria={"criterion": criterion}, **({"nextToken": token} if token else {}))
        ids += page["findingIds"]
        token = page.get("nextToken")
        if not token:
            break
    found = macie.get_findings(findingIds=ids)["findings"] if ids else []
    return {f["resourcesAffected"]["s3Object"]["key"]: f for f in found}


def _types(finding: dict[str, Any]) -> set[str]:
    result = finding["classificationDetails"]["result"]
    managed = {d["type"] for item in result.get("sensitiveData", []) for d in item["detections"]}
    custom = {d["arn"] for d in (result.get("customDataIdentifiers") or {}).get("detections", [])}
    return managed | custom


def _score(macie: Any, bucket: str) -> int:
    out = macie.describe_buckets(criteria={"bucketName": {"eq": [bucket]}})["buckets"]
    return int(out[0]["sensitivityScore"])


def test_scope_and_template_steer_discovery_and_profiles(server: ServerProcess) -> None:
    account = new_account(server)
    s3, macie = account.client("s3"), account.client("macie2")
    kept, excluded = docs.unique("macie-kept"), docs.unique("macie-excl")
    for name in (kept, excluded):
        s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=kept, Key="people.csv", Body=docs.csv_doc())
    s3.put_object(Bucket=kept, Key="deploy.txt", Body=docs.text_doc())
    s3.put_object(Bucket=kept, Key="staff.txt", Body=b"badge EMP-123456 issued\n")
    s3.put_object(Bucket=kept, Key="readme.txt", Body=b"nothing here\n")
    s3.put_object(Bucket=excluded, Key="people.csv", Body=docs.csv_doc())
    macie.enable_macie()

    (scope,) = macie.list_classification_scopes()["classificationScopes"]
    assert scope["name"] == "automated-sensitive-data-discovery"
    assert macie.list_classification_scopes(name="other")["classificationScopes"] == []
    assert macie.get_classification_scope(id=scope["id"])["s3"]["excludes"]["bucketNames"] == []
    macie.update_classification_scope(
        id=scope["id"], s3={"excludes": {"bucketNames": [excluded, "macie-gone-bucket"], "operation": "ADD"}}
    )
    macie.update_classification_scope(
        id=scope["id"], s3={"excludes": {"bucketNames": ["macie-gone-bucket"], "operation": "REMOVE"}}
    )
    assert macie.get_classification_scope(id=scope["id"])["s3"]["excludes"]["bucketNames"] == [excluded]

    custom = macie.create_custom_data_identifier(name="badge", regex=r"EMP-\d{6}")["customDataIdentifierId"]
    custom_arn = f"arn:aws:macie2:us-east-1:{account.account_id}:custom-data-identifier/{custom}"
    (template,) = macie.list_sensitivity_inspection_templates()["sensitivityInspectionTemplates"]
    macie.update_sensitivity_inspection_template(
        id=template["id"],
        description="no cards",
        excludes={"managedDataIdentifierIds": ["CREDIT_CARD_NUMBER"]},
        includes={"customDataIdentifierIds": [custom], "managedDataIdentifierIds": ["EMAIL_ADDRESS"]},
    )
    got = macie.get_sensitivity_inspection_template(id=template["id"])
    assert got["excludes"]["managedDataIdentifierIds"] == ["CREDIT_CARD_NUMBER"]
    assert got["includes"]["customDataIdentifierIds"] == [custom]
    assert got["includes"]["managedDataIdentifierIds"] == ["EMAIL_ADDRESS"]
    assert got["description"] == "no cards" and got["sensitivityInspectionTemplateId"] == template["id"]

    macie.update_automated_discovery_configuration(status="ENABLED")
    server.advance(1)  # the first daily pass

    assert _findings(macie, excluded) == {}  # the scope leaves the bucket out
    found = _findings(macie, kept)
    assert sorted(found) == ["deploy.txt", "people.csv", "staff.txt"]
    assert "CREDIT_CARD_NUMBER" not in _types(found["people.csv"])  # excluded by the template
    assert _types(found["people.csv"]) == {"EMAIL_ADDRESS"}  # not RECOMMENDED, included by the template
    assert _types(found["staff.txt"]) == {custom_arn}  # included by the template

    bucket_arn = f"arn:aws:s3:::{kept}"
    profile = macie.get_resource_profile(resourceArn=bucket_arn)
    stats = profile["statistics"]
    assert (stats["totalItemsClassified"], stats["totalItemsSensitive"], stats["totalItemsSkipped"]) == (4, 3, 0)
    assert stats["totalBytesClassified"] > 0 and stats["totalDetectionsSuppressed"] == 0
    assert profile["sensitivityScore"] == 88 and profile["sensitivityScoreOverridden"] is False  # 51 + 49 x 3/4
    assert profile["profileUpdatedAt"]
    totals = {t["type"]: float(t["estimatedCost"]) for t in macie.get_usage_totals()["usageTotals"]}
    assert totals["AUTOMATED_SENSITIVE_DATA_DISCOVERY"] == pytest.approx(
        stats["totalBytesClassified"] / 1024**3, abs=1e-10
    )
    assert _score(macie, kept) == 88
    excluded_profile = macie.get_resource_profile(resourceArn=f"arn:aws:s3:::{excluded}")
    assert excluded_profile["sensitivityScore"] == 50 and excluded_profile["statistics"]["totalItemsClassified"] == 0

    detections = {d["id"]: d for d in macie.list_resource_profile_detections(resourceArn=bucket_arn)["detections"]}
    assert "CREDIT_CARD_NUMBER" not in detections
    assert detections[custom] == {
        "arn": custom_arn,
        "count": 1,
        "id": custom,
        "name": "badge",
        "suppressed": False,
        "type": "CUSTOM",
    }
    assert detections["EMAIL_ADDRESS"]["type"] == "MANAGED" and detections["EMAIL_ADDRESS"]["count"] == 2
    first = macie.list_resource_profile_detections(resourceArn=bucket_arn, maxResults=1)
    assert len(first["detections"]) == 1 and first["nextToken"]

    artifacts = {a["arn"]: a for a in macie.list_resource_profile_artifacts(resourceArn=bucket_arn)["artifacts"]}
    assert artifacts[f"arn:aws:s3:::{kept}/readme.txt"] == {
        "arn": f"arn:aws:s3:::{kept}/readme.txt",
        "classificationResultStatus": "COMPLETE",
        "sensitive": False,
    }
    assert artifacts[f"arn:aws:s3:::{kept}/staff.txt"]["sensitive"] is True

    # Suppressing the custom identifier: staff.txt no longer counts as sensitive (2 of 4: 51 + 24.5 rounded to even).
    macie.update_resource_profile_detections(
        resourceArn=bucket_arn, suppressDataIdentifiers=[{"id": custom, "type": "CUSTOM"}]
    )
    profile = macie.get_resource_profile(resourceArn=bucket_arn)
    assert profile["sensitivityScore"] == 75 and profile["statistics"]["totalDetectionsSuppressed"] == 1
    assert profile["statistics"]["totalItemsSensitive"] == 2
    suppressed = macie.list_resource_profile_detections(resourceArn=bucket_arn)["detections"]
    assert {d["id"]: d["suppressed"] for d in suppressed}[custom] is True
    artifacts = {a["arn"]: a for a in macie.list_resource_profile_artifacts(resourceArn=bucket_arn)["artifacts"]}
    assert artifacts[f"arn:aws:s3:::{kept}/staff.txt"]["sensitive"] is False
    assert _score(macie, kept) == 75

    macie.update_resource_profile(resourceArn=bucket_arn, sensitivityScoreOverride=1)
    profile = macie.get_resource_profile(resourceArn=bucket_arn)
    assert profile["sensitivityScore"] == 1 and profile["sensitivityScoreOverridden"] is True
    assert _score(macie, kept) == 1
    macie.update_resource_profile(resourceArn=bucket_arn)  # no override: back to the calculated score
    assert macie.get_resource_profile(resourceArn=bucket_arn)["sensitivityScore"] == 75
    macie.update_resource_profile_detections(resourceArn=bucket_arn, suppressDataIdentifiers=[])
    assert macie.get_resource_profile(resourceArn=bucket_arn)["sensitivityScore"] == 88

    # Errors.
    with pytest.raises(ClientError) as exc:
        macie.get_classification_scope(id="0" * 32)
    assert _code(exc) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        macie.update_classification_scope(id="0" * 32, s3={"excludes": {"bucketNames": [kept], "operation": "ADD"}})
    assert _code(exc) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        macie.update_classification_scope(id=scope["id"], s3={"excludes": {"bucketNames": ["x"], "operation": "ADD"}})
    assert _code(exc) == "ValidationException"
    with pytest.raises(ClientError) as exc:
        macie.get_sensitivity_inspection_template(id="0" * 32)
    assert _code(exc) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        macie.update_sensitivity_inspection_template(
            id=template["id"], excludes={"managedDataIdentifierIds": ["NOT_AN_IDENTIFIER"]}
        )
    assert _code(exc) == "ValidationException"
    with pytest.raises(ClientError) as exc:
        macie.update_sensitivity_inspection_template(
            id=template["id"],
            excludes={"managedDataIdentifierIds": ["EMAIL_ADDRESS"]},
            includes={"managedDataIdentifierIds": ["EMAIL_ADDRESS"]},
        )
    assert _code(exc) == "ValidationException"
    with pytest.raises(ClientError) as exc:
        macie.update_sensitivity_inspection_template(
            id=template["id"], includes={"customDataIdentifierIds": ["0" * 36]}
        )
    assert _code(exc) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        macie.update_sensitivity_inspection_template(id=template["id"], includes={"allowListIds": ["a" * 22]})
    assert _code(exc) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        macie.get_resource_profile(resourceArn="arn:aws:s3:::" + docs.unique("macie-none"))
    assert _code(exc) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        macie.get_resource_profile(resourceArn=f"arn:aws:sqs:us-east-1:{account.account_id}:queue")
    assert _code(exc) == "ValidationException"
    with pytest.raises(ClientError) as exc:
        macie.update_resource_profile(resourceArn=bucket_arn, sensitivityScoreOverride=50)
    assert _code(exc) == "ValidationException"
    with pytest.raises(ClientError) as exc:
        macie.list_resource_profile_artifacts(resourceArn=bucket_arn, nextToken="not-a-token")
    assert _code(exc) == "ValidationException"
    # Another account's scope, template and buckets are not found.
    other = new_account(server).client("macie2")
    other.enable_macie()
    with pytest.raises(ClientError) as exc:
        other.get_classification_scope(id=scope["id"])
    assert _code(exc) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        other.get_resource_profile(resourceArn=bucket_arn)
    assert _code(exc) == "ResourceNotFoundException"

    iam = account.client("iam")
    limited = client_for(server, "macie2", make_user(iam, allow("macie2:*"), deny("macie2:UpdateResourceProfile")))
    assert limited.get_resource_profile(resourceArn=bucket_arn)["sensitivityScore"] == 88
    with pytest.raises(ClientError) as exc:
        limited.update_resource_profile(resourceArn=bucket_arn, sensitivityScoreOverride=100)
    assert _code(exc) == "AccessDeniedException"
    with pytest.raises(ClientError) as exc:
        client_for(server, "macie2", make_user(iam)).get_classification_scope(id=scope["id"])
    assert _code(exc) == "AccessDeniedException"


def test_findings_publication_configuration(server: ServerProcess) -> None:
    account = new_account(server)
    macie = account.client("macie2")
    with pytest.raises(ClientError) as exc:
        macie.get_findings_publication_configuration()
    assert _code(exc) == "AccessDeniedException"  # Macie is not enabled
    macie.enable_macie()
    assert macie.get_findings_publication_configuration()["securityHubConfiguration"] == {
        "publishClassificationFindings": False,
        "publishPolicyFindings": True,
    }
    macie.put_findings_publication_configuration(
        securityHubConfiguration={"publishClassificationFindings": True, "publishPolicyFindings": False}
    )
    assert macie.get_findings_publication_configuration()["securityHubConfiguration"] == {
        "publishClassificationFindings": True,
        "publishPolicyFindings": False,
    }
    limited = client_for(
        server, "macie2", make_user(account.client("iam"), deny("macie2:PutFindingsPublicationConfiguration"))
    )
    with pytest.raises(ClientError) as exc:
        limited.put_findings_publication_configuration(
            securityHubConfiguration={"publishClassificationFindings": True, "publishPolicyFindings": True}
        )
    assert _code(exc) == "AccessDeniedException"
