"""Listing parameters: DescribeParameters (metadata, every filter) and GetParametersByPath (values, by hierarchy)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, Select, bindparam, not_, select

from strongroom.services.ssm import model, policies
from strongroom.services.ssm.base import CURRENT_ON, SsmBase
from strongroom.services.ssm.errors import (
    InvalidFilterKey,
    InvalidFilterOption,
    InvalidFilterValue,
    ValidationException,
)
from strongroom.services.ssm.refs import Ref
from strongroom.services.ssm.rules import check_path
from strongroom.services.ssm.sharing import shared_arns

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

DESCRIBE_PAGE = 50
PATH_PAGE = 10
_SCAN_BATCH = 200

# Options each filter key accepts (AWS's ParameterStringFilter documentation); the first is the default.
_OPTIONS = {
    "Path": ("OneLevel", "Recursive"),
    "Name": ("Equals", "BeginsWith", "Contains"),
    "Label": ("Equals",),
}
_DEFAULT_OPTIONS = ("Equals", "BeginsWith")
_ENUMS = {
    "Type": ("String", "StringList", "SecureString"),
    "Tier": ("Standard", "Advanced", "Intelligent-Tiering"),
}
_DESCRIBE_KEYS = "[Path, Name, Type, KeyId, Tier, DataType]"
_BY_PATH_KEYS = ("Type", "KeyId", "Label")
_RESERVED_PATH = (
    'Filters for common parameters can\'t be prefixed with "aws" or "ssm" (case-insensitive). When using global '
    "parameters, please specify within a global namespace."
)


_p, _v, _t = model.parameters, model.versions, model.tags


def _under(recursive: bool, paged: bool, root: bool = False) -> Select[Any]:
    """GetParametersByPath's candidates: names under a LIKE prefix, one level deep unless recursive.

    Under the root path ``/`` the names without a slash (``x``, the same parameter as ``/x``) are at the top
    level too, as on AWS: every name recursively, and ``x`` or ``/x`` (no deeper slash) for one level.
    """
    query = select(_p).where(_p.c.account_id == bindparam("k_account"), _p.c.region == bindparam("k_region"))
    if root:
        if not recursive:
            query = query.where(not_(_p.c.name.like("%_/%")))  # no slash after the first character
    else:
        query = query.where(_p.c.name.like(bindparam("like"), escape="\\"))
        if not recursive:
            query = query.where(not_(_p.c.name.like(bindparam("deeper"), escape="\\")))
    if paged:
        query = query.where(_p.c.name > bindparam("after"))
    return query.order_by(_p.c.name).limit(bindparam("limit"))


# Built once (see base.py): keyed by (recursive, has NextToken).
_UNDER = {(r, a, root): _under(r, a, root) for r in (True, False) for a in (True, False) for root in (True, False)}
_V_IN_REGION = (_v.c.account_id == bindparam("k_account"), _v.c.region == bindparam("k_region"))
_CURRENT_OF = select(_v).join(_p, CURRENT_ON).where(*_V_IN_REGION, _v.c.name.in_(bindparam("names", expanding=True)))
_HISTORY_OF = (
    select(_v).where(*_V_IN_REGION, _v.c.name.in_(bindparam("names", expanding=True))).order_by(_v.c.name, _v.c.version)
)
_TAGS_OF = select(_t).where(
    _t.c.account_id == bindparam("k_account"),
    _t.c.region == bindparam("k_region"),
    _t.c.name.in_(bindparam("names", expanding=True)),
)


def _tags_in(conn: Connection, account: str, region: str, names: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {n: {} for n in names}
    if names:
        for tag in conn.execute(_TAGS_OF, {"k_account": account, "k_region": region, "names": names}):
            out[tag.name][tag.tag_key] = tag.tag_value
    return out


def _versions_in(
    conn: Connection, account: str, region: str, names: list[str], labels: list[str] | None
) -> dict[str, Row[Any]]:
    """The version to answer with for each name: the current one, or the newest carrying one of ``labels``."""
    if not names:
        return {}
    params = {"k_account": account, "k_region": region, "names": names}
    if labels is None:
        return {v.name: v for v in conn.execute(_CURRENT_OF, params)}
    wanted = set(labels)
    # oldest first, so the newest labelled version of each parameter is the one kept
    return {v.name: v for v in conn.execute(_HISTORY_OF, params) if wanted & set(json.loads(v.labels))}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def validate_filters(filters: list[dict[str, Any]], *, by_path: bool) -> list[tuple[str, str, list[str]]]:
    """Check ParameterFilters as AWS does; returns (key, option, values) with default options filled in."""
    seen: set[str] = set()
    out: list[tuple[str, str, list[str]]] = []
    for item in filters:
        key, values = item["Key"], list(item.get("Values") or [])
        if by_path and key not in _BY_PATH_KEYS and not key.startswith("tag:"):
            raise InvalidFilterKey(
                f"The following filter key is not valid: {key}. Valid filter keys include: [Type, KeyId, Label]."
            )
        if not by_path and key == "Label":
            raise InvalidFilterKey(
                f"The following filter key is not valid: Label. Valid filter keys include: {_DESCRIBE_KEYS}."
            )
        if key in seen:
            raise InvalidFilterKey(
                f"The following filter is duplicated in the request: {key}. A request can contain only one "
                "occurrence of a specific filter."
            )
        seen.add(key)
        allowed = _OPTIONS.get(key, _DEFAULT_OPTIONS)
        option = item.get("Option") or allowed[0]
        if option not in allowed:
            raise InvalidFilterOption(
                f"The following filter option is not valid: {option}. Valid options include: [{', '.join(allowed)}]."
            )
        if not values and not key.startswith("tag:"):
            raise InvalidFilterValue(f"The following filter values are missing : null for filter key {key}.")
        for value in values:
            if key in _ENUMS and value not in _ENUMS[key]:
                raise InvalidFilterValue(
                    f"The following filter value is not valid: {value}. Valid values include: "
                    f"[{', '.join(_ENUMS[key])}]."
                )
            if key == "Path":
                if value.lower().startswith(("/aws", "/ssm")):
                    raise ValidationException(_RESERVED_PATH)
                check_path(value)
        out.append((key, option, values))
    return out


def _normal(name: str) -> str:
    return "/" + name.lstrip("/")


def matches(row: Row[Any], tags: dict[str, str], key: str, option: str, values: list[str]) -> bool:
    """One ParameterFilter against a parameter's current state."""
    if key == "Path":
        name = _normal(row.name)
        parent = name.rsplit("/", 1)[0] or "/"
        for value in values:
            base = "/" + value.strip("/") if value != "/" else "/"
            if option == "OneLevel" and parent == base:
                return True
            if option == "Recursive" and (base == "/" or name.startswith(base + "/")):
                return True
        return False
    if key.startswith("tag:"):
        if key[4:] not in tags:
            return False
        subject: str | None = tags[key[4:]]
        if not values:
            return True
    else:
        columns = {"Name": "name", "Type": "type", "KeyId": "key_id", "Tier": "tier", "DataType": "data_type"}
        subject = getattr(row, columns[key])
    if subject is None:
        return False
    if key == "Name":
        subject = _normal(subject)
        if option != "Contains":
            values = [_normal(v) for v in values]
    if option == "Equals":
        return subject in values
    if option == "BeginsWith":
        return any(subject.startswith(v) for v in values)
    return any(v in subject for v in values)


class ListingOperations(SsmBase):
    def _tags_of(self, account: str, region: str, names: list[str]) -> dict[str, dict[str, str]]:
        with self.runtime.store.read() as conn:
            return _tags_in(conn, account, region, names)

    # -- DescribeParameters -------------------------------------------------------------------------------

    def describe_parameters(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        legacy, filters = request.get("Filters") or [], request.get("ParameterFilters") or []
        if legacy and filters:
            raise ValidationException("You can use either Filters or ParameterFilters in a single request.")
        checked = validate_filters(filters, by_path=False)
        checked += [(f["Key"], "BeginsWith" if f["Key"] == "Name" else "Equals", list(f["Values"])) for f in legacy]
        limit = int(request.get("MaxResults") or DESCRIBE_PAGE)
        after = self.decode_token(request["NextToken"]) if request.get("NextToken") else None
        if request.get("Shared"):
            return self._describe_shared(ctx, checked)
        p = model.parameters
        page: list[dict[str, Any]] = []
        last: str | None = after
        while True:
            query = select(p).where(p.c.account_id == ctx.account_id, p.c.region == ctx.region)
            if last is not None:
                query = query.where(p.c.name > last)
            with self.runtime.store.read() as conn:
                batch = list(conn.execute(query.order_by(p.c.name).limit(_SCAN_BATCH)))
            if not batch:
                return {"Parameters": page}
            tags = self._tags_of(ctx.account_id, ctx.region, [r.name for r in batch]) if checked else {}
            for row in batch:
                last = row.name
                if all(matches(row, tags.get(row.name, {}), *f) for f in checked):
                    page.append(self.metadata(row))
                    if len(page) == limit:
                        more = row is not batch[-1] or len(batch) == _SCAN_BATCH
                        return {"Parameters": page, **({"NextToken": self.encode_token(row.name)} if more else {})}
            if len(batch) < _SCAN_BATCH:
                return {"Parameters": page}

    def _describe_shared(self, ctx: RequestContext, checked: list[tuple[str, str, list[str]]]) -> dict[str, Any]:
        out = []
        for arn in shared_arns(self.runtime, ctx.account_id):
            ref = self.ref(ctx, arn)
            with self.runtime.store.read() as conn:
                row = self.row(conn, ref)
            if row is not None and ref.account_id != ctx.account_id:
                tags = self._tags_of(ref.account_id, ref.region, [row.name])
                if all(matches(row, tags[row.name], *f) for f in checked):
                    out.append({**self.metadata(row), "Name": row.arn})
        return {"Parameters": out}

    @staticmethod
    def metadata(row: Row[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Name": row.name,
            "ARN": row.arn,
            "Type": row.type,
            "LastModifiedDate": row.modified_at,
            "LastModifiedUser": row.modified_user,
            "Version": row.version,
            "Tier": row.tier,
            "Policies": policies.describe(json.loads(row.policies or "[]")),
            "DataType": row.data_type,
        }
        if row.key_id:
            out["KeyId"] = row.key_id
        if row.description is not None:
            out["Description"] = row.description
        if row.allowed_pattern is not None:
            out["AllowedPattern"] = row.allowed_pattern
        return out

    # -- GetParametersByPath ------------------------------------------------------------------------------

    def get_parameters_by_path(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.throttle(ctx)
        path, recursive = request["Path"], bool(request.get("Recursive"))
        check_path(path)
        checked = validate_filters(request.get("ParameterFilters") or [], by_path=True)
        decrypt = bool(request.get("WithDecryption"))
        limit = int(request.get("MaxResults") or PATH_PAGE)
        after = self.decode_token(request["NextToken"]) if request.get("NextToken") else None
        if self.public.is_public(path.rstrip("/") + "/"):
            return self._public_by_path(ctx, path, recursive, checked, limit, after)
        prefix = "/" if path == "/" else path.rstrip("/") + "/"
        like = _escape_like(prefix) + "%"
        params: dict[str, Any] = {"k_account": ctx.account_id, "k_region": ctx.region, "like": like}
        params.update(deeper=like + "/%", after=after, limit=limit + 1)
        labels = next((values for key, _, values in checked if key == "Label"), None)
        plain = [f for f in checked if f[0] != "Label"]
        with self.runtime.store.read() as conn:  # one read transaction for the page, its tags and its versions
            candidates = list(conn.execute(_UNDER[recursive, after is not None, path == "/"], params))
            page = candidates[:limit]
            tags = _tags_in(conn, ctx.account_id, ctx.region, [r.name for r in page]) if plain else {}
            chosen = [row.name for row in page if all(matches(row, tags.get(row.name, {}), *f) for f in plain)]
            versions = _versions_in(conn, ctx.account_id, ctx.region, chosen, labels)
        out = [
            self.view(ctx, Ref(ctx.account_id, ctx.region, name), versions[name], decrypt)
            for name in chosen
            if name in versions  # none labelled as asked, or deleted meanwhile (PostgreSQL reads per statement)
        ]
        result: dict[str, Any] = {"Parameters": out}
        if len(candidates) > limit:
            result["NextToken"] = self.encode_token(page[-1].name)
        return result

    def _public_by_path(
        self,
        ctx: RequestContext,
        path: str,
        recursive: bool,
        checked: list[tuple[str, str, list[str]]],
        limit: int,
        after: str | None,
    ) -> dict[str, Any]:
        names = [n for n in self.public.public_under(path, recursive) if after is None or n > after]
        page = names[:limit]
        out = []
        for name in page:
            entry = self.public.catalogue[name]
            if all(key != "Type" or entry["Type"] in values for key, _, values in checked):
                out.append(self.public.public_view(ctx, name, entry))
        result: dict[str, Any] = {"Parameters": out}
        if len(names) > limit:
            result["NextToken"] = self.encode_token(page[-1])
        return result
