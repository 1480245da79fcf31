"""Accounts and access keys: who a signed request comes from.

Secrets are sealed in the database; verified lookups are cached in memory because every request
needs one and access keys change rarely (the cache is cleared on any key change on this node).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass

from sqlalchemy import select, update

from strongroom.core import ids
from strongroom.core.clock import clock
from strongroom.core.context import Principal
from strongroom.iam.model import access_key_aad, access_keys, accounts, roles, sessions, users
from strongroom.keyring.seal import Seal
from strongroom.store.engine import Store


@dataclass(frozen=True, slots=True)
class AccessKey:
    access_key_id: str
    account_id: str
    secret_access_key: str
    user_name: str | None  # None: the account's root user
    status: str = "Active"
    # Who signs with this key: None for the root user; "IAMUser" or "AssumedRole" otherwise.
    principal_type: str | None = None
    principal_arn: str | None = None  # the user's ARN (with its path) or the assumed-role ARN
    principal_id: str | None = None  # AIDA... for users, AROA...:session for role sessions
    # Temporary credentials (ASIA...) only: the SHA-256 of the session token and the expiry (epoch seconds).
    session_token_sha256: str | None = None
    expires_at: float | None = None
    role_id: str | None = None

    def session_error(self, token: str | None, now: float) -> str | None:
        """The SigV4 error kind for the request's X-Amz-Security-Token, or None when it is acceptable."""
        if self.session_token_sha256 is None:
            # a long-term key never comes with a token; AWS refuses the pair as an invalid token
            return "unknown_key" if token else None
        if not token or not hmac.compare_digest(token_sha256(token), self.session_token_sha256):
            return "unknown_key"
        if self.expires_at is not None and now >= self.expires_at:
            return "expired_token"
        return None

    def principal(self) -> Principal:
        """Who signs with this key: the account's root user, an IAM user or a role session."""
        if self.principal_type is None or self.principal_arn is None:
            return Principal.root(self.account_id, self.access_key_id)
        return Principal(
            self.principal_type,
            self.account_id,
            self.principal_arn,
            self.principal_id or self.access_key_id,
            self.access_key_id,
            self.user_name,
        )


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


# Long-term keys are re-read after this long, so a key disabled on another node stops working soon after.
_CACHE_SECONDS = 5.0
# GetAccessKeyLastUsed is recorded at most this often per key, to keep the request path cheap.
_TOUCH_SECONDS = 60.0


class AccountDirectory:
    def __init__(self, store: Store, seal: Seal) -> None:
        self.store = store
        self.seal = seal
        self._cache: dict[str, tuple[AccessKey, float]] = {}
        self._touched: dict[str, float] = {}
        self._lock = threading.Lock()

    def create_account(self, account_id: str | None = None, name: str = "strongroom", is_init: bool = False) -> str:
        account_id = account_id or ids.account_id()
        with self.store.write() as conn:
            exists = conn.execute(select(accounts.c.account_id).where(accounts.c.account_id == account_id)).first()
            if exists is None:
                conn.execute(
                    accounts.insert().values(account_id=account_id, name=name, created_at=clock.now(), is_init=is_init)
                )
        return account_id

    def account_exists(self, account_id: str) -> bool:
        with self.store.read() as conn:
            row = conn.execute(select(accounts.c.account_id).where(accounts.c.account_id == account_id)).first()
        return row is not None

    def list_accounts(self) -> list[str]:
        with self.store.read() as conn:
            return [r[0] for r in conn.execute(select(accounts.c.account_id).order_by(accounts.c.created_at))]

    def init_account(self) -> str | None:
        with self.store.read() as conn:
            return conn.execute(select(accounts.c.account_id).where(accounts.c.is_init.is_(True))).scalar()

    def create_access_key(self, account_id: str, user_name: str | None = None) -> AccessKey:
        key = AccessKey(ids.access_key_id(), account_id, ids.secret_access_key(), user_name)
        sealed = self.seal.wrap(key.secret_access_key.encode(), access_key_aad(key.access_key_id))
        with self.store.write() as conn:
            conn.execute(
                access_keys.insert().values(
                    access_key_id=key.access_key_id,
                    account_id=account_id,
                    secret_sealed=sealed,
                    user_name=user_name,
                    status="Active",
                    created_at=clock.now(),
                )
            )
        return key

    def lookup(self, access_key_id: str) -> AccessKey | None:
        # Session rows never change, but the role or user a session is bound to may be deleted (or re-created
        # under its name, with a new unique id): sessions are re-read like long-term keys.
        cached = self._cache.get(access_key_id)
        if cached is not None and time.monotonic() < cached[1]:
            return cached[0]
        key = self._load_session(access_key_id) if access_key_id.startswith("ASIA") else self._load_key(access_key_id)
        if key is None:
            return None
        with self._lock:
            self._cache[access_key_id] = (key, time.monotonic() + _CACHE_SECONDS)
        return key

    def _load_key(self, access_key_id: str) -> AccessKey | None:
        with self.store.read() as conn:
            row = conn.execute(select(access_keys).where(access_keys.c.access_key_id == access_key_id)).first()
            user = None
            if row is not None and row.user_name is not None:
                user = conn.execute(
                    select(users.c.arn, users.c.user_id).where(
                        users.c.account_id == row.account_id, users.c.name_key == row.user_name.lower()
                    )
                ).first()
        if row is None:
            return None
        secret = self.seal.unwrap(row.secret_sealed, access_key_aad(access_key_id)).decode()
        if row.user_name is None:
            return AccessKey(row.access_key_id, row.account_id, secret, None, row.status)
        arn = user.arn if user else f"arn:aws:iam::{row.account_id}:user/{row.user_name}"
        return AccessKey(
            row.access_key_id,
            row.account_id,
            secret,
            row.user_name,
            row.status,
            principal_type="IAMUser",
            principal_arn=arn,
            principal_id=user.user_id if user else row.access_key_id,
        )

    def _load_session(self, access_key_id: str) -> AccessKey | None:
        """A session's key, or None when there is no such session or its role or user no longer exists.

        Sessions are bound to the unique id of their role (AROA...) or user (AIDA...), as on AWS: once that
        role or user is deleted the session's key is unknown (InvalidClientTokenId), also after a new role or
        user of the same name is created, which has another id and never inherits the old sessions.
        """
        with self.store.read() as conn:
            row = conn.execute(select(sessions).where(sessions.c.access_key_id == access_key_id)).first()
            if row is None:
                return None
            user = None
            if row.kind == "AssumedRole":
                role = conn.execute(select(roles.c.role_id).where(roles.c.role_id == row.role_id)).first()
                if role is None:
                    return None
            elif row.user_name is not None:
                # Sessions issued before user ids were stored (user_id NULL) fall back to the name.
                bound = (
                    users.c.user_id == row.user_id
                    if row.user_id is not None
                    else (users.c.account_id == row.account_id) & (users.c.name_key == row.user_name.lower())
                )
                user = conn.execute(select(users.c.arn, users.c.user_id, users.c.name).where(bound)).first()
                if user is None:
                    return None
        secret = self.seal.unwrap(row.secret_sealed, access_key_aad(access_key_id)).decode()
        common = {"session_token_sha256": row.token_sha256, "expires_at": row.expires_at.timestamp()}
        if row.kind == "FederatedUser":
            # GetFederationToken: the federated user acts within its IAM user's permissions (root's: none here)
            return AccessKey(
                access_key_id,
                row.account_id,
                secret,
                user.name if user is not None else None,
                principal_type="FederatedUser",
                principal_arn=f"arn:aws:sts::{row.account_id}:federated-user/{row.session_name}",
                principal_id=f"{row.account_id}:{row.session_name}",
                **common,
            )
        if row.kind == "AssumedRole":
            return AccessKey(
                access_key_id,
                row.account_id,
                secret,
                None,
                principal_type="AssumedRole",
                principal_arn=f"arn:aws:sts::{row.account_id}:assumed-role/{row.role_name}/{row.session_name}",
                principal_id=f"{row.role_id}:{row.session_name}",
                role_id=row.role_id,
                **common,
            )
        if user is None:
            return AccessKey(access_key_id, row.account_id, secret, None, **common)
        return AccessKey(
            access_key_id,
            row.account_id,
            secret,
            user.name,  # the user's name now: the session follows the user through a rename, as the id does
            principal_type="IAMUser",
            principal_arn=user.arn,
            principal_id=user.user_id,
            **common,
        )

    def seal_secret(self, access_key_id: str, secret: str) -> bytes:
        return self.seal.wrap(secret.encode(), access_key_aad(access_key_id))

    def touch(self, key: AccessKey, service: str, region: str) -> None:
        """Record the key's (or the role's) last use, at most once a minute per key on this node."""
        now = clock.time()
        last = self._touched.get(key.access_key_id)
        if last is not None and now - last < _TOUCH_SECONDS:
            return
        self._touched[key.access_key_id] = now
        when = clock.now()
        with self.store.write() as conn:
            if key.session_token_sha256 is None:
                conn.execute(
                    update(access_keys)
                    .where(access_keys.c.access_key_id == key.access_key_id)
                    .values(last_used_at=when, last_used_service=service, last_used_region=region)
                )
            elif key.role_id is not None:
                conn.execute(
                    update(roles)
                    .where(roles.c.role_id == key.role_id)
                    .values(last_used_at=when, last_used_region=region)
                )

    def purge_expired_sessions(self) -> int:
        """Delete sessions that expired; their keys can never authenticate again."""
        with self.store.write() as conn:
            result = conn.execute(sessions.delete().where(sessions.c.expires_at < clock.now()))
        return int(result.rowcount or 0)

    def forget(self, access_key_id: str | None = None) -> None:
        with self._lock:
            if access_key_id is None:
                self._cache.clear()
            else:
                self._cache.pop(access_key_id, None)
                self._touched.pop(access_key_id, None)

    def count_accounts(self) -> int:
        return len(self.list_accounts())
