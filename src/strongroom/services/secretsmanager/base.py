"""What every family of Secrets Manager operations shares: finding secrets, their records, labels and replicas."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import secrets as pyrandom
import string
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.engine import Connection, Row

from strongroom.core.clock import clock
from strongroom.services.base.family import ServiceBase
from strongroom.services.secretsmanager import model
from strongroom.services.secretsmanager.errors import (
    InvalidParameterException,
    InvalidRequestException,
    LimitExceededException,
    ResourceNotFoundException,
    ValidationException,
)

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

CURRENT, PENDING, PREVIOUS = "AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"
MAX_VERSIONS = 100  # AWS keeps at most ~100 versions; older unlabeled ones are removed
MAX_LABELS_PER_VERSION = 20
NOT_FOUND = "Secrets Manager can't find the specified secret."
MARKED_FOR_DELETION = "You can't perform this operation on the secret because it was marked for deletion."
SERVICE_PRINCIPAL = "secretsmanager.amazonaws.com"
_SUFFIX_ALPHABET = string.ascii_letters + string.digits
VALID_NAME = re.compile(r"^[A-Za-z0-9/_+=.@\-!]+$")
INVALID_NAME = (
    "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!"
)


def check_name(name: str) -> None:
    """AWS refuses a malformed name (as CreateSecret's Name or as a SecretId) before looking anything up."""
    if not VALID_NAME.match(name):
        raise ValidationException(INVALID_NAME)


def check_secret_id(secret_id: str) -> None:
    """A SecretId is a name or an ARN; ARNs (which contain ':') are resolved, not validated, as AWS does."""
    if not secret_id.startswith("arn:"):
        check_name(secret_id)


def secret_arn(account_id: str, region: str, name: str, suffix: str | None = None) -> str:
    """``arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX``: AWS appends six random characters."""
    suffix = suffix or "".join(pyrandom.choice(_SUFFIX_ALPHABET) for _ in range(6))
    return f"arn:aws:secretsmanager:{region}:{account_id}:secret:{name}-{suffix}"


def arn_suffix(arn: str) -> str:
    return arn.rsplit("-", 1)[1]


def job_key(arn: str) -> str:
    """Scheduler keys are short; an ARN may be 600 characters."""
    return hashlib.sha256(arn.encode()).hexdigest()[:48]


def iso_day(moment: datetime | None) -> datetime | None:
    """LastAccessedDate is reported to the day, as AWS does."""
    return None if moment is None else moment.replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class Secret:
    account_id: str
    region: str
    name: str
    arn: str
    description: str | None
    kms_key_id: str | None
    tags: list[dict[str, str]]
    created_at: datetime
    last_changed_at: datetime
    last_accessed_at: datetime | None
    deletion_date: datetime | None
    rotation_enabled: bool
    rotation_lambda_arn: str | None
    rotation_rules: dict[str, Any] | None
    last_rotated_at: datetime | None
    next_rotation_at: datetime | None
    rotation_failed: bool
    primary_region: str | None
    replicas: list[dict[str, Any]]
    policy: str | None
    # AWS shows "Tags": [] once a secret has had tags and lost them all, and no Tags before it ever had any;
    # stored as the JSON null for "never tagged".
    tags_set: bool = False

    @staticmethod
    def of(row: Row[Any]) -> Secret:
        m = row._mapping
        tags = json.loads(m["tags"] or "null")
        return Secret(
            account_id=m["account_id"],
            region=m["region"],
            name=m["name"],
            arn=m["arn"],
            description=m["description"],
            kms_key_id=m["kms_key_id"],
            tags=tags or [],
            created_at=m["created_at"],
            last_changed_at=m["last_changed_at"],
            last_accessed_at=m["last_accessed_at"],
            deletion_date=m["deletion_date"],
            rotation_enabled=bool(m["rotation_enabled"]),
            rotation_lambda_arn=m["rotation_lambda_arn"],
            rotation_rules=json.loads(m["rotation_rules"]) if m["rotation_rules"] else None,
            last_rotated_at=m["last_rotated_at"],
            next_rotation_at=m["next_rotation_at"],
            rotation_failed=bool(m["rotation_failed"]),
            primary_region=m["primary_region"],
            replicas=json.loads(m["replicas"] or "[]"),
            policy=m["policy"],
            tags_set=tags is not None,
        )

    @property
    def deleted(self) -> bool:
        return self.deletion_date is not None

    @property
    def is_replica(self) -> bool:
        return self.primary_region is not None

    def row_values(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        del values["tags_set"]
        values["tags"] = json.dumps(self.tags if self.tags or self.tags_set else None)
        values["rotation_rules"] = json.dumps(self.rotation_rules) if self.rotation_rules is not None else None
        values["replicas"] = json.dumps(self.replicas)
        return values


@dataclass(frozen=True, slots=True)
class Version:
    arn: str
    version_id: str
    stages: list[str]
    created_at: datetime
    last_accessed_at: datetime | None
    kms_key_arn: str
    data_key: bytes
    blob: bytes
    binary: bool
    seq: int

    @property
    def empty(self) -> bool:
        """A rotation's placeholder: RotateSecret creates the AWSPENDING version before createSecret fills it."""
        return not self.blob

    @staticmethod
    def of(row: Row[Any], prefix: str = "") -> Version:
        """A version from a row of ``versions`` (``prefix``: its columns' labels in a join, see VALUE_LOOKUP)."""
        m = row._mapping
        return Version(
            arn=m[prefix + "arn"],
            version_id=m[prefix + "version_id"],
            stages=json.loads(m[prefix + "stages"]),
            created_at=m[prefix + "created_at"],
            last_accessed_at=m[prefix + "last_accessed_at"],
            kms_key_arn=m[prefix + "kms_key_arn"],
            data_key=bytes(m[prefix + "data_key"]),
            blob=bytes(m[prefix + "blob"]),
            binary=bool(m[prefix + "binary"]),
            seq=int(m[prefix + "seq"]),
        )


# The hot statements are built once: SQLAlchemy memoises a statement's compiled-cache key on the object, so
# reusing it (with bind parameters) skips rebuilding and re-keying the query on every call.
_s, _v = model.secrets.c, model.versions.c
_SCOPE = (_s.account_id == bindparam("account_id")) & (_s.region == bindparam("region"))
_BY_ARN = _s.arn == bindparam("secret_key")
_BY_NAME = _s.name == bindparam("secret_key")
SECRET_BY_ARN = select(model.secrets).where(_SCOPE & _BY_ARN)
SECRET_BY_NAME = select(model.secrets).where(_SCOPE & _BY_NAME)
VERSIONS_OF = select(model.versions).where(_v.arn == bindparam("secret_arn")).order_by(_v.seq)
POLICY_OF = select(_s.policy).where(_s.arn == bindparam("secret_arn"))
_V = "v_"  # label prefix of the version columns in VALUE_LOOKUP


def _value_lookup(by_arn: bool, by_version_id: bool) -> Any:
    """A secret with, outer-joined, the version GetSecretValue asks for: by id, or by label (a superset: the
    label's JSON form within the JSON label list, checked exactly in Python).

    ``contains`` renders ``LIKE '%' || ? || '%'``: a bare ``LIKE ?`` would make SQLite re-prepare the statement
    on every call (its LIKE optimisation depends on the bound pattern), which costs more than the query.
    """
    wanted = _v.version_id == bindparam("version_id") if by_version_id else _v.stages.contains(bindparam("stage_json"))
    joined = model.secrets.outerjoin(model.versions, (_v.arn == _s.arn) & wanted)
    labelled = [c.label(_V + c.name) for c in model.versions.c]
    key = _BY_ARN if by_arn else _BY_NAME
    return select(model.secrets, *labelled).select_from(joined).where(_SCOPE & key).order_by(_v.seq)


VALUE_LOOKUP = {(a, b): _value_lookup(a, b) for a in (True, False) for b in (True, False)}


def _partial_name(account_id: str, region: str, secret_id: str) -> str | None:
    """The name a partial ARN (an ARN without the random suffix) means in this account and region, or None."""
    parts = secret_id.split(":", 6)
    if len(parts) != 7 or parts[2] != "secretsmanager" or parts[5] != "secret":
        return None
    if parts[3] != region or parts[4] != account_id:
        return None
    return parts[6]


def arn_account(account_id: str, secret_id: str) -> str:
    """The account a full ARN is looked up in: its own. Another account's secret is reached only by its full ARN
    (its resource policy then decides); names and partial ARNs always mean the caller's account, as on AWS."""
    parts = secret_id.split(":", 6)
    if len(parts) == 7 and parts[2] == "secretsmanager" and parts[5] == "secret" and parts[4]:
        return parts[4]
    return account_id


def find_secret(conn: Connection, account_id: str, region: str, secret_id: str) -> Secret | None:
    """A secret by name, full ARN, or partial ARN (an ARN without the random suffix), as AWS resolves them."""
    params = {"account_id": account_id, "region": region, "secret_key": secret_id}
    if secret_id.startswith("arn:"):
        row = conn.execute(SECRET_BY_ARN, {**params, "account_id": arn_account(account_id, secret_id)}).one_or_none()
        if row is not None:
            return Secret.of(row)
        name = _partial_name(account_id, region, secret_id)
        if name is None:
            return None
        params["secret_key"] = name
    row = conn.execute(SECRET_BY_NAME, params).one_or_none()
    return Secret.of(row) if row is not None else None


@dataclass(frozen=True, slots=True)
class ValueLookup:
    """What GetSecretValue needs from the database, read in one query: the secret and its candidate versions.

    ``candidates`` may miss the wanted version only in unusual cases (an odd label's JSON form); callers fall
    back to every version then (see ``versions.py``).
    """

    secret_id: str
    version_id: str | None
    stage: str | None
    secret: Secret | None
    candidates: list[Version]


def lookup_value(
    conn: Connection, account_id: str, region: str, secret_id: str, version_id: str | None, stage: str | None
) -> ValueLookup:
    """The secret ``secret_id`` names (resolved as ``find_secret`` does) and the version(s) that may be wanted."""
    params: dict[str, Any] = {"account_id": account_id, "region": region, "secret_key": secret_id}
    if version_id:
        params["version_id"] = version_id
    else:
        params["stage_json"] = json.dumps(stage or CURRENT)
    by_arn = secret_id.startswith("arn:")
    full = {**params, "account_id": arn_account(account_id, secret_id)} if by_arn else params
    rows = conn.execute(VALUE_LOOKUP[by_arn, bool(version_id)], full).all()
    if not rows and by_arn:
        name = _partial_name(account_id, region, secret_id)
        if name is not None:
            params["secret_key"] = name
            rows = conn.execute(VALUE_LOOKUP[False, bool(version_id)], params).all()
    if not rows:
        return ValueLookup(secret_id, version_id, stage, None, [])
    candidates = [Version.of(r, _V) for r in rows if r._mapping[_V + "version_id"] is not None]
    return ValueLookup(secret_id, version_id, stage, Secret.of(rows[0]), candidates)


def load_versions(conn: Connection, arn: str) -> list[Version]:
    return [Version.of(r) for r in conn.execute(VERSIONS_OF, {"secret_arn": arn})]


def version_stages(versions: list[Version]) -> dict[str, list[str]]:
    return {v.version_id: v.stages for v in versions if v.stages}


def move_labels(conn: Connection, arn: str, version_id: str, labels: list[str]) -> list[str]:
    """Attach ``labels`` to ``version_id``, taking each from the version that had it.

    Moving AWSCURRENT gives AWSPREVIOUS to the version it left (in place of an AWSPENDING it had), as AWS does.
    Returns the labels that moved to the version (for ``Secret Label Updated``), AWSPENDING and AWSPREVIOUS
    excluded as AWS excludes them.
    """
    versions = {v.version_id: list(v.stages) for v in load_versions(conn, arn)}
    moved: list[str] = []
    for label in labels:
        holder = next((vid for vid, st in versions.items() if label in st), None)
        if holder == version_id:
            continue
        if holder is not None:
            versions[holder].remove(label)
        if label not in versions[version_id]:
            versions[version_id].append(label)
        if label == CURRENT and holder is not None:
            for st in versions.values():
                if PREVIOUS in st:
                    st.remove(PREVIOUS)
            # AWSPENDING on the AWSCURRENT version marks no rotation in progress; left behind on the version
            # that becomes AWSPREVIOUS it would look like an unfinished rotation, so AWS drops it there.
            if PENDING in versions[holder] and PENDING not in labels:
                versions[holder].remove(PENDING)
            versions[holder].append(PREVIOUS)
        if label not in (PENDING, PREVIOUS):
            moved.append(label)
    if len(versions[version_id]) > MAX_LABELS_PER_VERSION:
        raise LimitExceededException("You can attach at most 20 staging labels to a version of a secret.")
    write_stages(conn, arn, versions)
    return moved


def write_stages(conn: Connection, arn: str, stages: dict[str, list[str]]) -> None:
    v = model.versions.c
    current = {ver.version_id: ver.stages for ver in load_versions(conn, arn)}
    for vid, st in stages.items():
        if current.get(vid) != st:
            conn.execute(
                update(model.versions).where((v.arn == arn) & (v.version_id == vid)).values(stages=json.dumps(st))
            )


def collect_garbage(conn: Connection, arn: str, now: datetime) -> None:
    """Remove unlabeled versions beyond the 100 AWS keeps, oldest first, sparing those under a day old."""
    versions = load_versions(conn, arn)
    excess = len(versions) - MAX_VERSIONS
    v = model.versions.c
    for ver in versions:
        if excess <= 0:
            break
        if not ver.stages and (now - ver.created_at).total_seconds() >= 86400:
            conn.execute(delete(model.versions).where((v.arn == arn) & (v.version_id == ver.version_id)))
            excess -= 1


class SecretsBase(ServiceBase):
    """Shared state and helpers; the operation families (secrets.py, versions.py, ...) build on it.

    A family that needs time-driven work declares ``scheduled_jobs = {"kind": "method_name"}``.
    """

    def now(self) -> datetime:
        return clock.now()

    # -- finding secrets ---------------------------------------------------------------------------------------

    def secret(
        self, ctx: RequestContext, secret_id: str | None, *, deleted_ok: bool = False, write: bool = False
    ) -> Secret:
        """The secret ``secret_id`` names in the caller's account and region, or AWS's error.

        ``write`` refuses replicas (read-only until promoted) and secrets pending deletion.
        """
        if not secret_id:
            raise InvalidParameterException("Invalid parameter: SecretId is required.")
        check_secret_id(secret_id)
        with self.runtime.store.read() as conn:
            found = find_secret(conn, ctx.account_id, ctx.region, secret_id)
        return self.usable(found, deleted_ok=deleted_ok, write=write)

    @staticmethod
    def usable(found: Secret | None, *, deleted_ok: bool = False, write: bool = False) -> Secret:
        """``found`` if the operation may use it, else AWS's error (see ``secret``)."""
        if found is None:
            raise ResourceNotFoundException(NOT_FOUND)
        if found.deleted and not deleted_ok:
            raise InvalidRequestException(MARKED_FOR_DELETION)
        if write and found.is_replica:
            raise InvalidRequestException(
                f"Operation is not permitted on a read-only replica secret. Make the change on the primary "
                f"secret in {found.primary_region}."
            )
        return found

    def save(self, conn: Connection, secret: Secret) -> None:
        s = model.secrets.c
        values = secret.row_values()
        conn.execute(update(model.secrets).where(s.arn == secret.arn).values(**values))

    def touch_changed(self, conn: Connection, arn: str) -> None:
        conn.execute(update(model.secrets).where(model.secrets.c.arn == arn).values(last_changed_at=self.now()))

    # -- replicas -----------------------------------------------------------------------------------------------

    def after_write(self, ctx: RequestContext, arn: str) -> None:
        """Every write on a primary is followed by its replicas (see replication.py)."""
        self.sync_replicas(ctx, arn)

    def sync_replicas(self, ctx: RequestContext, arn: str) -> None:  # replication.py
        raise NotImplementedError

    def add_replicas(
        self, ctx: RequestContext, arn: str, regions: list[dict[str, Any]], force: bool
    ) -> list[dict[str, Any]]:  # replication.py
        raise NotImplementedError
