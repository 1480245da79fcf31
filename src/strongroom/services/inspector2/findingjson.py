"""Findings for a Lambda function in AWS's format (the API's member form, timestamps as ISO 8601 text).

The vulnerability part is the engine's (``strongroom.vulnscan.findings``: the same mapping ``strongroom inspector
scan`` prints); this module adds what only the service knows: the ARN (by the caller), the account, the Lambda
function as ``resources[]``, status and timestamps, and the advisory database version.

``inspectorScore`` for Lambda functions: AWS adjusts CVSS base scores for EC2 network reachability; a Lambda
function has none, so the score is the CVSS base score with no adjustments (the engine's choice of entry).

Reproducibility: the database version a finding was produced from is named in its remediation text (the Finding
shape has no member for it) and kept in the coverage row; a rescan against another version updates the finding.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any, Protocol

from strongroom.services.inspector2.base import LAMBDA_RESOURCE, iso
from strongroom.vulnscan.contract import CodeMatch, PackageMatch
from strongroom.vulnscan.findings import code_key, code_vulnerability, package_key, package_vulnerability

__all__ = ["code_finding", "code_key", "lambda_resource", "package_finding", "package_key"]


class FunctionInfo(Protocol):
    """What a finding names of a function (Lambda's ``inventory.FunctionInfo``)."""

    @property
    def arn(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def runtime(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def code_sha256(self) -> str: ...
    @property
    def last_modified(self) -> datetime: ...
    @property
    def tags(self) -> dict[str, str]: ...


def lambda_resource(fn: FunctionInfo, region: str) -> dict[str, Any]:
    return {
        "type": LAMBDA_RESOURCE,
        "id": fn.arn,
        "partition": "aws",
        "region": region,
        "tags": dict(fn.tags),
        "details": {
            "awsLambdaFunction": {
                "functionName": fn.name,
                "runtime": fn.runtime,
                "codeSha256": base64.b64encode(bytes.fromhex(fn.code_sha256)).decode(),
                "version": "$LATEST",
                "executionRoleArn": fn.role,
                "layers": [],
                "packageType": "Zip",
                "architectures": ["X86_64"],
                "lastModifiedAt": iso(fn.last_modified),
            }
        },
    }


def _place(finding: dict[str, Any], fn: FunctionInfo, account_id: str, region: str, now: datetime) -> dict[str, Any]:
    finding.update(
        {
            "awsAccountId": account_id,
            "firstObservedAt": iso(now),
            "lastObservedAt": iso(now),
            "updatedAt": iso(now),
            "status": "ACTIVE",
            "resources": [lambda_resource(fn, region)],
        }
    )
    return finding


def package_finding(
    match: PackageMatch, fn: FunctionInfo, account_id: str, region: str, db_version: str, now: datetime
) -> dict[str, Any]:
    finding = package_vulnerability(match)
    recommendation = finding.setdefault("remediation", {}).setdefault("recommendation", {})
    recommendation["text"] = f"{recommendation.get('text') or 'None Provided'} (advisory database {db_version})"
    return _place(finding, fn, account_id, region, now)


def code_finding(match: CodeMatch, fn: FunctionInfo, account_id: str, region: str, now: datetime) -> dict[str, Any]:
    return _place(code_vulnerability(match), fn, account_id, region, now)
