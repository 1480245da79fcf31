"""Reveal and export: Get/UpdateRevealConfiguration, GetSensitiveDataOccurrences(+Availability),
Get/PutClassificationExportConfiguration, Get/UpdateAutomatedDiscoveryConfiguration.

Revealed samples are the matched text the engine returned when the job classified the object, stored sealed
under the server's root of trust, bound to the finding (``model.samples_aad``) — never in plaintext. A caller sees
them only if KMS lets it decrypt with the reveal configuration's key: Macie encrypts a token under that key on
its own behalf, and the caller's own ``kms:Decrypt`` of it (in-process, the key policy and the caller's IAM
policies deciding, audited as the caller's call via Macie) is the test; AWS likewise requires the caller to be
allowed to use the key (retrieval mode ``CALLER_CREDENTIALS``).
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from strongroom.core.errors import AwsError
from strongroom.services.macie2 import s3read
from strongroom.services.macie2.base import MacieBase
from strongroom.services.macie2.errors import UnprocessableEntityException, access_denied, validation
from strongroom.services.macie2.model import findings, samples_aad

if TYPE_CHECKING:
    from sqlalchemy.engine import Row

    from strongroom.services.base.runtime import RequestContext

DISABLED = {"configuration": {"status": "DISABLED"}, "retrievalConfiguration": {"retrievalMode": "CALLER_CREDENTIALS"}}


class RevealOperations(MacieBase):
    def _key_arn(self, ctx: RequestContext, key_id: str) -> str:
        """The key's ARN, asked of KMS as Macie; a key that is missing or not enabled is a ValidationException."""
        service = s3read.as_service(self.runtime, ctx.account_id, ctx.region, ctx.operation)
        try:
            meta = service.call("kms", "DescribeKey", {"KeyId": key_id}, via=s3read.SERVICE)["KeyMetadata"]
        except AwsError:
            raise validation(f"The KMS key {key_id} doesn't exist or Macie isn't allowed to use it.") from None
        if meta.get("KeyState") != "Enabled" or meta.get("KeySpec") not in (None, "SYMMETRIC_DEFAULT"):
            raise validation(f"The KMS key {key_id} must be an enabled symmetric encryption key.")
        return str(meta["Arn"])

    # -- reveal -----------------------------------------------------------------------------------------------

    def get_reveal_configuration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        return self.setting(ctx.account_id, ctx.region, "reveal") or DISABLED

    def update_reveal_configuration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        configuration = dict(request["configuration"])
        if configuration["status"] == "ENABLED":
            if not configuration.get("kmsKeyId"):
                raise validation("A kmsKeyId is required to enable the reveal configuration.")
            self._key_arn(ctx, configuration["kmsKeyId"])
        retrieval = dict(request.get("retrievalConfiguration") or {"retrievalMode": "CALLER_CREDENTIALS"})
        if retrieval.get("retrievalMode") == "ASSUME_ROLE" and not retrieval.get("roleName"):
            raise validation("A roleName is required for the ASSUME_ROLE retrieval mode.")
        value = {"configuration": configuration, "retrievalConfiguration": retrieval}
        with self.runtime.store.write() as conn:
            self.put_setting(conn, ctx.account_id, ctx.region, "reveal", value)
        return value

    def _finding(self, ctx: RequestContext, finding_id: str) -> Row[Any]:
        return self.owned(ctx, findings, "finding_id", finding_id)

    @staticmethod
    def _unavailable(row: Row[Any]) -> list[str]:
        if row.category != "CLASSIFICATION":
            return ["UNSUPPORTED_FINDING_TYPE"]
        if row.samples is None:
            return ["INVALID_CLASSIFICATION_RESULT"]
        return []

    def get_sensitive_data_occurrences_availability(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        self.session(ctx)
        reasons = self._unavailable(self._finding(ctx, request["findingId"]))
        return {"code": "UNAVAILABLE" if reasons else "AVAILABLE", "reasons": reasons}

    def get_sensitive_data_occurrences(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        row = self._finding(ctx, request["findingId"])
        config = (self.setting(ctx.account_id, ctx.region, "reveal") or DISABLED)["configuration"]
        if config.get("status") != "ENABLED":
            raise UnprocessableEntityException("The reveal configuration for the account is disabled.")
        reasons = self._unavailable(row)
        if reasons:
            raise UnprocessableEntityException(f"Sensitive data occurrences aren't available: {reasons[0]}.")
        key = self._key_arn(ctx, config["kmsKeyId"])
        service = s3read.as_service(self.runtime, ctx.account_id, ctx.region, ctx.operation)
        token = service.call("kms", "Encrypt", {"KeyId": key, "Plaintext": os.urandom(32)}, via=s3read.SERVICE)
        try:
            ctx.call("kms", "Decrypt", {"CiphertextBlob": token["CiphertextBlob"], "KeyId": key}, via=s3read.SERVICE)
        except AwsError as exc:
            if "AccessDenied" in exc.code:
                raise access_denied(
                    f"User: {ctx.principal.arn} is not authorized to perform: kms:Decrypt on resource: {key}"
                ) from None
            raise
        samples = json.loads(self.runtime.seal.unwrap(row.samples, samples_aad(row.finding_id)))
        return {
            "sensitiveDataOccurrences": {
                kind: [{"value": v[:128]} for v in values] for kind, values in samples.items()
            },
            "status": "SUCCESS",
        }

    # -- classification export ---------------------------------------------------------------------------------

    def put_classification_export_configuration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        configuration = request["configuration"]
        destination = configuration.get("s3Destination")
        if destination is None:
            raise validation("Specify an s3Destination for the classification export configuration.")
        service = s3read.as_service(self.runtime, ctx.account_id, ctx.region, ctx.operation)
        params: dict[str, Any] = {"Bucket": destination["bucketName"]}
        if destination.get("expectedBucketOwner"):
            params["ExpectedBucketOwner"] = destination["expectedBucketOwner"]
        try:
            s3read.call(service, "HeadBucket", params)
        except AwsError:
            raise validation(
                f"The S3 bucket {destination['bucketName']} doesn't exist or Macie can't write to it."
            ) from None
        self._key_arn(ctx, destination["kmsKeyArn"])
        with self.runtime.store.write() as conn:
            self.put_setting(conn, ctx.account_id, ctx.region, "export", configuration)
        return {"configuration": configuration}

    def get_classification_export_configuration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        configuration = self.setting(ctx.account_id, ctx.region, "export")
        return {"configuration": configuration} if configuration else {}

    # -- automated sensitive data discovery --------------------------------------------------------------------

    def get_automated_discovery_configuration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        value = self.setting(ctx.account_id, ctx.region, "discovery_config") or {"status": "DISABLED"}
        return value

    def update_automated_discovery_configuration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        with self.runtime.store.write() as conn:
            extra = {}
            if request.get("autoEnableOrganizationMembers"):
                extra["autoEnableOrganizationMembers"] = request["autoEnableOrganizationMembers"]
            self.set_discovery(conn, ctx.account_id, ctx.region, request["status"], extra)
        return {}
