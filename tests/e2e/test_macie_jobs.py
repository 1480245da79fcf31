"""Macie through boto3: the session, classification jobs over a bucket of CSV, JSON, text, PDF, XLSX, Parquet and
zip objects (some SSE-KMS), findings with exact locations and counts, scheduled jobs that read only new objects,
allow lists and custom data identifiers changing the results, scoping and selectors, pause/resume/cancel."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e import macie_support as docs
from tests.e2e.access_support import allow, client_for, make_user
from tests.e2e.events_support import log_entries, wait_for
from tests.e2e.organizations_support import Account, new_account
from tests.support.server import ServerProcess


def _macie_account(server: ServerProcess) -> tuple[Account, Any, Any]:
    account = new_account(server)
    macie = account.client("macie2")
    macie.enable_macie()
    return account, macie, account.client("s3")


def _bucket(s3: Any, prefix: str = "macie") -> str:
    name = docs.unique(prefix)
    s3.create_bucket(Bucket=name)
    return name


def _job(macie: Any, bucket: str, account_id: str, **extra: Any) -> str:
    request: dict[str, Any] = {
        "jobType": "ONE_TIME",
        "name": docs.unique("job"),
        "clientToken": str(uuid.uuid4()),
        "s3JobDefinition": {"bucketDefinitions": [{"accountId": account_id, "buckets": [bucket]}]},
        "managedDataIdentifierSelector": "ALL",
    }
    request.update(extra)
    return str(macie.create_classification_job(**request)["jobId"])


def _findings(macie: Any, **criterion: Any) -> list[dict[str, Any]]:
    ids = macie.list_findings(findingCriteria={"criterion": criterion}, maxResults=50)["findingIds"]
    return macie.get_findings(findingIds=ids)["findings"] if ids else []


def _by_key(findings: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {f["resourcesAffected"]["s3Object"]["key"]: f for f in findings}


def _detections(finding: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result = finding["classificationDetails"]["result"]
    return {d["type"]: d for item in result.get("sensitiveData", []) for d in item["detections"]}


def test_session_lifecycle_and_errors(server: ServerProcess) -> None:
    account = new_account(server)
    macie = account.client("macie2")
    with pytest.raises(ClientError) as exc:
        macie.get_macie_session()
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    assert exc.value.response["Error"]["Message"] == "Macie is not enabled."
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401
    with pytest.raises(ClientError) as exc:
        macie.list_findings()
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"

    macie.enable_macie(findingPublishingFrequency="FIFTEEN_MINUTES")
    session = macie.get_macie_session()
    assert session["status"] == "ENABLED" and session["findingPublishingFrequency"] == "FIFTEEN_MINUTES"
    assert session["serviceRole"].endswith("aws-service-role/macie.amazonaws.com/AWSServiceRoleForAmazonMacie")
    with pytest.raises(ClientError) as exc:
        macie.enable_macie()
    assert exc.value.response["Error"]["Code"] == "ConflictException"
    macie.update_macie_session(status="PAUSED", findingPublishingFrequency="ONE_HOUR")
    assert macie.get_macie_session()["status"] == "PAUSED"
    macie.update_macie_session(status="ENABLED")

    managed = macie.list_managed_data_identifiers()["items"]
    ids = {m["id"]: m["category"] for m in managed}
    assert ids["CREDIT_CARD_NUMBER"] == "FINANCIAL_INFORMATION" and ids["AWS_CREDENTIALS"] == "CREDENTIALS"

    macie.disable_macie()
    with pytest.raises(ClientError) as exc:
        macie.get_macie_session()
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"


def test_one_time_job_classifies_every_format(server: ServerProcess) -> None:
    account, macie, s3 = _macie_account(server)
    kms = account.client("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    bucket = _bucket(s3)
    results = _bucket(s3, "macie-results")
    pdf = docs.pdf_doc([f"Card number {docs.CARD_1}", "nothing here", f"contact {docs.EMAIL_1}"])
    objects = {
        "people.csv": (docs.csv_doc(), False),
        "customers.json": (docs.json_doc(), False),
        "notes/deploy.txt": (docs.text_doc(), True),
        "report.pdf": (pdf, False),
        "cards.xlsx": (docs.xlsx_doc(), True),
        "table.parquet": (docs.parquet_doc(), False),
        "bundle.zip": (docs.zip_doc(), False),
        "clean.txt": (b"nothing sensitive in here at all\n", False),
    }
    for name, (body, encrypted) in objects.items():
        extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key} if encrypted else {}
        s3.put_object(Bucket=bucket, Key=name, Body=body, **extra)
    macie.put_classification_export_configuration(
        configuration={"s3Destination": {"bucketName": results, "keyPrefix": "macie", "kmsKeyArn": key}}
    )
    events = account.client("events")
    rule = docs.unique("macie")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["aws.macie"], "detail-type": ["Macie Finding"]}))
    log = docs.unique("findings")
    events.put_targets(
        Rule=rule, Targets=[{"Id": "log", "Arn": f"arn:strongroom:events-log:us-east-1:{account.account_id}:{log}"}]
    )

    job_id = _job(macie, bucket, account.account_id)
    job = docs.wait_job(macie, server, job_id)
    assert job["statistics"]["numberOfRuns"] == 1 and job["lastRunErrorStatus"]["code"] == "NONE"

    found = _by_key(_findings(macie, **{"classificationDetails.jobId": {"eq": [job_id]}}))
    assert set(found) == set(objects) - {"clean.txt"}

    csv_finding = found["people.csv"]
    assert csv_finding["type"] == "SensitiveData:S3Object/Multiple"
    assert csv_finding["severity"] == {"score": 3, "description": "High"}
    csv_hits = _detections(csv_finding)
    assert csv_hits["CREDIT_CARD_NUMBER"]["count"] == 2
    assert [
        (c["row"], c["column"], c["columnName"]) for c in csv_hits["CREDIT_CARD_NUMBER"]["occurrences"]["cells"]
    ] == [
        (2, 3, "credit card number"),
        (3, 3, "credit card number"),
    ]
    assert csv_hits["EMAIL_ADDRESS"]["count"] == 2

    json_hits = _detections(found["customers.json"])
    assert found["customers.json"]["type"] == "SensitiveData:S3Object/Personal"
    assert found["customers.json"]["severity"]["description"] == "Medium"  # two personal occurrences
    assert [r["jsonPath"] for r in json_hits["EMAIL_ADDRESS"]["occurrences"]["records"]] == [
        "$.customers[0].contact.email",
        "$.customers[1].contact.email",
    ]

    text = found["notes/deploy.txt"]
    assert text["type"] == "SensitiveData:S3Object/Credentials" and text["severity"]["description"] == "High"
    assert _detections(text)["AWS_CREDENTIALS"]["occurrences"]["lineRanges"] == [
        {"start": 3, "end": 3, "startColumn": 25}
    ]
    assert text["resourcesAffected"]["s3Object"]["serverSideEncryption"] == {
        "encryptionType": "aws:kms",
        "kmsMasterKeyId": key,
    }

    pdf_hits = _detections(found["report.pdf"])
    assert pdf_hits["CREDIT_CARD_NUMBER"]["occurrences"]["pages"][0]["pageNumber"] == 1
    assert pdf_hits["EMAIL_ADDRESS"]["occurrences"]["pages"][0]["lineRange"]["start"] == 3

    xlsx_hits = _detections(found["cards.xlsx"])
    assert [c["cellReference"] for c in xlsx_hits["CREDIT_CARD_NUMBER"]["occurrences"]["cells"]] == [
        "cards!B2",
        "cards!B3",
    ]
    parquet_hits = _detections(found["table.parquet"])
    assert [r["recordIndex"] for r in parquet_hits["EMAIL_ADDRESS"]["occurrences"]["records"]] == [0, 2]
    assert _detections(found["bundle.zip"])["AWS_CREDENTIALS"]["count"] == 1

    result = csv_finding["classificationDetails"]["result"]
    assert result["mimeType"] == "text/csv" and result["status"]["code"] == "COMPLETE"
    assert csv_finding["resourcesAffected"]["s3Bucket"]["name"] == bucket

    # The classification results, exported under the KMS key as AWS lays them out.
    location = csv_finding["classificationDetails"]["detailedResultsLocation"]
    assert location.startswith(f"s3://{results}/macie/AWSLogs/{account.account_id}/Macie/us-east-1/{job_id}/")
    exported = s3.get_object(Bucket=results, Key=location.split("/", 3)[3])
    assert exported["ServerSideEncryption"] == "aws:kms" and exported["SSEKMSKeyId"] == key
    record = json.loads(gzip.decompress(exported["Body"].read()))
    assert record["jobId"] == job_id and record["resourcesAffected"]["s3Object"]["key"] == "people.csv"

    # Every new finding reached the bus as a Macie Finding.
    entries = wait_for(lambda: len(log_entries(server, log)) >= len(found) and log_entries(server, log))
    assert {e["detail"]["id"] for e in entries} >= {f["id"] for f in found.values()}
    assert all(e["source"] == "aws.macie" and e["detail-type"] == "Macie Finding" for e in entries)

    stats = macie.get_finding_statistics(
        groupBy="type", findingCriteria={"criterion": {"classificationDetails.jobId": {"eq": [job_id]}}}
    )
    counts = {g["groupKey"]: g["count"] for g in stats["countsByGroup"]}
    assert counts["SensitiveData:S3Object/Credentials"] == 2  # the text file and the zip


def test_scheduled_job_scans_only_new_objects(server: ServerProcess) -> None:
    account, macie, s3 = _macie_account(server)
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="old.txt", Body=docs.text_doc())
    job_id = _job(
        macie,
        bucket,
        account.account_id,
        jobType="SCHEDULED",
        scheduleFrequency={"dailySchedule": {}},
        initialRun=True,
    )
    job = docs.wait_job(macie, server, job_id, ("IDLE",))
    assert job["statistics"]["numberOfRuns"] == 1
    assert set(_by_key(_findings(macie, **{"classificationDetails.jobId": {"eq": [job_id]}}))) == {"old.txt"}

    s3.put_object(Bucket=bucket, Key="new.csv", Body=docs.csv_doc())
    now = server.now()
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    server.advance((midnight - now).total_seconds() + 1)
    job = wait_for(
        lambda: (j := macie.describe_classification_job(jobId=job_id))["statistics"]["numberOfRuns"] == 2 and j,
        nudge=lambda: server.advance(1),
    )
    assert job["jobStatus"] == "IDLE"
    found = _by_key(_findings(macie, **{"classificationDetails.jobId": {"eq": [job_id]}}))
    assert set(found) == {"old.txt", "new.csv"}  # old.txt was not classified again: still one finding


def test_allow_lists_and_custom_identifiers_change_results(server: ServerProcess) -> None:
    account, macie, s3 = _macie_account(server)
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="staff.txt", Body=f"employee EMP-123456 EMP-654321 mail {docs.EMAIL_1}\n".encode())
    s3.put_object(Bucket=bucket, Key="allow/words.txt", Body=f"{docs.EMAIL_1}\n".encode())

    assert macie.test_custom_data_identifier(regex=r"EMP-\d{6}", sampleText="EMP-123456 and EMP-1")["matchCount"] == 1
    assert (
        macie.test_custom_data_identifier(
            regex=r"EMP-\d{6}", keywords=["employee"], maximumMatchDistance=5, sampleText="EMP-123456 far from employee"
        )["matchCount"]
        == 0
    )
    custom = macie.create_custom_data_identifier(
        name="employee-id",
        regex=r"EMP-\d{6}",
        keywords=["employee"],
        severityLevels=[
            {"severity": "LOW", "occurrencesThreshold": 1},
            {"severity": "HIGH", "occurrencesThreshold": 2},
        ],
        tags={"team": "hr"},
    )["customDataIdentifierId"]
    got = macie.get_custom_data_identifier(id=custom)
    assert got["name"] == "employee-id" and got["tags"] == {"team": "hr"} and got["maximumMatchDistance"] == 50
    words = macie.create_allow_list(
        name="known-mail",
        clientToken=str(uuid.uuid4()),
        criteria={"s3WordsList": {"bucketName": bucket, "objectKey": "allow/words.txt"}},
    )["id"]
    assert macie.get_allow_list(id=words)["status"]["code"] == "OK"
    missing = macie.create_allow_list(
        name="missing",
        clientToken=str(uuid.uuid4()),
        criteria={"s3WordsList": {"bucketName": bucket, "objectKey": "nope.txt"}},
    )["id"]
    assert macie.get_allow_list(id=missing)["status"]["code"] == "S3_OBJECT_NOT_FOUND"

    not_the_words = {"simpleScopeTerm": {"key": "OBJECT_KEY", "comparator": "STARTS_WITH", "values": ["allow/"]}}
    plain = _job(
        macie,
        bucket,
        account.account_id,
        s3JobDefinition={
            "bucketDefinitions": [{"accountId": account.account_id, "buckets": [bucket]}],
            "scoping": {"excludes": {"and": [not_the_words]}},
        },
    )
    docs.wait_job(macie, server, plain)
    before = _by_key(_findings(macie, **{"classificationDetails.jobId": {"eq": [plain]}}))
    assert set(before) == {"staff.txt"} and set(_detections(before["staff.txt"])) == {"EMAIL_ADDRESS"}

    tuned = _job(
        macie,
        bucket,
        account.account_id,
        s3JobDefinition={
            "bucketDefinitions": [{"accountId": account.account_id, "buckets": [bucket]}],
            "scoping": {
                "includes": {
                    "and": [
                        {"simpleScopeTerm": {"key": "OBJECT_EXTENSION", "comparator": "EQ", "values": ["txt"]}},
                        {"simpleScopeTerm": {"key": "OBJECT_KEY", "comparator": "STARTS_WITH", "values": ["staff"]}},
                    ]
                }
            },
        },
        customDataIdentifierIds=[custom],
        allowListIds=[words],
    )
    docs.wait_job(macie, server, tuned)
    (finding,) = _findings(macie, **{"classificationDetails.jobId": {"eq": [tuned]}})
    assert finding["type"] == "SensitiveData:S3Object/CustomIdentifier"  # the allowed email is gone
    assert finding["severity"]["description"] == "High"  # two occurrences reach the HIGH threshold
    (detection,) = finding["classificationDetails"]["result"]["customDataIdentifiers"]["detections"]
    assert detection["count"] == 2 and detection["name"] == "employee-id"
    assert detection["arn"].endswith(f":custom-data-identifier/{custom}")

    # Deleted custom identifiers stay visible to BatchGet; a job can't use them.
    macie.delete_custom_data_identifier(id=custom)
    batch = macie.batch_get_custom_data_identifiers(ids=[custom, "nope"])
    assert batch["customDataIdentifiers"][0]["deleted"] is True and batch["notFoundIdentifierIds"] == ["nope"]
    assert custom not in {i["id"] for i in macie.list_custom_data_identifiers()["items"]}
    with pytest.raises(ClientError) as exc:
        _job(macie, bucket, account.account_id, customDataIdentifierIds=[custom])
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        macie.create_custom_data_identifier(name="bad", regex="(unclosed")
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as exc:
        macie.create_allow_list(
            name="both",
            clientToken="t",
            criteria={"regex": "a", "s3WordsList": {"bucketName": bucket, "objectKey": "k"}},
        )
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    macie.delete_allow_list(id=missing)
    assert {a["id"] for a in macie.list_allow_lists()["allowLists"]} == {words}


def test_job_validation_selectors_and_state_changes(server: ServerProcess) -> None:
    account, macie, s3 = _macie_account(server)
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="people.csv", Body=docs.csv_doc())

    def error(**extra: Any) -> str:
        with pytest.raises(ClientError) as exc:
            _job(macie, bucket, account.account_id, **extra)
        return str(exc.value.response["Error"]["Code"])

    assert error(jobType="SCHEDULED") == "ValidationException"  # no scheduleFrequency
    assert error(scheduleFrequency={"dailySchedule": {}}) == "ValidationException"  # ONE_TIME with a schedule
    assert error(managedDataIdentifierSelector="INCLUDE") == "ValidationException"
    assert error(managedDataIdentifierSelector="INCLUDE", managedDataIdentifierIds=["NOPE"]) == "ValidationException"
    assert error(managedDataIdentifierSelector="NONE") == "ValidationException"
    assert error(samplingPercentage=0) == "ValidationException"
    assert (
        error(s3JobDefinition={"bucketDefinitions": [{"accountId": "999999999999", "buckets": [bucket]}]})
        == "ValidationException"
    )
    with pytest.raises(ClientError) as exc:
        macie.describe_classification_job(jobId="0" * 32)
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"

    only_email = _job(
        macie,
        bucket,
        account.account_id,
        managedDataIdentifierSelector="INCLUDE",
        managedDataIdentifierIds=["EMAIL_ADDRESS"],
    )
    docs.wait_job(macie, server, only_email)
    (finding,) = _findings(macie, **{"classificationDetails.jobId": {"eq": [only_email]}})
    assert set(_detections(finding)) == {"EMAIL_ADDRESS"}
    recommended = _job(macie, bucket, account.account_id, managedDataIdentifierSelector="RECOMMENDED")
    docs.wait_job(macie, server, recommended)
    (finding,) = _findings(macie, **{"classificationDetails.jobId": {"eq": [recommended]}})
    assert "CREDIT_CARD_NUMBER" in _detections(finding)
    # bucket criteria: by name, with the tag-less exclusion of nothing
    by_criteria = _job(
        macie,
        bucket,
        account.account_id,
        s3JobDefinition={
            "bucketCriteria": {
                "includes": {
                    "and": [{"simpleCriterion": {"key": "S3_BUCKET_NAME", "comparator": "EQ", "values": [bucket]}}]
                }
            }
        },
    )
    docs.wait_job(macie, server, by_criteria)
    assert len(_findings(macie, **{"classificationDetails.jobId": {"eq": [by_criteria]}})) == 1

    # A scheduled job: pause while idle, resume, cancel; a finished job can't change.
    scheduled = _job(
        macie,
        bucket,
        account.account_id,
        jobType="SCHEDULED",
        scheduleFrequency={"weeklySchedule": {"dayOfWeek": "MONDAY"}},
    )
    assert macie.describe_classification_job(jobId=scheduled)["jobStatus"] == "IDLE"
    macie.update_classification_job(jobId=scheduled, jobStatus="USER_PAUSED")
    paused = macie.describe_classification_job(jobId=scheduled)
    assert paused["jobStatus"] == "USER_PAUSED"
    assert paused["userPausedDetails"]["jobExpiresAt"] - paused["userPausedDetails"]["jobPausedAt"] == timedelta(
        days=30
    )
    macie.update_classification_job(jobId=scheduled, jobStatus="RUNNING")
    assert macie.describe_classification_job(jobId=scheduled)["jobStatus"] == "IDLE"
    macie.update_classification_job(jobId=scheduled, jobStatus="CANCELLED")
    with pytest.raises(ClientError) as exc:
        macie.update_classification_job(jobId=scheduled, jobStatus="RUNNING")
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    listed = macie.list_classification_jobs(
        filterCriteria={"includes": [{"key": "jobStatus", "comparator": "EQ", "values": ["CANCELLED"]}]}
    )["items"]
    assert [j["jobId"] for j in listed] == [scheduled]
    names = [
        j["name"]
        for j in macie.list_classification_jobs(sortCriteria={"attributeName": "name", "orderBy": "ASC"})["items"]
    ]
    assert names == sorted(names) and len(names) == 4


def test_object_macie_may_not_decrypt_is_skipped(server: ServerProcess) -> None:
    account, macie, s3 = _macie_account(server)
    iam, kms = account.client("iam"), account.client("kms")
    owner = make_user(iam, allow(["s3:*", "kms:*"]))
    # A key whose policy names only that user: the account (and so Macie acting in it) may not use it.
    locked = kms.create_key(
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": owner["Arn"]}, "Action": "kms:*", "Resource": "*"}
                ],
            }
        ),
        BypassPolicyLockoutSafetyCheck=True,
    )["KeyMetadata"]["Arn"]
    results_key = kms.create_key()["KeyMetadata"]["Arn"]
    bucket, results = _bucket(s3), _bucket(s3, "macie-results")
    client_for(server, "s3", owner).put_object(
        Bucket=bucket, Key="locked.txt", Body=docs.text_doc(), ServerSideEncryption="aws:kms", SSEKMSKeyId=locked
    )
    s3.put_object(Bucket=bucket, Key="open.txt", Body=docs.text_doc())
    macie.put_classification_export_configuration(
        configuration={"s3Destination": {"bucketName": results, "kmsKeyArn": results_key}}
    )
    job_id = _job(macie, bucket, account.account_id)
    docs.wait_job(macie, server, job_id)
    assert set(_by_key(_findings(macie, **{"classificationDetails.jobId": {"eq": [job_id]}}))) == {"open.txt"}
    exported = {}
    for item in s3.list_objects_v2(Bucket=results)["Contents"]:
        record = json.loads(gzip.decompress(s3.get_object(Bucket=results, Key=item["Key"])["Body"].read()))
        exported[record["resourcesAffected"]["s3Object"]["key"]] = record["classificationDetails"]["result"]
    assert exported["locked.txt"]["status"] == {"code": "SKIPPED", "reason": "PERMISSIONS_ERROR"}
    assert exported["open.txt"]["status"]["code"] == "COMPLETE"
