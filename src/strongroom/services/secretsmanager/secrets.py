"""Secrets themselves: CreateSecret, DescribeSecret, UpdateSecret, TagResource, UntagResource, ListSecrets."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.services.base import pages
from strongroom.services.secretsmanager import events, model, values, writes
from strongroom.services.secretsmanager.base import (
    CURRENT,
    PENDING,
    PREVIOUS,
    Secret,
    SecretsBase,
    Version,
    check_name,
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
    from strongroom.services.base.runtime import RequestContext

MAX_TAGS = 50


def check_tags(tags: list[dict[str, str]]) -> None:
    for tag in tags:
        # the model leaves Key optional; a tag without one could never be listed, merged or removed
        if not isinstance(tag.get("Key"), str):
            raise InvalidParameterException("Invalid tag: every tag needs a Key.")
        if tag["Key"].lower().startswith("aws:"):
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
    if secret.tags or secret.tags_set:
        out["Tags"] = secret.tags
    stages = version_stages(versions)
    if stages:
        out["SecretVersionsToStages" if listing else "VersionIdsToStages"] = stages
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


# Where words start in a name: after any of the punctuation AWS splits names at.
_NAME_SEPARATORS = frozenset("/_+=.@-")
# The "all" key breaks values and attributes into words: at anything but letters and digits, and where a
# lower-case letter or digit is followed by an upper-case letter ("ThisTestSecret": This, Test, Secret).
_NON_WORD = re.compile(r"[^A-Za-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _words(text: str) -> list[str]:
    return [w.lower() for chunk in _NON_WORD.split(text) for w in _CAMEL.split(chunk) if w]


def _word_starts(name: str) -> list[int]:
    return [0] + [i + 1 for i, c in enumerate(name) if c in _NAME_SEPARATORS and i + 1 < len(name)]


def _name_match(term: str, name: str) -> bool:
    """Case-sensitive: the name, or the part of it from one of its words on, starts with ``term``."""
    return any(name.startswith(term, i) for i in _word_starts(name))


def _words_match(terms: list[str], text: str) -> bool:
    """Every term starts some word of ``text`` (not case-sensitive; ``terms`` are lower-case words)."""
    words = _words(text)
    return bool(terms) and all(any(w.startswith(t) for w in words) for t in terms)


def _term_match(key: str, value: str, secret: Secret) -> bool:
    """One filter value (without its ``!``) against one secret, as AWS documents each key."""
    terms = value.split()
    match key:
        case "name":
            # every space-separated part of the value must start a word of the name
            return all(_name_match(t, secret.name) for t in terms) if terms else secret.name.startswith(value)
        case "description":
            words = (secret.description or "").lower().split()
            return bool(terms) and all(any(w.startswith(t.lower()) for w in words) for t in terms)
        case "tag-key":
            return any(t["Key"].startswith(value) for t in secret.tags)
        case "tag-value":
            return any(t.get("Value", "").startswith(value) for t in secret.tags)
        case "primary-region":
            primary = secret.primary_region or (secret.region if secret.replicas else None)
            return primary is not None and primary.startswith(value)
        case "owning-service":
            return False  # Strongroom has no secrets managed by other services
        case _:
            words = _words(value)
            fields = [secret.name, secret.description or ""]
            fields += [t["Key"] for t in secret.tags] + [t.get("Value", "") for t in secret.tags]
            if secret.primary_region or secret.replicas:
                fields.append(secret.primary_region or secret.region)
            return any(_words_match(words, f) for f in fields)


def _value_match(key: str, value: str, secret: Secret) -> bool:
    if value.startswith("!"):
        return not _term_match(key, value[1:], secret)
    return _term_match(key, value, secret)


def matches(filters: list[dict[str, Any]], secret: Secret) -> bool:
    """Filters AND together (a key given twice too); a filter's values OR; ``!value`` matches what ``value``
    does not."""
    for flt in filters:
        key = flt.get("Key", "all")
        vals = flt.get("Values") or [""]
        if not any(_value_match(key, v, secret) for v in vals):
            return False
    return True


def page(items: list[Any], request: dict[str, Any], default: int) -> tuple[list[Any], str | None]:
    """Offset pagination with an opaque token, as AWS's tokens are opaque."""
    token = request.get("NextToken")
    start = 0
    if token:
        (part,) = pages.decode(token, 1, _bad_token)
        if not isinstance(part, int) or part < 0 or part > len(items):
            raise _bad_token()
        start = part
    size = int(request.get("MaxResults") or default)
    chunk = items[start : start + size]
    nxt = start + size
    return chunk, pages.encode(nxt) if nxt < len(items) else None


def _bad_token() -> AwsError:
    return InvalidNextTokenException("The NextToken value is invalid.")


class SecretOperations(SecretsBase):
    def create_secret(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["Name"]
        check_name(name)
        if request.get("CrossAccountPrimaryARN") or request.get("Type"):
            raise InvalidRequestException("Strongroom does not support cross-account replicas or secret types.")
        tags = list(request.get("Tags") or [])
        check_tags(tags)
        value = writes.value_of(request, required=False)
        token = writes.token_of(request) if value else ""
        kms_key_id = request.get("KmsKeyId") or None
        with self.runtime.store.read() as conn:
            existing = find_secret(conn, ctx.account_id, ctx.region, name)
        if existing is not None:
            if existing.deleted:
                raise InvalidRequestException(
                    "You can't create this secret because a secret with this name is already scheduled for deletion."
                )
            # a retried request (same token, same value) is answered as the first was; another value is refused
            if value and writes.existing_same(ctx, existing, token, *value):
                return {"ARN": existing.arn, "Name": existing.name, "VersionId": token}
            raise ResourceExistsException(f"The operation failed because the secret {name} already exists.")
        arn = secret_arn(ctx.account_id, ctx.region, name)
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
        new = list(request.get("Tags") or [])
        check_tags(new)
        tags = merge_tags(secret.tags, new)
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
        if not request.get("Filters"):
            return self._list_in_sql(ctx, request)
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
            # oldest first unless SortOrder says otherwise
            found.sort(key=sort_key, reverse=request.get("SortOrder") == "desc")
            chunk, token = page(found, request, 100)
            entries = [describe(x, load_versions(conn, x.arn), listing=True) for x in chunk]
        out: dict[str, Any] = {"SecretList": entries}
        if token:
            out["NextToken"] = token
        return out

    def _list_in_sql(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        """ListSecrets without filters: the page is read in order from the database, after the token's secret
        (keyset paging), so page 5,000 of a million secrets costs what page 1 does (the default order has an
        index; the others sort in the database). Same order and tie-breaks as the filtered listing."""
        s = model.secrets.c
        key = request.get("SortBy") or "created-date"
        first: Any = {
            "name": s.name,
            "last-changed-date": s.last_changed_at,
            "last-accessed-date": func.coalesce(s.last_accessed_at, s.created_at),
        }.get(key, s.created_at)
        desc = request.get("SortOrder") == "desc"
        size = int(request.get("MaxResults") or 100)
        query = select(model.secrets).where(s.account_id == ctx.account_id, s.region == ctx.region)
        if not request.get("IncludePlannedDeletion"):
            query = query.where(s.deletion_date.is_(None))
        token = request.get("NextToken")
        if token:
            kind, value, name = pages.decode(token, 3, _bad_token)
            if kind != "after" or not isinstance(value, str) or not isinstance(name, str):
                raise _bad_token()
            after: Any = value
            if key != "name":
                try:
                    after = datetime.fromisoformat(value)
                except ValueError:
                    raise _bad_token() from None
            beyond = (first < after) | ((first == after) & (s.name < name))
            bound = first <= after  # what the index seeks to (the OR alone makes SQLite scan from the start)
            if not desc:
                beyond = (first > after) | ((first == after) & (s.name > name))
                bound = first >= after
            query = query.where(bound, beyond)
        order = (first.desc(), s.name.desc()) if desc else (first, s.name)
        with self.runtime.store.read() as conn:
            found = [Secret.of(r) for r in conn.execute(query.order_by(*order).limit(size + 1))]
            entries = [describe(x, load_versions(conn, x.arn), listing=True) for x in found[:size]]
        out: dict[str, Any] = {"SecretList": entries}
        if len(found) > size:
            last = found[size - 1]
            at: dict[str, datetime] = {
                "last-changed-date": last.last_changed_at,
                "last-accessed-date": last.last_accessed_at or last.created_at,
            }
            value = last.name if key == "name" else at.get(key, last.created_at).isoformat()
            out["NextToken"] = pages.encode("after", value, last.name)
        return out
