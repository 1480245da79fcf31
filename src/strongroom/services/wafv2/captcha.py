"""API keys for the CAPTCHA JavaScript integration: CreateAPIKey / ListAPIKeys / GetDecryptedAPIKey / DeleteAPIKey.

The key is a secret generated with ``secrets`` and stored only sealed (model.api_key_aad); a SHA-256 digest finds
it without unsealing. ListAPIKeys returns the keys themselves, as AWS does (they are embedded in client pages).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from strongroom.core import ids
from strongroom.services.base import pages
from strongroom.services.wafv2 import errors
from strongroom.services.wafv2.base import DEFAULT_LIMIT, WafBase
from strongroom.services.wafv2.model import api_key_aad, api_keys

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

MAX_KEYS = 100  # per account, Region and scope
MAX_DOMAINS = 5


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class CaptchaOperations(WafBase):
    def create_api_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        scope = self.scope(ctx, request)
        domains = list(request["TokenDomains"])
        if not domains or len(domains) > MAX_DOMAINS:
            raise errors.invalid("TOKEN_DOMAIN", domains, errors.BAD_VALUE)
        key = secrets.token_urlsafe(96)
        key_id = ids.uuid4()
        with self.runtime.store.write() as conn:
            count = len(
                conn.execute(
                    select(api_keys.c.key_id).where(
                        api_keys.c.account_id == ctx.account_id,
                        api_keys.c.region == ctx.region,
                        api_keys.c.scope == scope,
                    )
                ).all()
            )
            if count >= MAX_KEYS:
                raise errors.limits()
            conn.execute(
                api_keys.insert().values(
                    key_id=key_id,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    scope=scope,
                    key_digest=digest(key),
                    sealed_key=self.runtime.seal.wrap(key.encode(), api_key_aad(key_id)),
                    token_domains=json.dumps(domains),
                    created_at=self.now(),
                )
            )
        return {"APIKey": key}

    def _key_row(self, ctx: RequestContext, scope: str, key: str) -> Any:
        with self.runtime.store.read() as conn:
            row = conn.execute(select(api_keys).where(api_keys.c.key_digest == digest(key))).one_or_none()
        if row is None or (row.account_id, row.region, row.scope) != (ctx.account_id, ctx.region, scope):
            raise errors.nonexistent()
        return row

    def list_api_keys(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        scope = self.scope(ctx, request)
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(api_keys).where(
                    api_keys.c.account_id == ctx.account_id, api_keys.c.region == ctx.region, api_keys.c.scope == scope
                )
            ).all()
        page, marker = pages.after_page(
            list(rows),
            request.get("NextMarker"),
            int(request.get("Limit") or DEFAULT_LIMIT),
            lambda r: str(r.key_id),
            lambda: errors.invalid("POSITION", request.get("NextMarker"), errors.BAD_VALUE),
        )
        summaries = [
            {
                "TokenDomains": json.loads(r.token_domains),
                "APIKey": self.runtime.seal.unwrap(r.sealed_key, api_key_aad(r.key_id)).decode(),
                "CreationTimestamp": r.created_at,
                "Version": 1,
            }
            for r in page
        ]
        return {**({"NextMarker": marker} if marker else {}), "APIKeySummaries": summaries}

    def get_decrypted_api_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self._key_row(ctx, self.scope(ctx, request), str(request["APIKey"]))
        return {"TokenDomains": json.loads(row.token_domains), "CreationTimestamp": row.created_at}

    def delete_api_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self._key_row(ctx, self.scope(ctx, request), str(request["APIKey"]))
        with self.runtime.store.write() as conn:
            conn.execute(delete(api_keys).where(api_keys.c.key_id == row.key_id))
        return {}
