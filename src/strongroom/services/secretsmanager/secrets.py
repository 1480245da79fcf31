"""Secrets themselves: CreateSecret, DescribeSecret, UpdateSecret, TagResource, UntagResource, ListSecrets."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from strongroom.core.clock import clock
from strongroom.services.secretsmanager import events, model, values, writes
from strongroom.services.secretsmanager.base import (
    CURRENT,
    PENDING,
    PREVIOUS,
    Secret,
    SecretsBase,
    Version,
    find_secret,
    iso_day,
    load_versions,
    secret_arn,
    version_stages,
)
from strongroom.services.secretsmanager.errors import (
    InvalidNextTokenException,
    InvalidParameterException,
    InvalidRequestException,
    ResourceExistsException,
)

if TYPE_CHECKING:
    from strongroom.server.context import RequestContext

_NAME = re.compile(r"^[A-Za-z0-9/_+=.@\-!]+$")
MAX_TAGS = 50


def check_tags(tags: list[dict[str, str]]) -> None:
    for tag in tags:
        if str(tag.get("Key", "")).lower().startswith("aws:"):
            raise InvalidParameterException("Invalid tag key: keys can't start with the reserved prefix aws:.")
    if len(tags) > MAX_TAGS:
        raise InvalidParameterException("You can attach at most 50 tags to a secret.")


def merge_tags(current: list[dict[str, str]], new: list[dict[str, str]]) -> list[dict[str, str]]:
    merged = {t["Key"]: t.get("Value", "") for t in current}
    for t in new:
        merged[t["Key"]] = t.get("Value", "")
    return [{"Key": k, "Value": v} for k, v in merged.items()]


def rules_out(rules: dict[str, Any] | None) -> dict[str, Any] | None:
    return dict(rules) if rules else None


def describe(secret: Secret, versions: list[Version], *, listing: bool = False) -> dict[str, Any]:
    """DescribeSecret's output (and, with ``listing``, a SecretListEntry)."""
    out: dict[str, Any] = {"ARN": secret.arn, "Name": secret.name}
    if secret.description is not None:
        out["Description"] = secret.description
    if secret.kms_key_id:
        out["KmsKeyId"] = secret.kms_key_id
    if secret.rotation_enabled or secret.rotation_lambda_arn:
        out["RotationEnabled"] = secret.rotation_enabled
    if secret.rotation_lambda_arn:
        out["RotationLambdaARN"] = secret.rotation_lambda_arn
    if secret.rotation_rules:
        out["RotationRules"] = rules_out(secret.rotation_rules)
    if secret.last_rotated_at:
        out["LastRotatedDate"] = secret.last_rotated_at
    out["LastChangedDate"] = secret.last_changed_at
    if secret.last_accessed_at:
        out["LastAccessedDate"] = iso_day(secret.last_accessed_at)
    if secret.deletion_date:
        out["DeletedDate"] = secret.deletion_date
    if secret.rotation_enabled and secret.next_rotation_at:
        out["NextRotationDate"] = secret.next_rotation_at
    if secret.tags:
        out["Tags"] = secret.tags
    out["SecretVersionsToStages" if listing else "VersionIdsToStages"] = version_stages(versions)
    out["CreatedDate"] = secret.created_at
    if secret.primary_region or secret.replicas:
        out["PrimaryRegion"] = secret.primary_region or secret.region
    if secret.replicas and not listing:
        out["ReplicationStatus"] = [replica_status(r) for r in secret.replicas]
    return out


def replica_status(entry: dict[str, Any]) -> dict[str, Any]:
    out = {k: entry[k] for k in ("Region", "KmsKeyId", "Status", "StatusMessage") if entry.get(k) is not None}
    if entry.get("LastAccessedDate"):
        out["LastAccessedDate"] = datetime.fromisoformat(entry["LastAccessedDate"])
    return out


def _filter_match(key: str, value: str, secret: Secret) -> bool:
    def prefix(candidates: list[str], sensitive: bool = False) -> bool:
        if sensitive:
            return any(c.startswith(value) for c in candidates)
        return any(c.lower().startswith(value.lower()) for c in candidates)

    names = [secret.name]
    descriptions = [secret.description or ""]
    tag_keys = [t["Key"] for t in secret.tags]
    tag_values = [t.get("Value", "") for t in secret.tags]
    primary = [secret.primary_region or secret.region] if (secret.primary_region or secret.replicas) else []
    match key:
        case "name":
            return prefix(names)
        case "description":
            return prefix(descriptions)
        case "tag-key":
            return prefix(tag_keys, True)
        case "tag-value":
            return prefix(tag_values, True)
        case "primary-region":
            return prefix(primary, True)
        case "owning-service":
            return False
        case _:
            return prefix(names + descriptions + tag_keys + tag_values + primary)


def matches(filters: list[dict[str, Any]], secret: Secret) -> bool:
    """Filters AND together; a filter's values OR; a value starting with ``!`` negates (prefix match)."""
    for flt in filters:
        key = flt.get("Key", "all")
        vals = flt.get("Values") or [""]
        positives = [v for v in vals if not v.startswith("!")]
        negatives = [v[1:] for v in vals if v.startswith("!")]
        if any(_filter_match(key, v, secret) for v in negatives):
            return False
        if positives and not any(_filter_match(key, v, secret) for v in positives):
            return False
    return True


def page(items: list[Any], request: dict[str, Any], default: int) -> tuple[list[Any], str | None]:
    """Offset pagination with an opaque token, as AWS's tokens are opaque."""
    token = request.get("NextToken")
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode())
        except (ValueError, UnicodeDecodeError):
            raise InvalidNextTokenException("The NextToken value is invalid.") from None
        if start < 0 or start > len(items):
            raise InvalidNextTokenException("The NextToken value is invalid.")
    size = int(request.get("MaxResults") or default)
    chunk = items[start : start + size]
    nxt = start + size
    return chunk, base64.urlsafe_b64encode(str(nxt).encode()).decode() if nxt < len(items) else None


class SecretOperations(SecretsBase):
    def create_secret(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["Name"]
        if not _NAME.match(name):
            raise InvalidParameterException(
                "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: "
                "-/_+=.@!"
            )
        if request.get("CrossAccountPrimaryARN") or request.get("Type"):
            raise InvalidRequestException("Strongroom does not support cross-account replicas or secret types.")
        tags = list(request.get("Tags") or [])
        check_tags(tags)
        value = writes.value_of(request, required=False)
        kms_key_id = request.get("KmsKeyId") or None
        with self.runtime.store.read() as conn:
            existing = find_secret(conn, ctx.account_id, ctx.region, name)
        if existing is not None:
            if existing.deleted:
                raise InvalidRequestException(
                    "You can't create this secret because a secret with this name is already scheduled for deletion."
                )
            raise ResourceExistsException(f"The operation failed because the secret {name} already exists.")
        arn = secret_arn(ctx.account_id, ctx.region, name)
        token = writes.token_of(request)
        encrypted = values.encrypt(ctx, arn, token, value[0], kms_key_id) if value else None
        now = clock.now()
        row = Secret(
            account_id=ctx.account_id,
            region=ctx.region,
            name=name,
            arn=arn,
            description=request.get("Description"),
            kms_key_id=kms_key_id,
            tags=[{"Key": t["Key"], "Value": t.get("Value", "")} for t in tags],
            created_at=now,
            last_changed_at=now,
            last_accessed_at=None,
            deletion_date=None,
            rotation_enabled=False,
            rotation_lambda_arn=None,
            rotation_rules=None,
            last_rotated_at=None,
            next_rotation_at=None,
            rotation_failed=False,
            primary_region=None,
            replicas=[],
            policy=None,
        )
        try:
            with self.runtime.store.write() as conn:
                conn.execute(model.secrets.insert().values(**row.row_values()))
                if value and encrypted:
                    conn.execute(
                        model.versions.insert().values(
                            arn=arn,
                            version_id=token,
                            stages=json.dumps([CURRENT]),
                            created_at=now,
                            last_accessed_at=None,
                            kms_key_arn=encrypted[0],
                            data_key=encrypted[1],
                            blob=encrypted[2],
                            binary=value[1],
                            seq=1,
                        )
                    )
        except IntegrityError:
            raise ResourceExistsException(f"The operation failed because the secret {name} already exists.") from None
        out: dict[str, Any] = {"ARN": arn, "Name": name}
        if value:
            out["VersionId"] = token
            events.label_updated(self.runtime, ctx.account_id, ctx.region, arn, name, [CURRENT], token)
        regions = request.get("AddReplicaRegions")
        if regions:
            out["ReplicationStatus"] = self.add_replicas(
                ctx, arn, regions, bool(request.get("ForceOverwriteReplicaSecret"))
            )
        return out

    def describe_secret(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        secret = self.secret(ctx, request.get("SecretId"), deleted_ok=True)
        with self.runtime.store.read() as conn:
            versions = load_versions(conn, secret.arn)
        return describe(secret, versions)

    def update_secret(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        secret = self.secret(ctx, request.get("SecretId"), write=True)
        if request.get("Type"):
            raise InvalidRequestException("Strongroom does not support secret types.")
        value = writes.value_of(request, required=False)
        changes: dict[str, Any] = {}
        if "Description" in request:
            changes["description"] = request["Description"]
        new_key = request.get("KmsKeyId")
        if new_key is not None and (new_key or None) != secret.kms_key_id:
            changes["kms_key_id"] = new_key or None
        out: dict[str, Any] = {"ARN": secret.arn, "Name": secret.name}
        if "kms_key_id" in changes and value is None:
            self._reencrypt_labeled(ctx, secret, changes["kms_key_id"])
        if changes:
            with self.runtime.store.write() as conn:
                conn.execute(
                    model.secrets.update()
                    .where(model.secrets.c.arn == secret.arn)
                    .values(**changes, last_changed_at=clock.now())
                )
            secret = self.secret(ctx, secret.arn)
        if value is not None:
            token = writes.token_of(request)
            same = writes.existing_same(ctx, secret, token, *value)
            if same is not True:
                _, moved = writes.insert_version(ctx, secret, token, value[0], value[1], None, fill=same is False)
                events.label_updated(self.runtime, ctx.account_id, ctx.region, secret.arn, secret.name, moved, token)
            out["VersionId"] = token
        self.after_write(ctx, secret.arn)
        return out

    def _reencrypt_labeled(self, ctx: RequestContext, secret: Secret, kms_key_id: str | None) -> None:
        """A new key re-encrypts the AWSCURRENT, AWSPENDING and AWSPREVIOUS versions, as AWS does."""
        with self.runtime.store.read() as conn:
            labeled = [v for v in load_versions(conn, secret.arn) if {CURRENT, PENDING, PREVIOUS} & set(v.stages)]
            versions = [v for v in labeled if not v.empty]
        rewritten = []
        for ver in versions:
            plaintext = values.decrypt(ctx, ver)
            rewritten.append((ver.version_id, values.encrypt(ctx, secret.arn, ver.version_id, plaintext, kms_key_id)))
        v = model.versions.c
        with self.runtime.store.write() as conn:
            for vid, (key_arn, data_key, blob) in rewritten:
                conn.execute(
                    model.versions.update()
                    .where((v.arn == secret.arn) & (v.version_id == vid))
                    .values(kms_key_arn=key_arn, data_key=data_key, blob=blob)
                )

    def tag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        secret = self.secret(ctx, request.get("SecretId"), write=True)
        tags = merge_tags(secret.tags, list(request.get("Tags") or []))
        check_tags(tags)
        with self.runtime.store.write() as conn:
            conn.execute(model.secrets.update().where(model.secrets.c.arn == secret.arn).values(tags=json.dumps(tags)))
        self.after_write(ctx, secret.arn)
        return {}

    def untag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        secret = self.secret(ctx, request.get("SecretId"), write=True)
        drop = set(request.get("TagKeys") or [])
        tags = [t for t in secret.tags if t["Key"] not in drop]
        with self.runtime.store.write() as conn:
            conn.execute(model.secrets.update().where(model.secrets.c.arn == secret.arn).values(tags=json.dumps(tags)))
        self.after_write(ctx, secret.arn)
        return {}

    def list_secrets(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        s = model.secrets.c
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(model.secrets).where((s.account_id == ctx.account_id) & (s.region == ctx.region))
            ).all()
            found = [Secret.of(r) for r in rows]
            if not request.get("IncludePlannedDeletion"):
                found = [x for x in found if not x.deleted]
            filters = list(request.get("Filters") or [])
            found = [x for x in found if matches(filters, x)]
            key = request.get("SortBy") or "created-date"
            sort_key = {
                "name": lambda x: (x.name, x.created_at),
                "last-changed-date": lambda x: (x.last_changed_at, x.name),
                "last-accessed-date": lambda x: (x.last_accessed_at or x.created_at, x.name),
            }.get(key, lambda x: (x.created_at, x.name))
            found.sort(key=sort_key, reverse=(request.get("SortOrder") or "desc") == "desc")
            chunk, token = page(found, request, 100)
            entries = [describe(x, load_versions(conn, x.arn), listing=True) for x in chunk]
        out: dict[str, Any] = {"SecretList": entries}
        if token:
            out["NextToken"] = token
        return out
