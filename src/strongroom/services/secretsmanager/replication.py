"""Multi-Region secrets: replicas that follow every write of the primary, and promotion of a replica.

A replica is a secret row in its own Region with the primary's name and ARN suffix and ``primary_region`` set;
its versions are re-encrypted under the replica Region's key (its own KmsKeyId, or that Region's
``aws/secretsmanager``), through KMS in that Region as the caller. Replicas are read-only until
StopReplicationToReplica promotes one to a standalone secret. Every write on a primary calls
:meth:`ReplicationOperations.sync_replicas` before answering, so a replica is never behind once a call returns.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from strongroom.core.errors import AwsError
from strongroom.services.secretsmanager import model, values
from strongroom.services.secretsmanager.base import Secret, SecretsBase, find_secret, load_versions, secret_arn
from strongroom.services.secretsmanager.deletion import purge
from strongroom.services.secretsmanager.errors import InvalidParameterException, InvalidRequestException
from strongroom.services.secretsmanager.secrets import replica_status

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

log = logging.getLogger("strongroom.secretsmanager")
IN_SYNC = "Replication succeeded"


class ReplicationOperations(SecretsBase):
    def replicate_secret_to_regions(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        secret = self.secret(ctx, request.get("SecretId"), write=True)
        status = self.add_replicas(
            ctx, secret.arn, request["AddReplicaRegions"], bool(request.get("ForceOverwriteReplicaSecret"))
        )
        return {"ARN": secret.arn, "ReplicationStatus": status}

    def remove_regions_from_replication(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        secret = self.secret(ctx, request.get("SecretId"), write=True)
        drop = list(request.get("RemoveReplicaRegions") or [])
        known = {r["Region"] for r in secret.replicas}
        for region in drop:
            if region not in known:
                raise InvalidParameterException(f"The secret isn't replicated to Region {region}.")
        kept = [r for r in secret.replicas if r["Region"] not in drop]
        with self.runtime.store.write() as conn:
            for region in drop:
                replica = find_secret(conn, secret.account_id, region, secret.name)
                if replica is not None and replica.primary_region == secret.region:
                    purge(conn, replica.arn)
            conn.execute(
                model.secrets.update().where(model.secrets.c.arn == secret.arn).values(replicas=json.dumps(kept))
            )
        return {"ARN": secret.arn, "ReplicationStatus": [replica_status(r) for r in kept]}

    def stop_replication_to_replica(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        replica = self.secret(ctx, request.get("SecretId"))
        if not replica.is_replica:
            raise InvalidRequestException(
                "The secret is not a replica secret; call this operation in a replica Region."
            )
        primary_region = replica.primary_region
        assert primary_region is not None
        with self.runtime.store.write() as conn:
            conn.execute(
                model.secrets.update()
                .where(model.secrets.c.arn == replica.arn)
                .values(primary_region=None, replicas="[]", last_changed_at=self.now())
            )
            primary = find_secret(conn, replica.account_id, primary_region, replica.name)
            if primary is not None:
                kept = [r for r in primary.replicas if r["Region"] != replica.region]
                conn.execute(
                    model.secrets.update().where(model.secrets.c.arn == primary.arn).values(replicas=json.dumps(kept))
                )
        return {"ARN": replica.arn}

    # -- internals ------------------------------------------------------------------------------------------------

    def add_replicas(
        self, ctx: RequestContext, arn: str, regions: list[dict[str, Any]], force: bool
    ) -> list[dict[str, Any]]:
        secret = self.secret(ctx, arn, write=True)
        existing = {r["Region"] for r in secret.replicas}
        entries = list(secret.replicas)
        seen: set[str] = set()
        for item in regions:
            region = item["Region"]
            if region == secret.region or region in seen or region in existing:
                raise InvalidParameterException(f"Invalid replica Region: {region}.")
            seen.add(region)
            entry: dict[str, Any] = {
                "Region": region,
                "Status": "InProgress",
                "StatusMessage": "Replication in progress",
            }
            if item.get("KmsKeyId"):
                entry["KmsKeyId"] = item["KmsKeyId"]
            with self.runtime.store.read() as conn:
                clash = find_secret(conn, secret.account_id, region, secret.name)
            if clash is not None:
                if not force:
                    entry.update(
                        Status="Failed",
                        StatusMessage=f"Replication failed: Secret name already exists in Region {region}.",
                    )
                else:
                    with self.runtime.store.write() as conn:
                        purge(conn, clash.arn)
            entries.append(entry)
        with self.runtime.store.write() as conn:
            conn.execute(
                model.secrets.update().where(model.secrets.c.arn == secret.arn).values(replicas=json.dumps(entries))
            )
        self.sync_replicas(ctx, secret.arn)
        return [replica_status(r) for r in self.secret(ctx, secret.arn).replicas]

    def sync_replicas(self, ctx: RequestContext, arn: str) -> None:
        """Make every replica of ``arn`` match it: metadata, policy, versions and labels."""
        with self.runtime.store.read() as conn:
            primary = find_secret(conn, ctx.account_id, ctx.region, arn)
            if primary is None or not primary.replicas:
                return
            versions = load_versions(conn, primary.arn)
        entries = []
        for entry in primary.replicas:
            if entry.get("Status") == "Failed" and entry.get("StatusMessage", "").endswith(
                "already exists in Region " + entry["Region"] + "."
            ):
                entries.append(entry)
                continue
            try:
                self._sync_one(ctx, primary, versions, entry)
                entry = dict(entry, Status="InSync", StatusMessage=IN_SYNC)
            except AwsError as exc:
                log.warning("replication of a secret to %s failed: %s", entry["Region"], exc.code)
                entry = dict(entry, Status="Failed", StatusMessage=f"Replication failed: {exc.message}")
            entries.append(entry)
        with self.runtime.store.write() as conn:
            conn.execute(
                model.secrets.update().where(model.secrets.c.arn == primary.arn).values(replicas=json.dumps(entries))
            )

    def _sync_one(self, ctx: RequestContext, primary: Secret, versions: list[Any], entry: dict[str, Any]) -> None:
        region = entry["Region"]
        rctx = dataclasses.replace(ctx, region=region)
        replica_arn = secret_arn(primary.account_id, region, primary.name, primary.arn.rsplit("-", 1)[1])
        with self.runtime.store.read() as conn:
            have = {v.version_id for v in load_versions(conn, replica_arn) if not v.empty}
            placeholders = {v.version_id for v in load_versions(conn, replica_arn) if v.empty}
        fresh = []
        for version in versions:
            if version.version_id in have:
                continue
            if version.empty:
                fresh.append((version, "", b"", b""))
                continue
            plaintext = values.decrypt(ctx, version)
            key_arn, data_key, blob = values.encrypt(
                rctx, replica_arn, version.version_id, plaintext, entry.get("KmsKeyId")
            )
            fresh.append((version, key_arn, data_key, blob))
        replica = dataclasses.replace(
            primary,
            region=region,
            arn=replica_arn,
            kms_key_id=entry.get("KmsKeyId"),
            primary_region=primary.region,
            replicas=[],
            next_rotation_at=primary.next_rotation_at,
        )
        v = model.versions.c
        with self.runtime.store.write() as conn:
            exists = conn.execute(select(model.secrets.c.arn).where(model.secrets.c.arn == replica_arn)).one_or_none()
            if exists is None:
                conn.execute(model.secrets.insert().values(**replica.row_values()))
            else:
                values_ = replica.row_values()
                values_.pop("created_at")
                values_.pop("last_accessed_at")
                conn.execute(model.secrets.update().where(model.secrets.c.arn == replica_arn).values(**values_))
            keep = [ver.version_id for ver in versions]
            conn.execute(delete(model.versions).where((v.arn == replica_arn) & v.version_id.not_in(keep)))
            for version, key_arn, data_key, blob in fresh:
                if version.version_id in placeholders:
                    conn.execute(
                        delete(model.versions).where((v.arn == replica_arn) & (v.version_id == version.version_id))
                    )
                conn.execute(
                    model.versions.insert().values(
                        arn=replica_arn,
                        version_id=version.version_id,
                        stages="[]",
                        created_at=version.created_at,
                        last_accessed_at=None,
                        kms_key_arn=key_arn,
                        data_key=data_key,
                        blob=blob,
                        binary=version.binary,
                        seq=version.seq,
                    )
                )
            for version in versions:
                conn.execute(
                    model.versions.update()
                    .where((v.arn == replica_arn) & (v.version_id == version.version_id))
                    .values(stages=json.dumps(version.stages))
                )
