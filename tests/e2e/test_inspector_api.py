"""Amazon Inspector end to end: the advisory database loaded by ``strongroom inspector update-db``, Lambda functions
scanned on their own (on create, on code change), findings, coverage, suppression rules, reports and SBOM exports
to S3 under a KMS key, events on the bus, inspector-scan ScanSbom, and AWS's errors."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from strongroom.vulnscan.contract import MemorySource
from tests.e2e.access_support import allow, client_for, deny, make_user, policy
from tests.e2e.events_support import log_entries, wait_for
from tests.e2e.organizations_support import Account, new_account
from tests.support.server import ServerProcess, strongroom

REPO = Path(__file__).resolve().parents[2]
ADVISORIES = REPO / "tests/data/pypa-advisory-database"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
HANDLER = "def handler(event, context):\n    return 'ok'\n"
# A hard-coded AWS secret access key (AWS's documented example key) for the code scanner.
LEAKY = (
    "import boto3\n\n"
    'AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"\n'
    'AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n\n'
    "def handler(event, context):\n"
    "    return boto3.client('s3', aws_access_key_id=AWS_ACCESS_KEY_ID,"
    " aws_secret_access_key=AWS_SECRET_ACCESS_KEY)\n"
)


def package_zip(packages: dict[str, str], source: str = HANDLER) -> bytes:
    """A deployment package vendoring ``packages`` (name -> version) as installed ``*.dist-info`` directories."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.py", source)
        for name, version in packages.items():
            meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
            archive.writestr(f"{name}-{version}.dist-info/METADATA", meta)
            archive.writestr(f"{name}/__init__.py", f"__version__ = '{version}'\n")
    return buf.getvalue()


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return str(err["Code"]), str(err.get("Message") or "")


@pytest.fixture(scope="module")
def loaded(server: ServerProcess) -> str:
    """The test subset of the PyPA advisory database, loaded by the CLI unless an earlier module did (the database
    is the server's, global; idempotence is tests/unit's); answers its version."""
    version = MemorySource.from_paths(ADVISORIES).version  # the engine's content hash, as update-db records it
    known = server.client("inspector2").search_vulnerabilities(filterCriteria={"vulnerabilityIds": ["CVE-2018-18074"]})
    if not known["vulnerabilities"]:
        args = ["inspector", "update-db", "--from", str(ADVISORIES), "--data-dir", str(server.data_dir)]
        if server.database_url:
            args += ["--database-url", server.database_url]
        out = strongroom(*args).stdout
        assert out.startswith(("loaded:", "unchanged")) and version in out, out
    return version


class Scanned:
    """An account with Inspector enabled, an execution role, and a rule copying Inspector's events to a log."""

    def __init__(self, server: ServerProcess, *kinds: str) -> None:
        self.server = server
        self.account: Account = new_account(server)
        self.inspector = self.account.client("inspector2")
        self.lam = self.account.client("lambda")
        iam = self.account.client("iam")
        self.role = iam.create_role(RoleName=f"r-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        self.log = f"inspector-{uuid.uuid4().hex[:8]}"
        events = self.account.client("events")
        events.put_rule(Name="inspector", EventPattern=json.dumps({"source": ["aws.inspector2"]}))
        target = f"arn:strongroom:events-log:us-east-1:{self.account.account_id}:{self.log}"
        events.put_targets(Rule="inspector", Targets=[{"Id": "log", "Arn": target}])
        if kinds:
            self.inspector.enable(resourceTypes=list(kinds))

    def create(self, code: bytes, name: str | None = None) -> dict[str, Any]:
        return dict(
            self.lam.create_function(
                FunctionName=name or f"fn-{uuid.uuid4().hex[:10]}",
                Runtime="python3.12",
                Role=self.role,
                Handler="index.handler",
                Code={"ZipFile": code},
                Tags={"team": "payments"},
            )
        )

    def scan(self) -> None:
        """Let the scanner's next pass run (it reconciles every minute of the server clock)."""
        self.server.advance(61)

    def findings(self, **criteria: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for page in self.inspector.get_paginator("list_findings").paginate(filterCriteria=criteria):
            found += page["findings"]
        return found

    def events(self, detail_type: str) -> list[dict[str, Any]]:
        return [e for e in log_entries(self.server, self.log) if e["detail-type"] == detail_type]


def test_enable_disable_and_account_status(server: ServerProcess) -> None:
    account = new_account(server)
    inspector = account.client("inspector2")
    (state,) = inspector.batch_get_account_status()["accounts"]
    assert state["state"]["status"] == "DISABLED"
    assert state["resourceState"]["lambda"]["status"] == "DISABLED"

    with pytest.raises(ClientError) as exc:  # code scanning needs standard scanning
        inspector.enable(resourceTypes=["LAMBDA_CODE"])
    assert error_of(exc)[0] == "ValidationException"

    out = inspector.enable(resourceTypes=["LAMBDA", "EC2"], accountIds=[account.account_id, "111122223333"])
    (enabled,) = out["accounts"]
    assert enabled["status"] == "ENABLED"
    assert enabled["resourceStatus"]["lambda"] == "ENABLED" and enabled["resourceStatus"]["ec2"] == "ENABLED"
    assert enabled["resourceStatus"]["ecr"] == "DISABLED"
    assert [(f["accountId"], f["errorCode"]) for f in out["failedAccounts"]] == [("111122223333", "ACCESS_DENIED")]
    (state,) = inspector.batch_get_account_status(accountIds=[account.account_id])["accounts"]
    assert state["state"]["status"] == "ENABLED" and state["resourceState"]["lambda"]["status"] == "ENABLED"

    trial = inspector.batch_get_free_trial_info(accountIds=[account.account_id])["accounts"][0]["freeTrialInfo"]
    assert {t["type"]: t["status"] for t in trial} == {"LAMBDA": "ACTIVE", "EC2": "ACTIVE"}

    with pytest.raises(ClientError) as exc:  # the model's enum, checked before the service
        inspector.enable(resourceTypes=["NOT_A_TYPE"])
    assert error_of(exc)[0] == "ValidationException"

    out = inspector.disable()
    assert out["accounts"][0]["status"] == "DISABLED"
    assert set(out["accounts"][0]["resourceStatus"].values()) == {"DISABLED"}


def test_package_finding_closes_after_fix_and_events(server: ServerProcess, loaded: str) -> None:
    env = Scanned(server, "LAMBDA")
    fn = env.create(package_zip({"requests": "2.19.0", "idna": "3.7"}))
    env.scan()

    found = env.findings(lambdaFunctionName=[{"comparison": "EQUALS", "value": fn["FunctionName"]}])
    by_id = {f["packageVulnerabilityDetails"]["vulnerabilityId"]: f for f in found}
    assert set(by_id) == {"CVE-2018-18074", "CVE-2023-32681"}, sorted(by_id)
    finding = by_id["CVE-2018-18074"]
    assert finding["type"] == "PACKAGE_VULNERABILITY" and finding["status"] == "ACTIVE"
    assert finding["title"] == "CVE-2018-18074 - requests"
    (package,) = finding["packageVulnerabilityDetails"]["vulnerablePackages"]
    assert (package["name"], package["version"], package["fixedInVersion"]) == ("requests", "2.19.0", "2.20.0")
    assert package["filePath"] == "requests-2.19.0.dist-info/METADATA"
    assert {"GHSA-x84v-xcm2-53pg", "PYSEC-2018-28"} <= set(
        finding["packageVulnerabilityDetails"]["relatedVulnerabilities"]
    )
    assert finding["fixAvailable"] == "YES" and loaded in finding["remediation"]["recommendation"]["text"]
    (resource,) = finding["resources"]
    assert resource["type"] == "AWS_LAMBDA_FUNCTION" and resource["id"] == fn["FunctionArn"]
    assert resource["details"]["awsLambdaFunction"]["codeSha256"] == fn["CodeSha256"]
    assert resource["tags"] == {"team": "payments"}

    # coverage and its statistics
    (covered,) = env.inspector.list_coverage()["coveredResources"]
    assert (covered["resourceId"], covered["scanType"]) == (fn["FunctionArn"], "PACKAGE")
    assert covered["scanStatus"] == {"statusCode": "ACTIVE", "reason": "SUCCESSFUL"}
    assert covered["resourceMetadata"]["lambdaFunction"]["functionName"] == fn["FunctionName"]
    stats = env.inspector.list_coverage_statistics(groupBy="SCAN_STATUS_REASON")
    assert stats["totalCounts"] == 1 and stats["countsByGroup"][0]["count"] == 1
    none = env.inspector.list_coverage(
        filterCriteria={"scanStatusCode": [{"comparison": "EQUALS", "value": "INACTIVE"}]}
    )
    assert none["coveredResources"] == []

    # sorting, paging, details, aggregations
    ordered = env.inspector.list_findings(sortCriteria={"field": "VULNERABILITY_ID", "sortOrder": "DESC"})["findings"]
    assert [f["packageVulnerabilityDetails"]["vulnerabilityId"] for f in ordered] == [
        "CVE-2023-32681",
        "CVE-2018-18074",
    ]
    first = env.inspector.list_findings(maxResults=1)
    assert len(first["findings"]) == 1 and first["nextToken"]
    arns = [f["findingArn"] for f in found]
    missing = arns[0][:-32] + "0" * 32
    details = env.inspector.batch_get_finding_details(findingArns=[*arns, missing])
    assert {d["findingArn"] for d in details["findingDetails"]} == set(arns)
    assert [e["errorCode"] for e in details["errors"]] == ["FINDING_DETAILS_NOT_FOUND"]
    packages = env.inspector.list_finding_aggregations(aggregationType="PACKAGE")["responses"]
    assert [
        (r["packageAggregation"]["packageName"], r["packageAggregation"]["severityCounts"]["all"]) for r in packages
    ] == [("requests", 2)]
    functions = env.inspector.list_finding_aggregations(aggregationType="AWS_LAMBDA_FUNCTION")["responses"]
    assert functions[0]["lambdaFunctionAggregation"]["resourceId"] == fn["FunctionArn"]
    titles = env.inspector.list_finding_aggregations(aggregationType="TITLE")["responses"]
    assert {r["titleAggregation"]["vulnerabilityId"] for r in titles} == set(by_id)
    assert env.inspector.list_finding_aggregations(aggregationType="AWS_EC2_INSTANCE")["responses"] == []
    with pytest.raises(ClientError) as exc:
        env.inspector.list_findings(nextToken="not-a-token")
    assert error_of(exc)[0] == "ValidationException"

    # the fix: UpdateFunctionCode with a fixed version closes both findings at the next pass
    env.lam.update_function_code(FunctionName=fn["FunctionName"], ZipFile=package_zip({"requests": "2.31.0"}))
    env.scan()
    after = env.findings(resourceId=[{"comparison": "EQUALS", "value": fn["FunctionArn"]}])
    assert {f["status"] for f in after} == {"CLOSED"} and len(after) == 2
    active = env.findings(findingStatus=[{"comparison": "EQUALS", "value": "ACTIVE"}])
    assert active == []

    # events: each finding announced when created and when closed; a coverage change; a completed scan
    assert wait_for(lambda: len(env.events("Inspector2 Finding")) == 4)
    statuses = sorted(e["detail"]["status"] for e in env.events("Inspector2 Finding"))
    assert statuses == ["ACTIVE", "ACTIVE", "CLOSED", "CLOSED"]
    assert env.events("Inspector2 Coverage")[0]["resources"] == [fn["FunctionArn"]]
    assert len(env.events("Inspector2 Scan")) == 2


def test_code_vulnerability_hard_coded_secret(server: ServerProcess, loaded: str) -> None:
    del loaded
    env = Scanned(server, "LAMBDA", "LAMBDA_CODE")
    fn = env.create(package_zip({}, source=LEAKY))
    env.scan()
    code = env.findings(findingType=[{"comparison": "EQUALS", "value": "CODE_VULNERABILITY"}])
    assert code, "no CODE_VULNERABILITY finding"
    details = [f["codeVulnerabilityDetails"] for f in code]
    assert any("CWE-798" in d["cwes"] for d in details), details
    hit = next(d for d in details if "CWE-798" in d["cwes"])
    assert hit["filePath"]["filePath"] == "index.py" and 3 <= hit["filePath"]["startLine"] <= 4
    assert code[0]["resources"][0]["id"] == fn["FunctionArn"]
    assert "wJalrXUtnFEMI" not in json.dumps(code, default=str)  # the finding names the place, never the secret
    scan_types = {c["scanType"] for c in env.inspector.list_coverage()["coveredResources"]}
    assert scan_types == {"PACKAGE", "CODE"}


def test_suppression_rule_hides_matching_findings(server: ServerProcess, loaded: str) -> None:
    del loaded
    env = Scanned(server, "LAMBDA")
    env.create(package_zip({"requests": "2.19.0"}))
    env.scan()
    cve = {"vulnerabilityId": [{"comparison": "EQUALS", "value": "CVE-2018-18074"}]}
    rule = env.inspector.create_filter(
        name="accepted-risk", action="SUPPRESS", filterCriteria=cve, reason="behind a proxy", description="known"
    )["arn"]
    (hidden,) = env.findings(**cve)
    assert hidden["status"] == "SUPPRESSED"
    active = env.findings(findingStatus=[{"comparison": "EQUALS", "value": "ACTIVE"}])
    assert [f["packageVulnerabilityDetails"]["vulnerabilityId"] for f in active] == ["CVE-2023-32681"]
    (listed,) = env.inspector.list_filters(action="SUPPRESS")["filters"]
    assert (listed["arn"], listed["name"], listed["reason"]) == (rule, "accepted-risk", "behind a proxy")
    assert listed["criteria"]["vulnerabilityId"] == cve["vulnerabilityId"]

    with pytest.raises(ClientError) as exc:
        env.inspector.create_filter(name="accepted-risk", action="NONE", filterCriteria=cve)
    assert error_of(exc)[0] == "BadRequestException"
    with pytest.raises(ClientError) as exc:
        env.inspector.create_filter(name="empty", action="SUPPRESS", filterCriteria={})
    assert error_of(exc)[0] == "ValidationException"
    with pytest.raises(ClientError) as exc:
        env.inspector.update_filter(filterArn=rule + "x", action="NONE")
    assert error_of(exc)[0] == "ResourceNotFoundException"

    env.inspector.update_filter(filterArn=rule, action="NONE")  # no longer a suppression rule
    assert env.findings(**cve)[0]["status"] == "ACTIVE"
    env.inspector.update_filter(filterArn=rule, action="SUPPRESS")
    assert env.findings(**cve)[0]["status"] == "SUPPRESSED"
    assert env.inspector.delete_filter(arn=rule)["arn"] == rule
    assert env.findings(**cve)[0]["status"] == "ACTIVE"
    with pytest.raises(ClientError) as exc:
        env.inspector.delete_filter(arn=rule)
    assert error_of(exc)[0] == "ResourceNotFoundException"


def _destination(account: Account, allow_inspector: bool) -> dict[str, str]:
    s3, kms = account.client("s3"), account.client("kms")
    bucket = f"inspector-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    root = f"arn:aws:iam::{account.account_id}:root"
    key = kms.create_key(
        Policy=policy(
            {"Effect": "Allow", "Principal": {"AWS": root}, "Action": "kms:*", "Resource": "*"},
            {
                "Effect": "Allow",
                "Principal": {"Service": "inspector2.amazonaws.com"},
                "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                "Resource": "*",
            },
        )
    )["KeyMetadata"]["Arn"]
    if allow_inspector:
        s3.put_bucket_policy(
            Bucket=bucket,
            Policy=policy(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "inspector2.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account.account_id}},
                }
            ),
        )
    return {"bucketName": bucket, "keyPrefix": "exports", "kmsKeyArn": key}


def test_sbom_export_and_findings_report_land_in_s3_encrypted(server: ServerProcess, loaded: str) -> None:
    del loaded
    env = Scanned(server, "LAMBDA")
    fn = env.create(package_zip({"requests": "2.19.0", "idna": "3.7"}))
    env.scan()
    s3 = env.account.client("s3")
    dest = _destination(env.account, allow_inspector=True)

    for fmt in ("CYCLONEDX_1_4", "SPDX_2_3"):
        report = env.inspector.create_sbom_export(reportFormat=fmt, s3Destination=dest)["reportId"]
        status = env.inspector.get_sbom_export(reportId=report)
        assert (status["status"], status["format"]) == ("SUCCEEDED", fmt), status
        key = f"exports/SBOM/{env.account.account_id}/{report}/{fn['FunctionName']}.json"
        head = s3.head_object(Bucket=dest["bucketName"], Key=key)
        assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == dest["kmsKeyArn"]
        document = json.loads(s3.get_object(Bucket=dest["bucketName"], Key=key)["Body"].read())
        if fmt == "CYCLONEDX_1_4":
            purls = {c["purl"] for c in document["components"]}
            assert (document["bomFormat"], document["specVersion"]) == ("CycloneDX", "1.4")
        else:
            purls = {r["referenceLocator"] for p in document["packages"] for r in p["externalRefs"]}
            assert document["spdxVersion"] == "SPDX-2.3"
        assert {"pkg:pypi/requests@2.19.0", "pkg:pypi/idna@3.7"} <= purls

    report = env.inspector.create_findings_report(reportFormat="JSON", s3Destination=dest)["reportId"]
    status = env.inspector.get_findings_report_status(reportId=report)
    assert status["status"] == "SUCCEEDED" and status["destination"]["bucketName"] == dest["bucketName"]
    body = json.loads(s3.get_object(Bucket=dest["bucketName"], Key=f"exports/{report}.json")["Body"].read())
    assert {f["title"] for f in body["findings"]} == {"CVE-2018-18074 - requests", "CVE-2023-32681 - requests"}
    none = env.inspector.create_findings_report(
        reportFormat="CSV",
        s3Destination=dest,
        filterCriteria={"vulnerabilityId": [{"comparison": "EQUALS", "value": "CVE-1999-0001"}]},
    )["reportId"]
    failed = env.inspector.get_findings_report_status(reportId=none)
    assert (failed["status"], failed["errorCode"]) == ("FAILED", "NO_FINDINGS_FOUND")

    # a bucket that does not let Inspector write: the export fails as AWS reports it
    closed = _destination(env.account, allow_inspector=False)
    report = env.inspector.create_sbom_export(reportFormat="CYCLONEDX_1_4", s3Destination=closed)["reportId"]
    status = env.inspector.get_sbom_export(reportId=report)
    assert (status["status"], status["errorCode"]) == ("FAILED", "INVALID_PERMISSIONS")
    with pytest.raises(ClientError) as exc:
        env.inspector.get_sbom_export(reportId=str(uuid.uuid4()))
    assert error_of(exc)[0] == "ResourceNotFoundException"


def test_scan_sbom_and_search_vulnerabilities(server: ServerProcess, loaded: str) -> None:
    del loaded
    scan = server.client("inspector-scan")
    sbom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "components": [
            {"type": "library", "name": "requests", "version": "2.19.0", "purl": "pkg:pypi/requests@2.19.0"},
            {"type": "library", "name": "flask", "version": "3.1.1", "purl": "pkg:pypi/flask@3.1.1"},
            {"type": "library", "name": "left-pad", "version": "1.3.0"},
        ],
    }
    answer = scan.scan_sbom(sbom=sbom, outputFormat="CYCLONE_DX_1_5")["sbom"]
    assert (answer["bomFormat"], answer["specVersion"]) == ("CycloneDX", "1.5")
    vulns = {v["id"]: v for v in answer["vulnerabilities"]}
    assert {"CVE-2018-18074", "CVE-2023-32681"} <= set(vulns)
    refs = {c["purl"]: c["bom-ref"] for c in answer["components"] if "purl" in c}
    assert vulns["CVE-2018-18074"]["affects"] == [{"ref": refs["pkg:pypi/requests@2.19.0"]}]
    fixed = {p["name"]: p["value"] for p in vulns["CVE-2018-18074"]["properties"]}
    assert fixed[f"amazon:inspector:sbom_scanner:fixed_version:{refs['pkg:pypi/requests@2.19.0']}"] == "2.20.0"
    with pytest.raises(ClientError) as exc:
        scan.scan_sbom(sbom={"bomFormat": "SPDX"})
    assert error_of(exc)[0] == "ValidationException"

    inspector = server.client("inspector2")
    (vuln,) = inspector.search_vulnerabilities(filterCriteria={"vulnerabilityIds": ["CVE-2018-18074"]})[
        "vulnerabilities"
    ]
    assert vuln["id"] == "CVE-2018-18074" and vuln["source"] == "NVD"
    assert "PYSEC-2018-28" in vuln["relatedVulnerabilities"]
    unknown = inspector.search_vulnerabilities(filterCriteria={"vulnerabilityIds": ["CVE-1999-0001"]})
    assert unknown["vulnerabilities"] == []


def test_denied_by_iam_policy(server: ServerProcess) -> None:
    account = new_account(server)
    user = make_user(
        account.client("iam"),
        allow("inspector2:*"),
        deny("inspector2:ListFindings"),
        deny(
            ["inspector2:DeleteFilter", "inspector2:UntagResource"],
            Condition={"StringEquals": {"aws:ResourceTag/keep": "yes"}},
        ),
    )
    inspector = client_for(server, "inspector2", user)
    assert inspector.list_filters()["filters"] == []
    with pytest.raises(ClientError) as exc:
        inspector.list_findings()
    assert error_of(exc)[0] == "AccessDeniedException"
    criteria = {"severity": [{"comparison": "EQUALS", "value": "LOW"}]}
    kept = inspector.create_filter(name="kept", action="SUPPRESS", filterCriteria=criteria, tags={"keep": "yes"})
    loose = inspector.create_filter(name="loose", action="NONE", filterCriteria=criteria)
    with pytest.raises(ClientError) as exc:  # the filter's own tags decide (access.py)
        inspector.delete_filter(arn=kept["arn"])
    assert error_of(exc)[0] == "AccessDeniedException"
    assert inspector.list_tags_for_resource(resourceArn=kept["arn"])["tags"] == {"keep": "yes"}
    with pytest.raises(ClientError) as exc:  # tagging acts on the filter too
        inspector.untag_resource(resourceArn=kept["arn"], tagKeys=["keep"])
    assert error_of(exc)[0] == "AccessDeniedException"
    inspector.tag_resource(resourceArn=loose["arn"], tags={"owner": "sec"})
    listed = {f["name"]: f["tags"] for f in inspector.list_filters()["filters"]}
    assert listed == {"kept": {"keep": "yes"}, "loose": {"owner": "sec"}}
    inspector.untag_resource(resourceArn=loose["arn"], tagKeys=["owner"])
    assert inspector.list_tags_for_resource(resourceArn=loose["arn"])["tags"] == {}
    with pytest.raises(ClientError) as exc:
        inspector.list_tags_for_resource(resourceArn=loose["arn"] + "0")
    assert error_of(exc)[0] == "ResourceNotFoundException"
    assert inspector.delete_filter(arn=loose["arn"])["arn"] == loose["arn"]


def test_a_new_database_version_rescans_functions(
    server: ServerProcess, loaded: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Last in the module: it leaves the server's (global) database one advisory larger, for a package no other
    test vendors."""
    del loaded
    env = Scanned(server, "LAMBDA")
    fn = env.create(package_zip({"strongroom-demo": "1.0"}))
    env.scan()
    assert env.findings() == []
    extra = tmp_path_factory.mktemp("osv")
    advisory = {
        "id": "PYSEC-2099-1",
        "modified": "2026-12-01T00:00:00Z",
        "published": "2026-12-01T00:00:00Z",
        "summary": "A test advisory for strongroom-demo",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "strongroom-demo"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}],
            }
        ],
    }
    (extra / "PYSEC-2099-1.json").write_text(json.dumps(advisory))
    args = [
        "inspector",
        "update-db",
        "--from",
        str(ADVISORIES),
        "--from",
        str(extra),
        "--data-dir",
        str(server.data_dir),
    ]
    if server.database_url:
        args += ["--database-url", server.database_url]
    out = strongroom(*args).stdout
    assert out.startswith("loaded:"), out
    env.scan()
    (finding,) = env.findings()
    assert finding["packageVulnerabilityDetails"]["vulnerabilityId"] == "PYSEC-2099-1"
    assert finding["resources"][0]["id"] == fn["FunctionArn"]
    assert finding["packageVulnerabilityDetails"]["vulnerablePackages"][0]["fixedInVersion"] == "2.0"
