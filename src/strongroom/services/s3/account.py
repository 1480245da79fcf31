"""Account-level S3 settings (the account's Block Public Access), as an in-process API for S3 Control.

S3 Control is S3's account-level API (one service on AWS, two models in botocore). Its operations live in
``services/s3control``; the settings stay in S3's table, where bucket authorization (``access.py``) reads them, and
S3 Control reaches them only through these functions.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, insert, select, update

from strongroom.services.s3 import access
from strongroom.services.s3.model import account_configs
from strongroom.store.engine import Store

PUBLIC_ACCESS_BLOCK = "public_access_block"
FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def put_public_access_block(store: Store, account: str, config: dict[str, Any]) -> None:
    text = json.dumps({k: bool(config.get(k)) for k in FLAGS})
    where = (account_configs.c.account_id == account, account_configs.c.kind == PUBLIC_ACCESS_BLOCK)
    with store.write() as conn:
        if not conn.execute(update(account_configs).where(*where).values(document=text)).rowcount:
            conn.execute(insert(account_configs).values(account_id=account, kind=PUBLIC_ACCESS_BLOCK, document=text))
    access.forget(store)


def get_public_access_block(store: Store, account: str) -> dict[str, bool] | None:
    with store.read() as conn:
        text = conn.execute(
            select(account_configs.c.document).where(
                account_configs.c.account_id == account, account_configs.c.kind == PUBLIC_ACCESS_BLOCK
            )
        ).scalar()
    return None if text is None else dict(json.loads(text))


def delete_public_access_block(store: Store, account: str) -> None:
    with store.write() as conn:
        conn.execute(
            delete(account_configs).where(
                account_configs.c.account_id == account, account_configs.c.kind == PUBLIC_ACCESS_BLOCK
            )
        )
    access.forget(store)
