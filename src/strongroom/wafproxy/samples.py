"""``SampleShipper``: sampled requests from the proxy / middleware to the server, for GetSampledRequests.

No public API writes samples, so they go to the server's one internal endpoint, ``POST
/_strongroom/wafv2/samples`` (``server/waf_samples.py``), SigV4-signed with the same credentials the web ACL is read
with; the server authorizes it as ``wafv2:GetWebACL`` on the ACL. ``emit`` only queues (bounded); a thread posts
the queue every ``interval`` seconds in batches. A failed post is logged and its batch dropped: samples are a
bounded statistical view (``SampleGate`` already thins them), not a ledger.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from typing import Any

import boto3
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from strongroom.services.base.shipper import BatchShipper
from strongroom.waf.adapter import Sample

log = logging.getLogger("strongroom.wafproxy")

PATH = "/_strongroom/wafv2/samples"
_BATCH = 200


def sample_document(sample: Sample) -> dict[str, Any]:
    raw = asdict(sample)
    doc: dict[str, Any] = {
        "MetricName": raw["metric_name"],
        "Action": raw["action"],
        "Request": raw["request"],
        "Labels": list(raw["labels"]),
        "Weight": raw["weight"],
    }
    if raw["rule_name_within_rule_group"]:
        doc["RuleNameWithinRuleGroup"] = raw["rule_name_within_rule_group"]
    if raw["response_code"] is not None:
        doc["ResponseCodeSent"] = raw["response_code"]
    return doc


class SampleShipper:
    """A ``SampleSink`` posting to ``endpoint_url`` (the Strongroom server), batched per web ACL by
    ``services/base/shipper.BatchShipper`` (the server's WAF enforcement ships its samples the same way)."""

    def __init__(
        self, endpoint_url: str, region: str, *, interval: float = 1.0, max_queue: int = 20_000, session: Any = None
    ) -> None:
        self.url = endpoint_url.rstrip("/") + PATH
        self.region = region
        self.session = session or boto3.session.Session()
        self.http = urllib3.PoolManager(maxsize=1, retries=False, timeout=urllib3.Timeout(connect=2, read=10))
        self.recorded = 0
        self._shipper: BatchShipper[str, dict[str, Any]] = BatchShipper(
            "waf-sample-shipper", self._post, flush_seconds=interval, max_queued=max_queue, max_batch=_BATCH, log=log
        )

    def emit(self, web_acl_arn: str, sample: Sample) -> None:
        self._shipper.put(web_acl_arn, sample_document(sample))

    def start(self) -> SampleShipper:
        return self  # the shipper's thread starts with the first sample

    def close(self) -> None:
        self._shipper.close()

    def flush(self) -> None:
        self._shipper.flush()

    def _post(self, arn: str, docs: list[dict[str, Any]]) -> None:
        body = json.dumps({"WebAclArn": arn, "Samples": docs}).encode()
        credentials = self.session.get_credentials()
        if credentials is None:
            raise RuntimeError("no AWS credentials to sign WAF samples with")
        request = AWSRequest(method="POST", url=self.url, data=body, headers={"Content-Type": "application/json"})
        SigV4Auth(credentials.get_frozen_credentials(), "wafv2", self.region).add_auth(request)
        response = self.http.request("POST", self.url, body=body, headers=dict(request.headers.items()))
        if response.status != 200:
            raise RuntimeError(f"the server refused {len(docs)} samples: {response.status} {response.data[:300]!r}")
        self.recorded += len(docs)
