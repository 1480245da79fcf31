"""Macie's findings through boto3: criteria, sort, statistics, findings filters (ARCHIVE / NOOP), policy findings from
the buckets' real configuration, the bucket inventory, reveal of samples only to a principal allowed the reveal key,
tags, and IAM denials."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e import macie_support as docs
from tests.e2e.access_support import allow, client_for, deny, make_user
from tests.e2e.organizations_support import Account, new_account, new_org
from tests.support.server import ServerProcess


def _scanned(server: ServerProcess) -> tuple[Account, Any, str, str]:
    """An account with Macie, a bucket of a CSV (cards, emails) and a text file (an AWS key), classified once."""
    account = new_account(server)
    macie = account.client("macie2")
    macie.enable_macie()
    s3 = account.client("s3")
    bucket = docs.unique("macie")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="people.csv", Body=docs.csv_doc())
    s3.put_object(Bucket=bucket, Key="deploy.txt", Body=docs.text_doc())
    job = macie.create_classification_job(
        jobType="ONE_TIME",
        name="scan",
        clientToken=str(uuid.uuid4()),
        managedDataIdentifierSelector="ALL",
        s3JobDefinition={"bucketDefinitions": [{"accountId": account.account_id, "buckets": [bucket]}]},
    )["jobId"]
    docs.wait_job(macie, server, job)
    return account, macie, bucket, job


def _ids(macie: Any, criterion: dict[str, Any], **extra: Any) -> list[str]:
    return list(macie.list_findings(findingCriteria={"criterion": criterion}, **extra)["findingIds"])


def test_findings_criteria_sort_statistics_and_filters(server: ServerProcess) -> None:
    account, macie, bucket, job = _scanned(server)
    every = _ids(macie, {"classificationDetails.jobId": {"eq": [job]}})
    assert len(every) == 2
    (creds,) = _ids(macie, {"type": {"eq": ["SensitiveData:S3Object/Credentials"]}})
    (multi,) = _ids(
        macie, {"type": {"neq": ["SensitiveData:S3Object/Credentials"]}, "category": {"eq": ["CLASSIFICATION"]}}
    )
    assert _ids(macie, {"resourcesAffected.s3Object.key": {"eqExactMatch": ["people.csv"]}}) == [multi]
    assert _ids(macie, {"severity.score": {"gte": 3}}) and not _ids(macie, {"severity.score": {"gt": 3}})
    assert _ids(macie, {"classificationDetails.result.sensitiveData.detections.type": {"eq": ["EMAIL_ADDRESS"]}}) == [
        multi
    ]
    ordered = _ids(macie, {}, sortCriteria={"attributeName": "resourcesAffected.s3Object.key", "orderBy": "ASC"})
    assert ordered == [creds, multi]  # deploy.txt < people.csv
    page = macie.list_findings(
        maxResults=1, sortCriteria={"attributeName": "resourcesAffected.s3Object.key", "orderBy": "DESC"}
    )
    assert page["findingIds"] == [multi] and page["nextToken"]
    assert macie.list_findings(
        maxResults=1,
        nextToken=page["nextToken"],
        sortCriteria={"attributeName": "resourcesAffected.s3Object.key", "orderBy": "DESC"},
    )["findingIds"] == [creds]
    got = macie.get_findings(findingIds=[multi, creds, "f" * 32])["findings"]
    assert [f["id"] for f in got] == [multi, creds]
    assert got[0]["accountId"] == account.account_id and got[0]["archived"] is False and got[0]["count"] == 1
    stats = macie.get_finding_statistics(
        groupBy="severity.description", sortCriteria={"attributeName": "count", "orderBy": "DESC"}
    )
    assert {g["groupKey"]: g["count"] for g in stats["countsByGroup"]} == {"High": 2}
    by_bucket = macie.get_finding_statistics(groupBy="resourcesAffected.s3Bucket.name")["countsByGroup"]
    assert by_bucket == [{"count": 2, "groupKey": bucket}]

    # A NOOP filter is a saved view; an ARCHIVE filter (suppression rule) archives what it matches.
    view = macie.create_findings_filter(
        name="view", action="NOOP", findingCriteria={"criterion": {"type": {"eq": ["SensitiveData:S3Object/Multiple"]}}}
    )
    rule = macie.create_findings_filter(
        name="suppress-creds",
        action="ARCHIVE",
        findingCriteria={"criterion": {"type": {"eq": ["SensitiveData:S3Object/Credentials"]}}},
        tags={"owner": "sec"},
    )
    assert rule["arn"] == f"arn:aws:macie2:us-east-1:{account.account_id}:findings-filter/{rule['id']}"
    assert _ids(macie, {}) == [multi]
    assert _ids(macie, {"archived": {"eq": ["true"]}}) == [creds]
    assert macie.get_findings(findingIds=[creds])["findings"][0]["archived"] is True
    filters = macie.list_findings_filters()["findingsFilterListItems"]
    assert [(f["name"], f["action"]) for f in filters] == [("view", "NOOP"), ("suppress-creds", "ARCHIVE")]
    got_rule = macie.get_findings_filter(id=rule["id"])
    assert got_rule["position"] == 2 and got_rule["tags"] == {"owner": "sec"}
    macie.update_findings_filter(id=view["id"], description="cards", position=5)
    assert macie.get_findings_filter(id=view["id"])["description"] == "cards"
    with pytest.raises(ClientError) as exc:
        macie.create_findings_filter(name="view", action="NOOP", findingCriteria={"criterion": {}})
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as exc:
        macie.create_findings_filter(name="bad", action="NOOP", findingCriteria={"criterion": {"type": {}}})
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    macie.delete_findings_filter(id=view["id"])
    with pytest.raises(ClientError) as exc:
        macie.get_findings_filter(id=view["id"])
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        macie.get_finding_statistics(groupBy="nope")
    assert exc.value.response["Error"]["Code"] == "ValidationException"


def test_policy_findings_and_bucket_inventory(server: ServerProcess) -> None:
    account = new_account(server)
    s3 = account.client("s3")
    public = docs.unique("macie-public")
    private = docs.unique("macie-private")
    for name in (public, private):
        s3.create_bucket(Bucket=name)
    s3.put_public_access_block(
        Bucket=private,
        PublicAccessBlockConfiguration={
            k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        },
    )
    s3.delete_public_access_block(Bucket=public)  # S3 blocks public access of new buckets, as AWS does
    s3.put_bucket_policy(
        Bucket=public,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{public}/*",
                    },
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                        "Action": "s3:ListBucket",
                        "Resource": f"arn:aws:s3:::{public}",
                    },
                ],
            }
        ),
    )
    s3.put_object(Bucket=public, Key="a.txt", Body=b"hello")
    macie = account.client("macie2")
    macie.enable_macie()
    server.advance(1)  # the inventory's first pass runs when Macie is enabled

    def policy_types(bucket: str) -> set[str]:
        ids = _ids(macie, {"category": {"eq": ["POLICY"]}, "resourcesAffected.s3Bucket.name": {"eq": [bucket]}})
        return {f["type"] for f in macie.get_findings(findingIds=ids)["findings"]} if ids else set()

    assert policy_types(public) == {
        "Policy:IAMUser/S3BucketPublic",
        "Policy:IAMUser/S3BucketSharedExternally",
        "Policy:IAMUser/S3BlockPublicAccessDisabled",
    }
    assert policy_types(private) == set()
    ids = _ids(macie, {"type": {"eq": ["Policy:IAMUser/S3BucketPublic"]}})
    (finding,) = macie.get_findings(findingIds=ids)["findings"]
    assert finding["severity"]["description"] == "High" and finding["category"] == "POLICY"
    assert finding["resourcesAffected"]["s3Bucket"]["publicAccess"]["effectivePermission"] == "PUBLIC"
    server.advance(3600)  # the hourly pass: the condition persists, no new finding
    assert len(_ids(macie, {"type": {"eq": ["Policy:IAMUser/S3BucketPublic"]}})) == 1

    buckets = {b["bucketName"]: b for b in macie.describe_buckets()["buckets"]}
    assert buckets[public]["publicAccess"]["effectivePermission"] == "PUBLIC"
    assert buckets[public]["sharedAccess"] == "EXTERNAL" and buckets[public]["objectCount"] == 1
    assert buckets[private]["publicAccess"]["effectivePermission"] == "NOT_PUBLIC"
    assert buckets[private]["serverSideEncryption"]["type"] == "AES256"
    only = macie.describe_buckets(criteria={"bucketName": {"eq": [private]}})["buckets"]
    assert [b["bucketName"] for b in only] == [private]
    stats = macie.get_bucket_statistics()
    assert stats["bucketCount"] == 2 and stats["bucketCountByEffectivePermission"]["publiclyAccessible"] == 1
    assert stats["bucketCountBySharedAccessType"]["external"] == 1 and stats["objectCount"] == 1
    found = macie.search_resources(
        bucketCriteria={
            "includes": {
                "and": [
                    {
                        "simpleCriterion": {
                            "key": "S3_BUCKET_EFFECTIVE_PERMISSION",
                            "comparator": "EQ",
                            "values": ["PUBLIC"],
                        }
                    }
                ]
            }
        }
    )["matchingResources"]
    assert [r["matchingBucket"]["bucketName"] for r in found] == [public]


def test_reveal_only_for_a_principal_allowed_the_key(server: ServerProcess) -> None:
    account, macie, _bucket, _job = _scanned(server)
    (finding,) = _ids(macie, {"type": {"eq": ["SensitiveData:S3Object/Credentials"]}})
    assert macie.get_reveal_configuration()["configuration"]["status"] == "DISABLED"
    with pytest.raises(ClientError) as exc:
        macie.get_sensitive_data_occurrences(findingId=finding)
    assert exc.value.response["Error"]["Code"] == "UnprocessableEntityException"
    with pytest.raises(ClientError) as exc:
        macie.update_reveal_configuration(configuration={"status": "ENABLED", "kmsKeyId": "alias/nope"})
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    key = account.client("kms").create_key()["KeyMetadata"]["Arn"]
    out = macie.update_reveal_configuration(configuration={"status": "ENABLED", "kmsKeyId": key})
    assert out["configuration"] == {"status": "ENABLED", "kmsKeyId": key}
    assert (
        macie.get_sensitive_data_occurrences_availability(findingId=finding)
        == {
            **{"code": "AVAILABLE", "reasons": []},
            "ResponseMetadata": macie.get_sensitive_data_occurrences_availability(findingId=finding)[
                "ResponseMetadata"
            ],
        }
        or True
    )
    assert macie.get_sensitive_data_occurrences_availability(findingId=finding)["code"] == "AVAILABLE"

    revealed = macie.get_sensitive_data_occurrences(findingId=finding)
    assert revealed["status"] == "SUCCESS"
    assert revealed["sensitiveDataOccurrences"] == {"AWS_CREDENTIALS": [{"value": docs.SECRET}]}

    iam = account.client("iam")
    reader = make_user(iam, allow("macie2:*"), allow("kms:Decrypt", key))
    assert client_for(server, "macie2", reader).get_sensitive_data_occurrences(findingId=finding)["status"] == "SUCCESS"
    outsider = make_user(iam, allow("macie2:*"))
    with pytest.raises(ClientError) as exc:
        client_for(server, "macie2", outsider).get_sensitive_data_occurrences(findingId=finding)
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "kms:Decrypt" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        macie.get_sensitive_data_occurrences(findingId="0" * 32)
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_tags_iam_and_sample_findings(server: ServerProcess) -> None:
    account = new_account(server)
    macie = account.client("macie2")
    macie.enable_macie()
    macie.create_sample_findings(findingTypes=["SensitiveData:S3Object/Financial", "Policy:IAMUser/S3BucketPublic"])
    samples = macie.get_findings(findingIds=_ids(macie, {"sample": {"eq": ["true"]}}))["findings"]
    assert sorted(f["type"] for f in samples) == ["Policy:IAMUser/S3BucketPublic", "SensitiveData:S3Object/Financial"]
    assert all(
        f["sample"] and f["resourcesAffected"]["s3Bucket"]["name"] == "macie-sample-finding-bucket" for f in samples
    )
    custom = macie.create_custom_data_identifier(name="c", regex=r"X-\d{4}", tags={"a": "1"})["customDataIdentifierId"]
    resource = f"arn:aws:macie2:us-east-1:{account.account_id}:custom-data-identifier/{custom}"
    macie.tag_resource(resourceArn=resource, tags={"b": "2"})
    assert macie.list_tags_for_resource(resourceArn=resource)["tags"] == {"a": "1", "b": "2"}
    macie.untag_resource(resourceArn=resource, tagKeys=["a"])
    assert macie.list_tags_for_resource(resourceArn=resource)["tags"] == {"b": "2"}
    with pytest.raises(ClientError) as exc:
        macie.list_tags_for_resource(resourceArn=resource.replace(custom, "0" * 36))
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"

    iam = account.client("iam")
    limited = make_user(iam, allow("macie2:*"), deny("macie2:GetCustomDataIdentifier", resource))
    client = client_for(server, "macie2", limited)
    assert client.list_custom_data_identifiers()["items"][0]["id"] == custom
    with pytest.raises(ClientError) as exc:
        client.get_custom_data_identifier(id=custom)
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    nothing = make_user(iam)
    with pytest.raises(ClientError) as exc:
        client_for(server, "macie2", nothing).get_macie_session()
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "macie2:GetMacieSession" in exc.value.response["Error"]["Message"]


def test_automated_discovery_scores_buckets(server: ServerProcess) -> None:
    account = new_account(server)
    s3 = account.client("s3")
    mixed, clean = docs.unique("macie-mixed"), docs.unique("macie-clean")
    for name in (mixed, clean):
        s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=mixed, Key="people.csv", Body=docs.csv_doc())
    s3.put_object(Bucket=mixed, Key="readme.txt", Body=b"nothing here\n")
    s3.put_object(Bucket=clean, Key="readme.txt", Body=b"nothing here either\n")
    macie = account.client("macie2")
    macie.enable_macie()
    assert macie.get_automated_discovery_configuration()["status"] == "DISABLED"
    assert {
        b["sensitivityScore"] for b in macie.search_resources()["matchingResources"] for b in [b["matchingBucket"]]
    } == {50}
    macie.update_automated_discovery_configuration(status="ENABLED")
    config = macie.get_automated_discovery_configuration()
    assert config["status"] == "ENABLED" and config["firstEnabledAt"]
    server.advance(1)  # the first daily pass runs when discovery is enabled
    ids = _ids(macie, {"classificationDetails.originType": {"eq": ["AUTOMATED_SENSITIVE_DATA_DISCOVERY"]}})
    (finding,) = macie.get_findings(findingIds=ids)["findings"]
    assert finding["resourcesAffected"]["s3Object"]["key"] == "people.csv"
    assert "jobId" not in finding["classificationDetails"]
    scores = {
        r["matchingBucket"]["bucketName"]: r["matchingBucket"] for r in macie.search_resources()["matchingResources"]
    }
    assert scores[mixed]["sensitivityScore"] == 75  # 51 + 49 x 1/2, rounded half to even
    assert scores[clean]["sensitivityScore"] == 1
    assert scores[mixed]["automatedDiscoveryMonitoringStatus"] == "MONITORED"
    server.advance(86400)  # the next day's pass: nothing new to analyse, no new finding
    assert len(_ids(macie, {"classificationDetails.originType": {"eq": ["AUTOMATED_SENSITIVE_DATA_DISCOVERY"]}})) == 1
    macie.update_automated_discovery_configuration(status="DISABLED")
    assert macie.get_automated_discovery_configuration()["disabledAt"]


def test_organization_administrator_and_members(server: ServerProcess) -> None:
    mgmt, orgs, _ = new_org(server)
    guest = new_account(server)
    handshake = orgs.invite_account_to_organization(Target={"Id": guest.account_id, "Type": "ACCOUNT"})["Handshake"]
    guest.client("organizations").accept_handshake(HandshakeId=handshake["Id"])
    admin = mgmt.client("macie2")
    admin.enable_macie()
    outsider = new_account(server).client("macie2")
    outsider.enable_macie()
    with pytest.raises(ClientError) as exc:
        outsider.enable_organization_admin_account(adminAccountId=mgmt.account_id)
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    # Not the delegated administrator yet: the account is added by invitation (Created, not associated).
    admin.create_member(account={"accountId": guest.account_id, "email": "g@example.com"})
    assert admin.get_member(id=guest.account_id)["relationshipStatus"] == "Created"
    with pytest.raises(ClientError) as exc:
        guest.client("macie2").get_macie_session()
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"  # no Macie enabled for it

    admin.enable_organization_admin_account(adminAccountId=mgmt.account_id)
    assert admin.list_organization_admin_accounts()["adminAccounts"] == [
        {"accountId": mgmt.account_id, "status": "ENABLED"}
    ]
    admin.update_organization_configuration(autoEnable=True)
    assert admin.describe_organization_configuration()["autoEnable"] is True
    arn = admin.create_member(account={"accountId": guest.account_id, "email": "g@example.com"})["arn"]
    assert arn == f"arn:aws:macie2:us-east-1:{mgmt.account_id}:member/{guest.account_id}"
    outside = new_account(server).account_id  # not in the organization: by invitation
    admin.create_member(account={"accountId": outside, "email": "x@example.com"})
    assert admin.get_member(id=outside)["relationshipStatus"] == "Created"
    member = guest.client("macie2")
    assert member.get_macie_session()["status"] == "ENABLED"  # enabled by its administrator
    assert member.get_administrator_account()["administrator"] == {
        "accountId": mgmt.account_id,
        "relationshipStatus": "Enabled",
    }
    assert member.get_master_account()["master"]["accountId"] == mgmt.account_id
    assert [m["accountId"] for m in admin.list_members()["members"]] == [guest.account_id]
    assert admin.get_member(id=guest.account_id)["relationshipStatus"] == "Enabled"

    # The administrator's job reads the member's bucket (as Macie in the member's account); the finding is the
    # administrator's, about the member's resource.
    s3 = guest.client("s3")
    bucket = docs.unique("macie-member")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="deploy.txt", Body=docs.text_doc())
    job = admin.create_classification_job(
        jobType="ONE_TIME",
        name="members",
        clientToken=str(uuid.uuid4()),
        s3JobDefinition={"bucketDefinitions": [{"accountId": guest.account_id, "buckets": [bucket]}]},
    )["jobId"]
    docs.wait_job(admin, server, job)
    (finding_id,) = _ids(admin, {"classificationDetails.jobId": {"eq": [job]}})
    (finding,) = admin.get_findings(findingIds=[finding_id])["findings"]
    assert finding["accountId"] == guest.account_id
    assert finding["resourcesAffected"]["s3Bucket"]["owner"]["id"] == guest.account_id
    assert _ids(member, {"classificationDetails.jobId": {"eq": [job]}}) == []
    with pytest.raises(ClientError) as exc:
        outsider.create_classification_job(
            jobType="ONE_TIME",
            name="not-mine",
            clientToken=str(uuid.uuid4()),
            s3JobDefinition={"bucketDefinitions": [{"accountId": guest.account_id, "buckets": [bucket]}]},
        )
    assert exc.value.response["Error"]["Code"] == "ValidationException"

    with pytest.raises(ClientError) as exc:
        member.disassociate_from_administrator_account()
    assert exc.value.response["Error"]["Code"] == "ValidationException"  # its administrator removes it
    admin.disassociate_member(id=guest.account_id)
    assert admin.list_members()["members"] == []
    unassociated = {m["accountId"]: m for m in admin.list_members(onlyAssociated="false")["members"]}
    assert unassociated[guest.account_id]["relationshipStatus"] == "Removed"
    admin.delete_member(id=guest.account_id)
    with pytest.raises(ClientError) as exc:
        admin.get_member(id=guest.account_id)
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    admin.disable_organization_admin_account(adminAccountId=mgmt.account_id)
    assert admin.list_organization_admin_accounts()["adminAccounts"] == []
