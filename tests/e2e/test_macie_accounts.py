"""Macie's accounts through boto3: membership by invitation (CreateMember, CreateInvitations, List/Count, Accept,
Decline, Delete, the member leaving, the administrator pausing a member's Macie and turning its automated discovery
on and off) and usage (GetUsageTotals,
GetUsageStatistics from the bytes jobs really classified), with their errors."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e import macie_support as docs
from tests.e2e.access_support import allow, client_for, deny, make_user
from tests.e2e.organizations_support import new_account
from tests.support.server import ServerProcess

GB = 1024**3


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def _cost(items: list[dict[str, Any]], kind: str) -> float:
    (item,) = [i for i in items if i["type"] == kind]
    assert item["currency"] == "USD"
    return float(item["estimatedCost"])


def test_membership_by_invitation(server: ServerProcess) -> None:
    admin_account, member_account, decliner_account = new_account(server), new_account(server), new_account(server)
    admin, member, decliner = (a.client("macie2") for a in (admin_account, member_account, decliner_account))
    for client in (admin, member, decliner):
        client.enable_macie()
    with pytest.raises(ClientError) as exc:
        admin.create_member(account={"accountId": admin_account.account_id, "email": "me@example.com"})
    assert _code(exc) == "ValidationException"
    for account in (member_account, decliner_account):
        admin.create_member(account={"accountId": account.account_id, "email": "m@example.com"})
    assert admin.get_member(id=member_account.account_id)["relationshipStatus"] == "Created"
    assert admin.list_members()["members"] == []  # only associated members by default
    assert len(admin.list_members(onlyAssociated="false")["members"]) == 2

    stranger = new_account(server).account_id
    out = admin.create_invitations(
        accountIds=[member_account.account_id, decliner_account.account_id, stranger], disableEmailNotification=True
    )
    assert [(u["accountId"], u["errorCode"]) for u in out["unprocessedAccounts"]] == [(stranger, "ClientError")]
    assert admin.get_member(id=member_account.account_id)["relationshipStatus"] == "Invited"

    assert member.get_invitations_count()["invitationsCount"] == 1
    (invitation,) = member.list_invitations()["invitations"]
    assert invitation["accountId"] == admin_account.account_id and invitation["relationshipStatus"] == "Invited"
    assert invitation["invitedAt"]
    with pytest.raises(ClientError) as exc:
        member.accept_invitation(administratorAccountId=admin_account.account_id, invitationId="0" * 32)
    assert _code(exc) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        member.accept_invitation(invitationId=invitation["invitationId"])
    assert _code(exc) == "ValidationException"
    member.accept_invitation(administratorAccountId=admin_account.account_id, invitationId=invitation["invitationId"])
    assert member.get_invitations_count()["invitationsCount"] == 0
    assert admin.get_member(id=member_account.account_id)["relationshipStatus"] == "Enabled"
    assert member.get_administrator_account()["administrator"] == {
        "accountId": admin_account.account_id,
        "relationshipStatus": "Enabled",
    }
    assert [m["accountId"] for m in admin.list_members()["members"]] == [member_account.account_id]

    # The administrator's job reads the member's bucket once the invitation is accepted.
    s3 = member_account.client("s3")
    bucket = docs.unique("macie-invited")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="deploy.txt", Body=docs.text_doc())
    job = admin.create_classification_job(
        jobType="ONE_TIME",
        name="invited",
        clientToken=str(uuid.uuid4()),
        s3JobDefinition={"bucketDefinitions": [{"accountId": member_account.account_id, "buckets": [bucket]}]},
    )["jobId"]
    docs.wait_job(admin, server, job)
    ids = admin.list_findings(findingCriteria={"criterion": {"classificationDetails.jobId": {"eq": [job]}}})
    assert len(ids["findingIds"]) == 1

    # The administrator turns automated discovery on for its member.
    out = admin.batch_update_automated_discovery_accounts(
        accounts=[
            {"accountId": member_account.account_id, "status": "ENABLED"},
            {"accountId": stranger, "status": "ENABLED"},
        ]
    )
    assert out["errors"] == [{"accountId": stranger, "errorCode": "ACCOUNT_NOT_FOUND"}]
    assert member.get_automated_discovery_configuration()["status"] == "ENABLED"
    listed = {i["accountId"]: i["status"] for i in admin.list_automated_discovery_accounts()["items"]}
    assert listed == {admin_account.account_id: "DISABLED", member_account.account_id: "ENABLED"}
    only = admin.list_automated_discovery_accounts(accountIds=[member_account.account_id])["items"]
    assert only == [{"accountId": member_account.account_id, "status": "ENABLED"}]
    assert member.list_automated_discovery_accounts()["items"] == [
        {"accountId": member_account.account_id, "status": "ENABLED"}
    ]

    # The administrator pauses and re-enables the member's Macie.
    admin.update_member_session(id=member_account.account_id, status="PAUSED")
    assert member.get_macie_session()["status"] == "PAUSED"
    assert admin.get_member(id=member_account.account_id)["relationshipStatus"] == "Paused"
    out = admin.batch_update_automated_discovery_accounts(
        accounts=[{"accountId": member_account.account_id, "status": "DISABLED"}]
    )
    assert out["errors"] == [{"accountId": member_account.account_id, "errorCode": "ACCOUNT_PAUSED"}]
    admin.update_member_session(id=member_account.account_id, status="ENABLED")
    assert member.get_macie_session()["status"] == "ENABLED"
    admin.batch_update_automated_discovery_accounts(
        accounts=[{"accountId": member_account.account_id, "status": "DISABLED"}]
    )
    assert member.get_automated_discovery_configuration()["status"] == "DISABLED"
    with pytest.raises(ClientError) as exc:
        admin.update_member_session(id=decliner_account.account_id, status="PAUSED")
    assert _code(exc) == "ValidationException"  # invited, not associated
    with pytest.raises(ClientError) as exc:
        admin.update_member_session(id=stranger, status="PAUSED")
    assert _code(exc) == "ResourceNotFoundException"

    # Declining, then deleting, an invitation.
    assert decliner.list_invitations()["invitations"][0]["accountId"] == admin_account.account_id
    assert decliner.decline_invitations(accountIds=[admin_account.account_id, stranger])["unprocessedAccounts"] == [
        {"accountId": stranger, "errorCode": "ClientError", "errorMessage": "There's no invitation from this account."}
    ]
    assert decliner.get_invitations_count()["invitationsCount"] == 0
    assert admin.get_member(id=decliner_account.account_id)["relationshipStatus"] == "Created"
    assert decliner.delete_invitations(accountIds=[admin_account.account_id])["unprocessedAccounts"] == []
    assert len(decliner.delete_invitations(accountIds=[admin_account.account_id])["unprocessedAccounts"]) == 1
    assert decliner.get_administrator_account() == {} or "administrator" not in decliner.get_administrator_account()

    # IAM decides, as for every operation.
    limited = client_for(
        server, "macie2", make_user(member_account.client("iam"), allow("macie2:*"), deny("macie2:ListInvitations"))
    )
    assert limited.get_invitations_count()["invitationsCount"] == 0
    with pytest.raises(ClientError) as exc:
        limited.list_invitations()
    assert _code(exc) == "AccessDeniedException"

    # The member leaves (legacy spelling too); afterwards it has no administrator.
    member.disassociate_from_administrator_account()
    assert "administrator" not in member.get_administrator_account()
    assert admin.get_member(id=member_account.account_id)["relationshipStatus"] == "Resigned"
    with pytest.raises(ClientError) as exc:
        member.disassociate_from_master_account()
    assert _code(exc) == "ResourceNotFoundException"


def test_usage_counts_the_bytes_classified(server: ServerProcess) -> None:
    account = new_account(server)
    macie, s3 = account.client("macie2"), account.client("s3")
    with pytest.raises(ClientError) as exc:
        macie.get_usage_totals()
    assert _code(exc) == "AccessDeniedException"  # Macie is not enabled
    macie.enable_macie()
    totals = macie.get_usage_totals()
    assert totals["timeRange"] == "MONTH_TO_DATE"
    assert {t["type"] for t in totals["usageTotals"]} == {
        "DATA_INVENTORY_EVALUATION",
        "SENSITIVE_DATA_DISCOVERY",
        "AUTOMATED_SENSITIVE_DATA_DISCOVERY",
        "AUTOMATED_OBJECT_MONITORING",
    }
    assert all(float(t["estimatedCost"]) == 0 for t in totals["usageTotals"])

    bucket = docs.unique("macie-usage")
    s3.create_bucket(Bucket=bucket)
    bodies = {"people.csv": docs.csv_doc(), "deploy.txt": docs.text_doc()}
    for key, body in bodies.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    job = macie.create_classification_job(
        jobType="ONE_TIME",
        name="usage",
        clientToken=str(uuid.uuid4()),
        s3JobDefinition={"bucketDefinitions": [{"accountId": account.account_id, "buckets": [bucket]}]},
    )["jobId"]
    docs.wait_job(macie, server, job)
    size = sum(len(b) for b in bodies.values())
    for time_range in ("MONTH_TO_DATE", "PAST_30_DAYS"):
        totals = macie.get_usage_totals(timeRange=time_range)["usageTotals"]
        assert _cost(totals, "SENSITIVE_DATA_DISCOVERY") == pytest.approx(size / GB, abs=1e-10)
        assert _cost(totals, "AUTOMATED_SENSITIVE_DATA_DISCOVERY") == 0

    stats = macie.get_usage_statistics(timeRange="PAST_30_DAYS")
    (record,) = stats["records"]
    assert record["accountId"] == account.account_id and record["freeTrialStartDate"]
    assert _cost(record["usage"], "SENSITIVE_DATA_DISCOVERY") == pytest.approx(size / GB, abs=1e-10)
    (limited,) = [u for u in record["usage"] if u["type"] == "SENSITIVE_DATA_DISCOVERY"]
    assert limited["serviceLimit"] == {"isServiceLimited": False, "unit": "TERABYTES", "value": 5}
    match = [{"key": "accountId", "comparator": "EQ", "values": [account.account_id]}]
    assert len(macie.get_usage_statistics(filterBy=match)["records"]) == 1
    miss = [{"key": "accountId", "comparator": "NE", "values": [account.account_id]}]
    assert macie.get_usage_statistics(filterBy=miss)["records"] == []
    above = [{"key": "total", "comparator": "GT", "values": ["0"]}]
    assert len(macie.get_usage_statistics(filterBy=above, sortBy={"key": "total", "orderBy": "DESC"})["records"]) == 1
    unlimited = [{"key": "serviceLimit", "comparator": "EQ", "values": ["false"]}]
    assert len(macie.get_usage_statistics(filterBy=unlimited)["records"]) == 1

    with pytest.raises(ClientError) as exc:
        macie.get_usage_totals(timeRange="LAST_YEAR")
    assert _code(exc) == "ValidationException"
    with pytest.raises(ClientError) as exc:
        macie.get_usage_statistics(filterBy=[{"key": "total", "comparator": "GT", "values": ["lots"]}])
    assert _code(exc) == "ValidationException"
    with pytest.raises(ClientError) as exc:
        macie.get_usage_statistics(nextToken="bogus")
    assert _code(exc) == "ValidationException"
    denied = client_for(server, "macie2", make_user(account.client("iam"), deny("macie2:GetUsageTotals")))
    with pytest.raises(ClientError) as exc:
        denied.get_usage_totals()
    assert _code(exc) == "AccessDeniedException"
