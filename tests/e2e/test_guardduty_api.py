"""GuardDuty's API through boto3: detectors, findings (criteria, sort, statistics, archive, feedback, samples),
filters, IP and threat-intel sets read from S3 in every format, members and administrators, tags, IAM."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.access_support import allow, client_for, deny, make_user
from tests.e2e.events_support import wait_for
from tests.e2e.guardduty_support import NOT_OWNED, account_with_detector, error_of, start_server
from tests.e2e.organizations_support import created_account, new_account, new_org
from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def gd_server(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    yield from start_server(backend, request, tmp_path_factory.mktemp(f"gd-{backend}"))


def test_detector_lifecycle_and_errors(gd_server: ServerProcess) -> None:
    account, gd, detector = account_with_detector(
        gd_server, FindingPublishingFrequency="FIFTEEN_MINUTES", Tags={"a": "1"}
    )
    got = gd.get_detector(DetectorId=detector)
    assert got["Status"] == "ENABLED" and got["FindingPublishingFrequency"] == "FIFTEEN_MINUTES"
    assert {f["Name"]: f["Status"] for f in got["Features"]} == {"CLOUD_TRAIL": "ENABLED", "S3_DATA_EVENTS": "ENABLED"}
    assert got["DataSources"]["CloudTrail"]["Status"] == "ENABLED"
    assert got["DataSources"]["FlowLogs"]["Status"] == "DISABLED"
    assert got["Tags"] == {"a": "1"}
    assert gd.list_detectors()["DetectorIds"] == [detector]

    with pytest.raises(ClientError) as exc:
        gd.create_detector(Enable=True)
    assert error_of(exc)[:2] == (
        "BadRequestException",
        "The request is rejected because a detector already exists for the current account.",
    )
    with pytest.raises(ClientError) as exc:
        gd.get_detector(DetectorId="0" * 32)
    code, message, kind = error_of(exc)
    assert (code, message, kind) == ("BadRequestException", NOT_OWNED, "InvalidInputException")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as exc:
        gd.update_detector(DetectorId=detector, Features=[{"Name": "EKS_AUDIT_LOGS", "Status": "ENABLED"}])
    assert error_of(exc)[0] == "BadRequestException"

    gd.update_detector(
        DetectorId=detector,
        FindingPublishingFrequency="ONE_HOUR",
        Features=[{"Name": "S3_DATA_EVENTS", "Status": "DISABLED"}],
    )
    got = gd.get_detector(DetectorId=detector)
    assert got["FindingPublishingFrequency"] == "ONE_HOUR"
    assert got["DataSources"]["S3Logs"]["Status"] == "DISABLED"

    # another account cannot see the detector
    other = new_account(gd_server).client("guardduty")
    with pytest.raises(ClientError) as exc:
        other.get_detector(DetectorId=detector)
    assert error_of(exc)[1] == NOT_OWNED

    arn = f"arn:aws:guardduty:us-east-1:{account.account_id}:detector/{detector}"
    gd.tag_resource(ResourceArn=arn, Tags={"b": "2"})
    assert gd.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"a": "1", "b": "2"}
    gd.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert gd.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"b": "2"}

    usage = gd.get_usage_statistics(
        DetectorId=detector, UsageStatisticType="SUM_BY_ACCOUNT", UsageCriteria={"Features": ["CLOUD_TRAIL"]}
    )
    assert usage["UsageStatistics"]["SumByAccount"] == [
        {"AccountId": account.account_id, "Total": {"Amount": "0", "Unit": "USD"}}
    ]
    with pytest.raises(ClientError) as exc:
        gd.get_malware_scan_settings(DetectorId=detector)
    assert error_of(exc)[0] == "BadRequestException"

    gd.delete_detector(DetectorId=detector)
    assert gd.list_detectors()["DetectorIds"] == []


def _samples(gd: Any, detector: str, *types: str) -> None:
    gd.create_sample_findings(DetectorId=detector, FindingTypes=list(types))


def test_findings_criteria_sort_statistics_archive(gd_server: ServerProcess) -> None:
    account, gd, detector = account_with_detector(gd_server)
    _samples(
        gd,
        detector,
        "Stealth:IAMUser/CloudTrailLoggingDisabled",
        "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
        "Policy:S3/BucketPublicAccessGranted",
    )
    ids = gd.list_findings(DetectorId=detector)["FindingIds"]
    assert len(ids) == 3
    findings = gd.get_findings(DetectorId=detector, FindingIds=ids)["Findings"]
    sample = findings[0]
    assert sample["SchemaVersion"] == "2.0" and sample["AccountId"] == account.account_id
    assert sample["Service"]["AdditionalInfo"] == {"Value": '{"sample": true}', "Type": "default"}
    assert sample["Service"]["Count"] == 1 and sample["Service"]["Archived"] is False
    assert sample["Arn"].endswith(f"detector/{detector}/finding/{sample['Id']}")

    def listed(criterion: dict[str, Any], **kwargs: Any) -> list[str]:
        out = gd.list_findings(DetectorId=detector, FindingCriteria={"Criterion": criterion}, **kwargs)
        got = (
            gd.get_findings(DetectorId=detector, FindingIds=out["FindingIds"])["Findings"] if out["FindingIds"] else []
        )
        by_id = {f["Id"]: f["Type"] for f in got}
        return [by_id[i] for i in out["FindingIds"]]

    assert listed({"type": {"Eq": ["Policy:S3/BucketPublicAccessGranted"]}}) == ["Policy:S3/BucketPublicAccessGranted"]
    assert sorted(listed({"severity": {"Gte": 7}})) == [
        "Policy:S3/BucketPublicAccessGranted",
        "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
    ]
    assert listed({"severity": {"LessThan": 4}}) == ["Stealth:IAMUser/CloudTrailLoggingDisabled"]
    assert listed({"resource.resourceType": {"Equals": ["S3Bucket"]}}) == ["Policy:S3/BucketPublicAccessGranted"]
    assert len(listed({"accountId": {"Eq": [account.account_id]}, "region": {"Eq": ["us-east-1"]}})) == 3
    assert len(listed({"type": {"Neq": ["Policy:S3/BucketPublicAccessGranted"]}})) == 2
    assert len(listed({"updatedAt": {"GreaterThan": 0}})) == 3
    ordered = listed({}, SortCriteria={"AttributeName": "severity", "OrderBy": "ASC"})
    assert ordered[0] == "Stealth:IAMUser/CloudTrailLoggingDisabled"
    assert listed({}, SortCriteria={"AttributeName": "type", "OrderBy": "DESC"})[0].startswith("Unauthorized")
    page = gd.list_findings(DetectorId=detector, MaxResults=2)
    assert len(page["FindingIds"]) == 2 and page["NextToken"]
    rest = gd.list_findings(DetectorId=detector, MaxResults=2, NextToken=page["NextToken"])
    assert len(rest["FindingIds"]) == 1 and "NextToken" not in rest

    with pytest.raises(ClientError) as exc:
        gd.list_findings(DetectorId=detector, FindingCriteria={"Criterion": {"no.such.field": {"Eq": ["x"]}}})
    assert error_of(exc)[0] == "BadRequestException"

    stats = gd.get_findings_statistics(DetectorId=detector, FindingStatisticTypes=["COUNT_BY_SEVERITY"])[
        "FindingStatistics"
    ]
    assert stats["CountBySeverity"] == {"2.0": 1, "8.0": 2}
    grouped = gd.get_findings_statistics(DetectorId=detector, GroupBy="FINDING_TYPE")["FindingStatistics"]
    assert {g["FindingType"]: g["TotalFindings"] for g in grouped["GroupedByFindingType"]} == {
        "Stealth:IAMUser/CloudTrailLoggingDisabled": 1,
        "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom": 1,
        "Policy:S3/BucketPublicAccessGranted": 1,
    }
    by_severity = gd.get_findings_statistics(DetectorId=detector, GroupBy="SEVERITY")["FindingStatistics"]
    assert {g["Severity"]: g["TotalFindings"] for g in by_severity["GroupedBySeverity"]} == {2.0: 1, 8.0: 2}

    low = listed({"severity": {"Lt": 4}})
    low_id = gd.list_findings(DetectorId=detector, FindingCriteria={"Criterion": {"severity": {"Lt": 4}}})["FindingIds"]
    assert low == ["Stealth:IAMUser/CloudTrailLoggingDisabled"]
    gd.archive_findings(DetectorId=detector, FindingIds=low_id)
    assert listed({"service.archived": {"Eq": ["true"]}}) == low
    assert len(listed({"service.archived": {"Eq": ["false"]}})) == 2
    gd.unarchive_findings(DetectorId=detector, FindingIds=low_id)
    assert listed({"service.archived": {"Eq": ["true"]}}) == []
    gd.update_findings_feedback(DetectorId=detector, FindingIds=low_id, Feedback="USEFUL")
    assert gd.get_findings(DetectorId=detector, FindingIds=low_id)["Findings"][0]["Service"]["UserFeedback"] == "USEFUL"
    assert listed({"service.userFeedback": {"Eq": ["USEFUL"]}}) == low

    with pytest.raises(ClientError) as exc:
        gd.create_sample_findings(DetectorId=detector, FindingTypes=["not a type"])
    assert error_of(exc)[0] == "BadRequestException"


def test_filters_archive_new_findings(gd_server: ServerProcess) -> None:
    _, gd, detector = account_with_detector(gd_server)
    gd.create_filter(
        DetectorId=detector,
        Name="suppress-pentest",
        Action="ARCHIVE",
        Rank=1,
        FindingCriteria={"Criterion": {"type": {"Eq": ["PenTest:IAMUser/KaliLinux"]}}},
        Tags={"team": "sec"},
    )
    gd.create_filter(
        DetectorId=detector,
        Name="watch-high",
        Action="NOOP",
        FindingCriteria={"Criterion": {"severity": {"Gte": 7}}},
    )
    assert gd.list_filters(DetectorId=detector)["FilterNames"] == ["suppress-pentest", "watch-high"]
    got = gd.get_filter(DetectorId=detector, FilterName="suppress-pentest")
    assert got["Action"] == "ARCHIVE" and got["Rank"] == 1 and got["Tags"] == {"team": "sec"}
    assert got["FindingCriteria"] == {"Criterion": {"type": {"Eq": ["PenTest:IAMUser/KaliLinux"]}}}

    _samples(gd, detector, "PenTest:IAMUser/KaliLinux", "Policy:S3/BucketPublicAccessGranted")
    archived = gd.list_findings(
        DetectorId=detector, FindingCriteria={"Criterion": {"service.archived": {"Eq": ["true"]}}}
    )
    types = gd.get_findings(DetectorId=detector, FindingIds=archived["FindingIds"])["Findings"]
    assert [f["Type"] for f in types] == ["PenTest:IAMUser/KaliLinux"]

    gd.update_filter(DetectorId=detector, FilterName="suppress-pentest", Action="NOOP")
    _samples(gd, detector, "PenTest:IAMUser/KaliLinux")
    archived = gd.list_findings(
        DetectorId=detector, FindingCriteria={"Criterion": {"service.archived": {"Eq": ["true"]}}}
    )
    assert len(archived["FindingIds"]) == 1

    with pytest.raises(ClientError) as exc:
        gd.create_filter(
            DetectorId=detector, Name="watch-high", FindingCriteria={"Criterion": {"severity": {"Gte": 1}}}
        )
    assert error_of(exc)[0] == "BadRequestException"
    with pytest.raises(ClientError) as exc:
        gd.create_filter(DetectorId=detector, Name="bad", FindingCriteria={"Criterion": {"nope": {"Eq": ["1"]}}})
    assert error_of(exc)[0] == "BadRequestException"
    gd.delete_filter(DetectorId=detector, FilterName="watch-high")
    with pytest.raises(ClientError) as exc:
        gd.get_filter(DetectorId=detector, FilterName="watch-high")
    assert error_of(exc)[0] == "BadRequestException"


STIX = """<?xml version="1.0" encoding="UTF-8"?>
<stix:STIX_Package xmlns:stix="http://stix.mitre.org/stix-1" xmlns:cybox="http://cybox.mitre.org/cybox-2"
  xmlns:AddressObj="http://cybox.mitre.org/objects#AddressObject-2"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <stix:Observables cybox_major_version="2" cybox_minor_version="1">
  <cybox:Observable><cybox:Object>
   <cybox:Properties xsi:type="AddressObj:AddressObjectType" category="ipv4-addr">
    <AddressObj:Address_Value condition="Equals">198.51.100.7</AddressObj:Address_Value>
   </cybox:Properties>
  </cybox:Object></cybox:Observable>
 </stix:Observables>
</stix:STIX_Package>
"""

FILES = {
    "TXT": "198.51.100.1\n203.0.113.0/24\n",
    "STIX": STIX,
    "OTX_CSV": "Indicator type,Indicator,Description\nIPv4,198.51.100.2,bad\ndomain,evil.example.com,c2\n",
    "ALIEN_VAULT": "198.51.100.3#4#2#Malicious Host#US##0.0,0.0#3\n",
    "FIRE_EYE": "reportId,title,ip,domain\nr1,t,198.51.100.4,\n",
    "PROOF_POINT": "ip,category,score,first_seen,last_seen,ports\n198.51.100.5,1,127,2020-01-01,2020-01-02,80\n",
}


def test_threat_intel_and_ip_sets_from_s3(gd_server: ServerProcess) -> None:
    account, gd, detector = account_with_detector(gd_server)
    s3 = account.client("s3")
    bucket = f"gd-lists-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    for fmt, text in FILES.items():
        s3.put_object(Bucket=bucket, Key=f"{fmt}.txt", Body=text.encode())
    s3.put_object(Bucket=bucket, Key="garbage.txt", Body=b"not an address\n")

    ids = {}
    for fmt in FILES:
        location = f"https://s3.amazonaws.com/{bucket}/{fmt}.txt" if fmt != "TXT" else f"s3://{bucket}/{fmt}.txt"
        ids[fmt] = gd.create_threat_intel_set(
            DetectorId=detector, Name=f"list-{fmt}", Format=fmt, Location=location, Activate=True
        )["ThreatIntelSetId"]
    for fmt, set_id in ids.items():
        got = gd.get_threat_intel_set(DetectorId=detector, ThreatIntelSetId=set_id)
        assert (got["Format"], got["Status"]) == (fmt, "ACTIVE"), fmt
    assert sorted(gd.list_threat_intel_sets(DetectorId=detector)["ThreatIntelSetIds"]) == sorted(ids.values())

    with pytest.raises(ClientError) as exc:  # AWS's quota: six threat-intel sets
        gd.create_threat_intel_set(
            DetectorId=detector, Name="seventh", Format="TXT", Location=f"s3://{bucket}/TXT.txt", Activate=True
        )
    assert error_of(exc)[0] == "BadRequestException"
    gd.delete_threat_intel_set(DetectorId=detector, ThreatIntelSetId=ids["TXT"])

    # a file with nothing usable, a missing object: ERROR, as AWS reports a list it cannot read
    bad = gd.create_threat_intel_set(
        DetectorId=detector, Name="bad", Format="TXT", Location=f"s3://{bucket}/garbage.txt", Activate=True
    )["ThreatIntelSetId"]
    assert gd.get_threat_intel_set(DetectorId=detector, ThreatIntelSetId=bad)["Status"] == "ERROR"
    gd.update_threat_intel_set(
        DetectorId=detector, ThreatIntelSetId=bad, Location=f"https://{bucket}.s3.amazonaws.com/TXT.txt"
    )
    assert gd.get_threat_intel_set(DetectorId=detector, ThreatIntelSetId=bad)["Status"] == "ACTIVE"
    gd.update_threat_intel_set(DetectorId=detector, ThreatIntelSetId=bad, Activate=False)
    assert gd.get_threat_intel_set(DetectorId=detector, ThreatIntelSetId=bad)["Status"] == "INACTIVE"

    ip_set = gd.create_ip_set(
        DetectorId=detector, Name="office", Format="TXT", Location=f"s3://{bucket}/missing.txt", Activate=True
    )["IpSetId"]
    assert gd.get_ip_set(DetectorId=detector, IpSetId=ip_set)["Status"] == "ERROR"
    with pytest.raises(ClientError) as exc:  # one IP set per detector
        gd.create_ip_set(
            DetectorId=detector, Name="two", Format="TXT", Location=f"s3://{bucket}/TXT.txt", Activate=True
        )
    assert error_of(exc)[0] == "BadRequestException"
    with pytest.raises(ClientError) as exc:
        gd.update_ip_set(DetectorId=detector, IpSetId=ip_set, Location="ftp://nowhere/x")
    assert error_of(exc)[0] == "BadRequestException"
    with pytest.raises(ClientError) as exc:
        gd.get_ip_set(DetectorId=detector, IpSetId="f" * 32)
    assert error_of(exc)[0] == "BadRequestException"

    # the object is read as the caller: a user without s3:GetObject is refused
    iam = account.client("iam")
    user = make_user(iam, allow("guardduty:*"), deny("s3:GetObject"))
    as_user = client_for(gd_server, "guardduty", user)
    with pytest.raises(ClientError) as exc:
        as_user.update_ip_set(DetectorId=detector, IpSetId=ip_set, Location=f"s3://{bucket}/TXT.txt", Activate=True)
    assert error_of(exc)[0] == "AccessDeniedException"


def test_iam_policy_denies_guardduty(gd_server: ServerProcess) -> None:
    account, _, detector = account_with_detector(gd_server)
    iam = account.client("iam")
    user = make_user(iam, allow("guardduty:GetDetector"), deny("guardduty:ListFindings"))
    as_user = client_for(gd_server, "guardduty", user)
    assert as_user.get_detector(DetectorId=detector)["Status"] == "ENABLED"
    with pytest.raises(ClientError) as exc:
        as_user.list_findings(DetectorId=detector)
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    with pytest.raises(ClientError) as exc:
        as_user.create_sample_findings(DetectorId=detector)
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    # scoped to another detector's ARN: refused on this one
    other = make_user(iam, allow("guardduty:GetDetector", f"arn:aws:guardduty:*:*:detector/{'0' * 32}"))
    with pytest.raises(ClientError) as exc:
        client_for(gd_server, "guardduty", other).get_detector(DetectorId=detector)
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"


def test_members_by_invitation(gd_server: ServerProcess) -> None:
    admin, gd, detector = account_with_detector(gd_server)
    member, mgd, member_detector = account_with_detector(gd_server)

    out = gd.create_members(
        DetectorId=detector,
        AccountDetails=[
            {"AccountId": member.account_id, "Email": "m@example.com"},
            {"AccountId": admin.account_id, "Email": "self@example.com"},
        ],
    )
    assert [u["AccountId"] for u in out["UnprocessedAccounts"]] == [admin.account_id]
    assert gd.list_members(DetectorId=detector)["Members"] == []  # only associated ones by default
    listed = gd.list_members(DetectorId=detector, OnlyAssociated="false")["Members"]
    assert [(m["AccountId"], m["RelationshipStatus"]) for m in listed] == [(member.account_id, "Created")]

    out = gd.invite_members(DetectorId=detector, AccountIds=[member.account_id, "999999999999"])
    assert [u["AccountId"] for u in out["UnprocessedAccounts"]] == ["999999999999"]
    invitations = mgd.list_invitations()["Invitations"]
    assert [i["AccountId"] for i in invitations] == [admin.account_id]
    assert mgd.get_invitations_count()["InvitationsCount"] == 1

    with pytest.raises(ClientError) as exc:
        mgd.accept_administrator_invitation(
            DetectorId=member_detector, AdministratorId=admin.account_id, InvitationId="wrong"
        )
    assert error_of(exc)[0] == "BadRequestException"
    mgd.accept_administrator_invitation(
        DetectorId=member_detector, AdministratorId=admin.account_id, InvitationId=invitations[0]["InvitationId"]
    )
    administrator = mgd.get_administrator_account(DetectorId=member_detector)["Administrator"]
    assert (administrator["AccountId"], administrator["RelationshipStatus"]) == (admin.account_id, "Enabled")
    members = gd.get_members(DetectorId=detector, AccountIds=[member.account_id])["Members"]
    assert members[0]["RelationshipStatus"] == "Enabled" and members[0]["DetectorId"] == member_detector

    # the administrator sees its members' findings; the member only its own
    mgd.create_sample_findings(DetectorId=member_detector, FindingTypes=["PenTest:IAMUser/KaliLinux"])
    seen = gd.list_findings(DetectorId=detector)["FindingIds"]
    assert len(seen) == 1
    assert gd.get_findings(DetectorId=detector, FindingIds=seen)["Findings"][0]["AccountId"] == member.account_id

    gd.disassociate_members(DetectorId=detector, AccountIds=[member.account_id])
    assert gd.list_members(DetectorId=detector)["Members"] == []
    assert gd.list_findings(DetectorId=detector)["FindingIds"] == []
    assert mgd.get_administrator_account(DetectorId=member_detector).get("Administrator") is None
    gd.delete_members(DetectorId=detector, AccountIds=[member.account_id])
    assert gd.list_members(DetectorId=detector, OnlyAssociated="false")["Members"] == []
    with pytest.raises(ClientError) as exc:
        gd.get_members(DetectorId="0" * 32, AccountIds=[member.account_id])
    assert error_of(exc)[1] == NOT_OWNED


def test_organization_admin_and_auto_enable(gd_server: ServerProcess) -> None:
    mgmt, orgs, _ = new_org(gd_server)
    child = created_account(orgs, f"gd-{uuid.uuid4().hex[:8]}")
    gd = mgmt.client("guardduty")
    detector = gd.create_detector(Enable=True)["DetectorId"]

    outsider = new_account(gd_server).client("guardduty")
    with pytest.raises(ClientError) as exc:
        outsider.enable_organization_admin_account(AdminAccountId=mgmt.account_id)
    assert error_of(exc)[0] == "BadRequestException"
    with pytest.raises(ClientError) as exc:
        gd.enable_organization_admin_account(AdminAccountId="999999999999")
    assert error_of(exc)[0] == "BadRequestException"
    with pytest.raises(ClientError) as exc:
        gd.describe_organization_configuration(DetectorId=detector)
    assert error_of(exc)[0] == "BadRequestException"

    gd.enable_organization_admin_account(AdminAccountId=mgmt.account_id)
    assert gd.list_organization_admin_accounts()["AdminAccounts"] == [
        {"AdminAccountId": mgmt.account_id, "AdminStatus": "ENABLED"}
    ]
    # NEW: an account that joins is enabled when GuardDuty first sees it (its first call, through the audit trail)
    gd.update_organization_configuration(DetectorId=detector, AutoEnableOrganizationMembers="NEW")
    assert gd.list_members(DetectorId=detector)["Members"] == []
    guest = new_account(gd_server)
    handshake = orgs.invite_account_to_organization(Target={"Id": guest.account_id, "Type": "ACCOUNT"})["Handshake"]
    guest.client("organizations").accept_handshake(HandshakeId=handshake["Id"])

    def enrolled() -> list[str]:
        return [m["AccountId"] for m in gd.list_members(DetectorId=detector)["Members"]]

    assert wait_for(lambda: enrolled() == [guest.account_id])
    assert len(guest.client("guardduty").list_detectors()["DetectorIds"]) == 1
    administrator = guest.client("guardduty").get_administrator_account(
        DetectorId=guest.client("guardduty").list_detectors()["DetectorIds"][0]
    )["Administrator"]
    assert (administrator["AccountId"], administrator["RelationshipStatus"]) == (mgmt.account_id, "Enabled")

    # ALL: every account of the organization at once
    gd.update_organization_configuration(DetectorId=detector, AutoEnableOrganizationMembers="ALL")
    config = gd.describe_organization_configuration(DetectorId=detector)
    assert config["AutoEnableOrganizationMembers"] == "ALL" and config["AutoEnable"] is True
    members = gd.list_members(DetectorId=detector)["Members"]
    assert sorted((m["AccountId"], m["RelationshipStatus"]) for m in members) == sorted(
        [(child, "Enabled"), (guest.account_id, "Enabled")]
    )
    assert all(m["DetectorId"] for m in members)
    gd.disable_organization_admin_account(AdminAccountId=mgmt.account_id)
    assert gd.list_organization_admin_accounts()["AdminAccounts"] == []
