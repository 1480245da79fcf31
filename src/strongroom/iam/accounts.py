"""Accounts and access keys: who a signed request comes from.

Secrets are sealed in the database; verified lookups are cached in memory because every request
needs one and access keys change rarely (the cache is cleared on any key change on this node).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import select

from strongroom.core import ids
from strongroom.core.clock import clock
from strongroom.iam.model import access_keys, accounts
from strongroom.keyring.seal import Seal
from strongroom.store.engine import Store


@dataclass(frozen=True, slots=True)
class AccessKey:
    access_key_id: str
    account_id: str
    secret_access_key: str
    user_name: str | None  # None: the account's root user
    status: str = "Active"


def _aad(access_key_id: str) -> bytes:
    return f"iam:access-key:{access_key_id}".encode()


class AccountDirectory:
    def __init__(self, store: Store, seal: Seal) -> None:
        self.store = store
        self.seal = seal
        self._cache: dict[str, AccessKey] = {}
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
        sealed = self.seal.wrap(key.secret_access_key.encode(), _aad(key.access_key_id))
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
        cached = self._cache.get(access_key_id)
        if cached is not None:
            return cached
        with self.store.read() as conn:
            row = conn.execute(select(access_keys).where(access_keys.c.access_key_id == access_key_id)).first()
        if row is None:
            return None
        secret = self.seal.unwrap(row.secret_sealed, _aad(access_key_id)).decode()
        key = AccessKey(row.access_key_id, row.account_id, secret, row.user_name, row.status)
        with self._lock:
            self._cache[access_key_id] = key
        return key

    def forget(self, access_key_id: str | None = None) -> None:
        with self._lock:
            if access_key_id is None:
                self._cache.clear()
            else:
                self._cache.pop(access_key_id, None)

    def count_accounts(self) -> int:
        return len(self.list_accounts())
