"""CreateSampleFindings: one sample finding (``sample: true``) per requested type, every type when none is named, as
AWS creates them — about a made-up bucket and object, stored and published like any other finding."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strongroom.services.macie2.base import SEVERITIES, MacieBase, iso
from strongroom.services.macie2.buckets import _POLICY_TITLES
from strongroom.services.macie2.findingjson import _TITLES

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

BUCKET = "macie-sample-finding-bucket"
_SENSITIVE = {
    "SensitiveData:S3Object/Credentials": [("CREDENTIALS", "AWS_CREDENTIALS", 1)],
    "SensitiveData:S3Object/Financial": [("FINANCIAL_INFORMATION", "CREDIT_CARD_NUMBER", 4)],
    "SensitiveData:S3Object/Personal": [("PERSONAL_INFORMATION", "EMAIL_ADDRESS", 12)],
    "SensitiveData:S3Object/Multiple": [
        ("FINANCIAL_INFORMATION", "CREDIT_CARD_NUMBER", 4),
        ("PERSONAL_INFORMATION", "EMAIL_ADDRESS", 12),
    ],
    "SensitiveData:S3Object/CustomIdentifier": [],
}
_OTHER_POLICY = {
    "Policy:IAMUser/S3BucketSharedWithCloudFront": ("The S3 bucket is shared with a CloudFront distribution.", 2)
}


class SampleOperations(MacieBase):
    def create_sample_findings(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        policies = {**_POLICY_TITLES, **_OTHER_POLICY}
        kinds = request.get("findingTypes") or [*_SENSITIVE, *policies]
        now = iso(ctx.now())
        bucket = {"arn": f"arn:aws:s3:::{BUCKET}", "name": BUCKET, "owner": {"id": ctx.account_id}}
        with self.runtime.store.write() as conn:
            for kind in kinds:
                body: dict[str, Any] = {
                    "accountId": ctx.account_id,
                    "region": ctx.region,
                    "type": kind,
                    "resourcesAffected": {"s3Bucket": bucket},
                }
                if kind in _SENSITIVE:
                    score = 3 if kind != "SensitiveData:S3Object/Personal" else 2
                    parts = _SENSITIVE[kind]
                    body.update(
                        category="CLASSIFICATION",
                        title=_TITLES[kind],
                        description=_TITLES[kind],
                        severity={"score": score, "description": SEVERITIES[score]},
                        classificationDetails={
                            "jobId": "sample",
                            "originType": "SENSITIVE_DATA_DISCOVERY_JOB",
                            "result": {
                                "mimeType": "text/csv",
                                "sizeClassified": 2048,
                                "status": {"code": "COMPLETE"},
                                "sensitiveData": [
                                    {"category": c, "detections": [{"type": t, "count": n}], "totalCount": n}
                                    for c, t, n in parts
                                ],
                                "customDataIdentifiers": {
                                    "detections": [{"name": "sample", "count": 2}] if not parts else [],
                                    "totalCount": 0 if parts else 2,
                                },
                            },
                        },
                    )
                    body["resourcesAffected"]["s3Object"] = {
                        "bucketArn": bucket["arn"],
                        "key": "sample/data.csv",
                        "path": f"{BUCKET}/sample/data.csv",
                        "extension": "csv",
                        "lastModified": now,
                        "size": 2048,
                    }
                else:
                    title, score = policies[kind]
                    body.update(
                        category="POLICY",
                        title=title,
                        description=title,
                        severity={"score": score, "description": SEVERITIES[score]},
                    )
                self.store_finding(conn, body, sample=True)
        return {}
