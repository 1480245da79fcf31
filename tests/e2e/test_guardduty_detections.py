"""GuardDuty with the real detection engine (``strongroom.detection``): attacks made against Strongroom itself
through boto3 become AWS's findings, with their resources, and ``GuardDuty Finding`` events on the default bus;
and the same account's audit trail, exported through CloudTrail's LookupEvents (AWS's record format) and run
through ``strongroom guardduty analyze``, gives the same findings (``assert_offline_equals_live``).

Each test has an account of its own, so the engine's per-account baselines do not meet. The harness reads
findings and the trail as an IAM "auditor" of the account — its few reads from the account's usual network
raise nothing — so the root-key findings' counts stand still while live and offline are compared. The server
believes ``X-Forwarded-For`` from 127.0.0.1 (``--forwarded-allow-ips``): that is how a caller "from a new
network" or "from a listed address" is made.
"""

from __future__ import annotations

import gzip
import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.config
import pytest

from tests.e2e.access_support import allow, client_for, make_user, policy
from tests.e2e.events_support import log_entries, wait_for
from tests.e2e.guardduty_support import export_bucket, finding_rule, findings_of, start_server
from tests.e2e.organizations_support import Account, new_account
from tests.support.server import ServerProcess, strongroom

LEARNING = 7 * 86_400 + 3_600  # the detector's learning period (7 days of the server's clock), and an hour
KALI_AGENT = (
    "aws-cli/2.13.0 Python/3.11.4 Linux/6.3.0-kali1-amd64 exe/x86_64.kali.2023 prompt/off command/kms.list-keys"
)
READS = ("guardduty:Get*", "guardduty:List*", "cloudtrail:LookupEvents")


@pytest.fixture(scope="module")
def gd_server(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp(f"gddet-{backend}")
    yield from start_server(backend, request, tmp, None, "--forwarded-allow-ips", "127.0.0.1,::1")


@dataclass
class Watched:
    """An account with a detector, a rule sending its findings to an events log, and an auditor reading them."""

    server: ServerProcess
    account: Account
    detector: str
    log: str
    auditor: dict[str, Any]

    @property
    def gd(self) -> Any:
        return client_for(self.server, "guardduty", self.auditor)

    def client(self, service: str, creds: dict[str, Any] | None = None, ip: str = "", agent: str = "") -> Any:
        """A client of ``creds`` (the account's root key by default), from ``ip`` (X-Forwarded-For) and/or with
        user agent ``agent``."""
        extra: dict[str, Any] = {"config": botocore.config.Config(user_agent=agent)} if agent else {}
        if creds is None:
            made = self.account.client(service, **extra)
        else:
            made = self.server.client(
                service,
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds.get("SessionToken"),
                **extra,
            )
        if ip:

            def forwarded(request: Any, **_: Any) -> None:
                request.headers["X-Forwarded-For"] = ip

            made.meta.events.register("before-send", forwarded)
        return made

    def finding(self, finding_type: str, **match: str) -> dict[str, Any]:
        """Wait for the finding of ``finding_type`` whose AccessKeyDetails have ``match``'s values."""

        def found() -> list[dict[str, Any]]:
            return [
                f
                for f in findings_of(self.gd, self.detector, finding_type)
                if all(f["Resource"].get("AccessKeyDetails", {}).get(k) == v for k, v in match.items())
            ]

        return dict(wait_for(found)[0])

    def event_of(self, finding: dict[str, Any]) -> dict[str, Any]:
        """The ``GuardDuty Finding`` event of ``finding`` the rule delivered."""

        def delivered() -> list[dict[str, Any]]:
            return [e for e in log_entries(self.server, self.log) if e["detail"]["id"] == finding["Id"]]

        event = dict(wait_for(delivered, nudge=lambda: self.server.advance(0))[0])
        assert (event["source"], event["detail-type"]) == ("aws.guardduty", "GuardDuty Finding")
        assert event["account"] == self.account.account_id and event["detail"]["type"] == finding["Type"]
        return event


def watched(server: ServerProcess) -> Watched:
    """A fresh account: the rule and the auditor first, then the detector (whose first record is its own
    CreateDetector, a root-key call: the account's RootCredentialUsage finding is new then, and goes to the rule)."""
    account = new_account(server)
    log = f"gdlog-{uuid.uuid4().hex[:8]}"
    finding_rule(account, log)
    auditor = make_user(account.client("iam"), allow(list(READS)))
    detector = account.client("guardduty").create_detector(Enable=True)["DetectorId"]
    return Watched(server, account, detector, log, auditor)


def root_key(w: Watched) -> str:
    return str(w.account.creds["AccessKeyId"])


# -- live = offline ------------------------------------------------------------------------------------------------


def _summary(findings: list[dict[str, Any]]) -> Counter[tuple[Any, ...]]:
    """What must be equal: each finding's type, severity, title, resource (access key, buckets) and count."""
    out: Counter[tuple[Any, ...]] = Counter()
    for f in findings:
        resource = f["Resource"]
        buckets = tuple(sorted(b.get("Name", "") for b in resource.get("S3BucketDetails") or ()))
        key = resource.get("AccessKeyDetails", {}).get("AccessKeyId", "")
        out[(f["Type"], f["Severity"], f["Title"], resource["ResourceType"], key, buckets, f["Service"]["Count"])] += 1
    return out


def _settled(w: Watched) -> list[dict[str, Any]]:
    """The live findings once the detector has caught up (two reads a moment apart agree)."""
    previous: Counter[tuple[Any, ...]] | None = None
    for _ in range(50):
        current = findings_of(w.gd, w.detector)
        if previous is not None and _summary(current) == previous:
            return current
        previous = _summary(current)
        time.sleep(0.4)
    raise AssertionError("the live findings did not settle")


def trail_records(w: Watched) -> list[dict[str, Any]]:
    """The account's audit trail as CloudTrail records, oldest first (LookupEvents answers newest first), from
    the detector's creation on (what it watched)."""
    cloudtrail = client_for(w.server, "cloudtrail", w.auditor)
    records: list[dict[str, Any]] = []
    for page in cloudtrail.get_paginator("lookup_events").paginate(PaginationConfig={"PageSize": 50}):
        records += [json.loads(e["CloudTrailEvent"]) for e in page["Events"]]
    records.reverse()
    start = next(i for i, r in enumerate(records) if r["eventName"] == "CreateDetector")
    return records[start:]


def assert_offline_equals_live(w: Watched, tmp: Path, *options: str) -> list[dict[str, Any]]:
    live = _settled(w)
    path = tmp / f"{w.account.account_id}.json"
    path.write_text(json.dumps({"Records": trail_records(w)}))
    done = strongroom("guardduty", "analyze", "--format", "json", "--learn-days", "7", "--quiet", *options, str(path))
    offline = json.loads(done.stdout)
    assert _summary(offline) == _summary(live)
    return live


# -- the attacks ---------------------------------------------------------------------------------------------------


def test_stop_logging(gd_server: ServerProcess, tmp_path: Path) -> None:
    w = watched(gd_server)
    bucket, key = export_bucket(w.account, allow_guardduty=True)
    w.account.client("guardduty").create_publishing_destination(
        DetectorId=w.detector,
        DestinationType="S3",
        DestinationProperties={"DestinationArn": f"arn:aws:s3:::{bucket}", "KmsKeyArn": key},
    )
    cloudtrail = w.client("cloudtrail")
    trail = f"t-{uuid.uuid4().hex[:8]}"
    cloudtrail.create_trail(Name=trail, S3BucketName=f"no-such-bucket-{uuid.uuid4().hex[:8]}")
    cloudtrail.start_logging(Name=trail)
    cloudtrail.stop_logging(Name=trail)
    finding = w.finding("Stealth:IAMUser/CloudTrailLoggingDisabled")
    assert finding["Severity"] == 2.0 and finding["Resource"]["ResourceType"] == "AccessKey"
    assert finding["Resource"]["AccessKeyDetails"]["AccessKeyId"] == root_key(w)
    action = finding["Service"]["Action"]["AwsApiCallAction"]
    assert (action["Api"], action["ServiceName"]) == ("StopLogging", "cloudtrail.amazonaws.com")
    assert action["RemoteIpDetails"]["IpAddressV4"] == "127.0.0.1"
    detail = w.event_of(finding)["detail"]
    assert detail["resource"]["accessKeyDetails"]["accessKeyId"] == root_key(w)

    # exported within five minutes, under the destination's KMS key
    gd_server.advance(5 * 60 + 1)
    s3 = w.client("s3")
    prefix = f"AWSLogs/{w.account.account_id}/GuardDuty/us-east-1/"
    listed = wait_for(
        lambda: s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents"), nudge=lambda: gd_server.advance(0)
    )
    exported: dict[str, Any] = {}
    for item in listed:
        head = s3.head_object(Bucket=bucket, Key=item["Key"])
        assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key
        body = gzip.decompress(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
        exported |= {f["id"]: f for f in map(json.loads, body.decode().splitlines())}
    assert exported[finding["Id"]]["type"] == "Stealth:IAMUser/CloudTrailLoggingDisabled"
    assert exported[finding["Id"]]["resource"]["accessKeyDetails"]["accessKeyId"] == root_key(w)
    assert_offline_equals_live(w, tmp_path)


def test_root_credential_usage(gd_server: ServerProcess, tmp_path: Path) -> None:
    w = watched(gd_server)
    w.client("kms").list_keys()
    finding = w.finding("Policy:IAMUser/RootCredentialUsage")
    details = finding["Resource"]["AccessKeyDetails"]
    assert details["AccessKeyId"] == root_key(w) and details["UserType"] == "Root"
    assert finding["Severity"] == 2.0
    w.event_of(finding)
    live = assert_offline_equals_live(w, tmp_path)
    assert [f["Type"] for f in live] == ["Policy:IAMUser/RootCredentialUsage"]  # nothing else from the setup


def test_kali_user_agent(gd_server: ServerProcess, tmp_path: Path) -> None:
    w = watched(gd_server)
    user = make_user(w.account.client("iam"), allow("kms:ListKeys"))
    w.client("kms", user, agent=KALI_AGENT).list_keys()
    finding = w.finding("PenTest:IAMUser/KaliLinux", AccessKeyId=user["AccessKeyId"])
    assert finding["Resource"]["AccessKeyDetails"]["UserName"] == user["Name"]
    assert finding["Resource"]["AccessKeyDetails"]["UserType"] == "IAMUser"
    assert finding["Service"]["Action"]["AwsApiCallAction"]["UserAgent"].startswith(KALI_AGENT)
    assert finding["Severity"] == 5.0
    w.event_of(finding)
    assert_offline_equals_live(w, tmp_path)


def test_suppression_filter_archives_the_matching_finding(gd_server: ServerProcess) -> None:
    w = watched(gd_server)
    w.account.client("guardduty").create_filter(
        DetectorId=w.detector,
        Name="pentest-lab",
        Action="ARCHIVE",
        FindingCriteria={"Criterion": {"type": {"Eq": ["PenTest:IAMUser/KaliLinux"]}}},
    )
    user = make_user(w.account.client("iam"), allow("kms:ListKeys"))
    w.client("kms", user, agent=KALI_AGENT).list_keys()
    w.client("cloudtrail").describe_trails()
    finding = w.finding("PenTest:IAMUser/KaliLinux", AccessKeyId=user["AccessKeyId"])
    assert finding["Service"]["Archived"] is True
    root = w.finding("Policy:IAMUser/RootCredentialUsage")
    assert root["Service"]["Archived"] is False
    w.event_of(root)  # the unsuppressed finding reached the bus; the suppressed one did not
    assert [e["detail"]["type"] for e in log_entries(gd_server, w.log)] == ["Policy:IAMUser/RootCredentialUsage"]


def test_threat_intel_set_caller(gd_server: ServerProcess, tmp_path: Path) -> None:
    w = watched(gd_server)
    s3 = w.client("s3")
    bucket = f"gd-ti-{uuid.uuid4().hex[:10]}"
    listed = b"# known bad\n203.0.113.0/24\n"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="bad.txt", Body=listed)
    gd = w.account.client("guardduty")
    set_id = gd.create_threat_intel_set(
        DetectorId=w.detector, Name="bad-actors", Format="TXT", Location=f"s3://{bucket}/bad.txt", Activate=True
    )["ThreatIntelSetId"]
    assert gd.get_threat_intel_set(DetectorId=w.detector, ThreatIntelSetId=set_id)["Status"] == "ACTIVE"
    user = make_user(w.account.client("iam"), allow(["kms:CreateKey", "kms:ListKeys"]))
    kms = w.client("kms", user, ip="203.0.113.9")
    kms.create_key(Description="from a listed address")
    kms.list_keys()
    write = w.finding("UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom", AccessKeyId=user["AccessKeyId"])
    action = write["Service"]["Action"]["AwsApiCallAction"]
    assert (action["Api"], action["RemoteIpDetails"]["IpAddressV4"]) == ("CreateKey", "203.0.113.9")
    names = json.dumps(write["Service"].get("Evidence") or {})
    assert "bad-actors" in names
    read = w.finding("Recon:IAMUser/MaliciousIPCaller.Custom", AccessKeyId=user["AccessKeyId"])
    assert read["Service"]["Action"]["AwsApiCallAction"]["Api"] == "ListKeys"
    w.event_of(write)
    w.event_of(read)
    (tmp_path / "bad-actors.txt").write_bytes(listed)  # offline, the same list under the set's name
    assert_offline_equals_live(w, tmp_path, "--threat-list", str(tmp_path / "bad-actors.txt"))


def test_bucket_made_public(gd_server: ServerProcess, tmp_path: Path) -> None:
    w = watched(gd_server)
    s3 = w.client("s3")
    bucket = f"gd-pub-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=policy(
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
        ),
    )
    for kind in ("Policy:S3/BucketBlockPublicAccessDisabled", "Policy:S3/BucketAnonymousAccessGranted"):
        finding = w.finding(kind)
        resource = finding["Resource"]
        assert resource["ResourceType"] == "S3Bucket", resource
        assert [b["Name"] for b in resource["S3BucketDetails"]] == [bucket]
        assert resource["S3BucketDetails"][0]["Arn"] == f"arn:aws:s3:::{bucket}"
        assert resource["AccessKeyDetails"]["AccessKeyId"] == root_key(w)
        detail = w.event_of(finding)["detail"]
        assert detail["resource"]["s3BucketDetails"][0]["name"] == bucket
    # an ACL granting every AWS account
    shared = f"gd-acl-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=shared, ObjectOwnership="BucketOwnerPreferred")
    s3.delete_public_access_block(Bucket=shared)
    s3.put_bucket_acl(Bucket=shared, ACL="authenticated-read")
    granted = w.finding("Policy:S3/BucketPublicAccessGranted")
    assert [b["Name"] for b in granted["Resource"]["S3BucketDetails"]] == [shared]
    assert_offline_equals_live(w, tmp_path)


def test_discovery_by_a_new_principal_after_the_learning_period(gd_server: ServerProcess, tmp_path: Path) -> None:
    w = watched(gd_server)
    w.client("kms").list_keys()  # the account's usual activity, from its usual network
    gd_server.advance(LEARNING)
    iam = w.client("iam")
    outsider = make_user(iam, allow("*"))
    insider = make_user(iam, allow("*"))
    # a new principal enumerating from a network the account has never used
    for service, call in (("iam", "list_users"), ("iam", "list_roles"), ("kms", "list_keys"), ("s3", "list_buckets")):
        getattr(w.client(service, outsider, ip="198.51.100.23"), call)()
    finding = w.finding("Discovery:IAMUser/AnomalousBehavior", AccessKeyId=outsider["AccessKeyId"])
    unusual = json.loads(finding["Service"]["AdditionalInfo"]["Value"])["unusual"]
    assert "newPrincipal" in unusual and "networkNewToAccount" in unusual
    assert finding["Resource"]["AccessKeyDetails"]["UserName"] == outsider["Name"]
    assert finding["Service"]["Action"]["AwsApiCallAction"]["RemoteIpDetails"]["IpAddressV4"] == "198.51.100.23"
    w.event_of(finding)
    # a new principal enumerating from the usual network: a burst of ten distinct reads
    burst = [
        ("iam", "list_users"),
        ("iam", "list_roles"),
        ("iam", "list_groups"),
        ("iam", "list_policies"),
        ("kms", "list_keys"),
        ("kms", "list_aliases"),
        ("s3", "list_buckets"),
        ("secretsmanager", "list_secrets"),
        ("cloudtrail", "describe_trails"),
        ("ssm", "describe_parameters"),
        ("events", "list_rules"),
    ]
    for service, call in burst:
        getattr(w.client(service, insider), call)()
    inside = w.finding("Discovery:IAMUser/AnomalousBehavior", AccessKeyId=insider["AccessKeyId"])
    assert "discoveryBurst" in json.loads(inside["Service"]["AdditionalInfo"]["Value"])["unusual"]
    assert_offline_equals_live(w, tmp_path)


def test_attack_sequence_discovery_escalation_exfiltration(gd_server: ServerProcess, tmp_path: Path) -> None:
    w = watched(gd_server)
    secrets = w.client("secretsmanager")
    names = [f"prod/db-{i}-{uuid.uuid4().hex[:6]}" for i in range(3)]
    for name in names:
        secrets.create_secret(Name=name, SecretString="s3cr3t")
    gd_server.advance(LEARNING)
    attacker = make_user(w.client("iam"), allow("*"))
    ip = "198.51.100.77"
    w.client("iam", attacker, ip=ip).list_users()
    w.client("secretsmanager", attacker, ip=ip).list_secrets()
    w.client("iam", attacker, ip=ip).put_user_policy(
        UserName=attacker["Name"], PolicyName="admin", PolicyDocument=policy(allow("*"))
    )
    stolen = w.client("secretsmanager", attacker, ip=ip)
    for name in names:
        stolen.get_secret_value(SecretId=name)

    sequence = w.finding("AttackSequence:IAM/CompromisedCredentials", AccessKeyId=attacker["AccessKeyId"])
    assert sequence["Severity"] == 9.0
    signals = {s["Name"] for s in sequence["Service"]["Detection"]["Sequence"]["Signals"]}
    assert {
        "Discovery:IAMUser/AnomalousBehavior",
        "PrivilegeEscalation:IAMUser/AnomalousBehavior",
        "CredentialAccess:IAMUser/AnomalousBehavior",
    } <= signals
    actors = sequence["Service"]["Detection"]["Sequence"]["Actors"]
    assert actors[0]["User"]["Name"] == attacker["Name"]
    for kind in ("PrivilegeEscalation:IAMUser/AnomalousBehavior", "CredentialAccess:IAMUser/AnomalousBehavior"):
        w.finding(kind, AccessKeyId=attacker["AccessKeyId"])
    detail = w.event_of(sequence)["detail"]
    assert detail["severity"] == 9.0 and detail["service"]["detection"]["sequence"]["signals"]
    assert_offline_equals_live(w, tmp_path)


def test_more_signatures(gd_server: ServerProcess, tmp_path: Path) -> None:
    """Tor callers, EC2 instance credentials used from the office, and a principal scheduling the deletion of
    three KMS keys. (Stealth:IAMUser/PasswordPolicyChange and Stealth:S3/ServerAccessLoggingDisabled cannot be
    caused through Strongroom: it does not implement the account password policy calls nor PutBucketLogging.)"""
    w = watched(gd_server)
    s3 = w.client("s3")
    bucket = f"gd-more-{uuid.uuid4().hex[:10]}"
    tor_list = b"192.0.2.0/24\n"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="tor.txt", Body=tor_list)
    w.account.client("guardduty").create_threat_intel_set(
        DetectorId=w.detector, Name="tor-exit-nodes", Format="TXT", Location=f"s3://{bucket}/tor.txt", Activate=True
    )
    iam = w.client("iam")
    user = make_user(iam, allow(["kms:CreateKey", "sts:AssumeRole"]))
    w.client("kms", user, ip="192.0.2.44").create_key(Description="through Tor")
    tor = w.finding("UnauthorizedAccess:IAMUser/TorIPCaller", AccessKeyId=user["AccessKeyId"])
    assert tor["Service"]["Evidence"]["ThreatIntelligenceDetails"][0]["ThreatNames"] == ["TorExitNode"]

    # an instance profile's session (EC2 names it after the instance) used from where the account's people work
    trust = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{w.account.account_id}:root"}}
    role = iam.create_role(
        RoleName=f"web-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=policy({**trust, "Action": "sts:AssumeRole"})
    )["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="p", PolicyDocument=policy(allow("kms:ListKeys")))
    session = w.client("sts", user).assume_role(RoleArn=role["Arn"], RoleSessionName="i-0123456789abcdef0")
    creds = session["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    w.client("kms", creds).list_keys()
    stolen = w.finding(
        "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", AccessKeyId=creds["AccessKeyId"]
    )
    assert stolen["Severity"] == 8.0

    kms = w.client("kms")
    for _ in range(3):
        kms.schedule_key_deletion(KeyId=kms.create_key()["KeyMetadata"]["KeyId"], PendingWindowInDays=7)
    mass = w.finding("Impact:IAMUser/AnomalousBehavior", AccessKeyId=root_key(w))
    assert json.loads(mass["Service"]["AdditionalInfo"]["Value"])["unusual"] == ["massKeyDeletion"]
    w.event_of(mass)
    (tmp_path / "tor-exit-nodes.txt").write_bytes(tor_list)
    assert_offline_equals_live(w, tmp_path, "--threat-list", str(tmp_path / "tor-exit-nodes.txt"))
