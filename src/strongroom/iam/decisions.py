"""Policy decisions remembered by the complete request they were computed from.

:func:`~strongroom.iam.policy.evaluate` is a pure function of its :class:`AuthorizationRequest`: the caller, the
action and resources, the condition context (which carries the clock as ``aws:CurrentTime`` / ``aws:EpochTime``),
and the parsed policies in play. So a decision can be reused for a request equal to the one it answered, and
needs no invalidation of its own: whatever would change the answer changes the request. A changed identity policy,
boundary, session policy or tag reaches the request as a new caller (the authorizer reloads callers after any IAM
write on this node, and at least every ``POLICY_TTL`` for writes on other nodes); a changed key, bucket or secret
policy as different text, hence a different parsed document; an organization change as new SCP/RCP levels; a new
second, a new source address or a new tag on the resource as a different context.

Only the context keys some policy in play reads are part of the key: the evaluator reads the context nowhere but
in condition clauses (by the clause's key) and in policy variables (``${aws:username}``, in resources and in
condition values), so a key no policy names cannot change the answer. That is what makes S3's per-request keys
(``s3:signatureAge`` in milliseconds) or the clock harmless to a bucket policy without conditions on them.

The key holds the *identities* of the caller and of the parsed policies, and the entry keeps those objects alive:
while an entry exists no other object can have the ids in its key, so equal ids mean the very same objects.
Grants are never part of a remembered request (the authorizer consults them only after a policy-only ImplicitDeny,
and that second evaluation is not cached: grants are read from the database each time).

Worth it because the evaluation itself — normalising the context, scanning every statement of every policy —
is most of authorization on the hot path (~25 µs of a ~300 µs KMS Encrypt), and a server answering thousands of
requests a second answers the same few questions: the same caller, the same key, the same second.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from ipaddress import IPv4Network, IPv6Network
from typing import Any

from strongroom.iam.policy import AuthorizationRequest, EvaluationResult, PolicyDocument, evaluate
from strongroom.iam.policy.variables import Template, Variable

MAX_ENTRIES = 4096  # past this the cache starts afresh (a hot working set refills it within a few requests)

_entries: dict[tuple[Any, ...], tuple[AuthorizationRequest, EvaluationResult]] = {}
# The context keys (lower-cased) the policies of a request read, by the ids of those policies; the value keeps the
# policies alive for the same reason as above. None: some policy holds something this module does not know how
# to look into, so every key counts.
_read_keys: dict[tuple[Any, ...], tuple[tuple[Any, ...], frozenset[str] | None]] = {}
hits = 0
misses = 0


class _Unhashable(Exception):
    pass


def _frozen(value: Any) -> Any:
    """A hashable stand-in for a context value (text, lists of text, the odd number or flag)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, Mapping):
        return tuple((k, _frozen(v)) for k, v in value.items())
    try:
        hash(value)
    except TypeError as exc:
        raise _Unhashable from exc
    return (type(value), value)  # 1 and "1" and True must not meet


def _template_keys(template: Any, out: set[str]) -> bool:
    """Add the context keys a compiled policy string reads; False for something that is not a template."""
    if not isinstance(template, Template):
        return False
    out.update(part.key for part in template.parts if isinstance(part, Variable))
    return True


def document_keys(doc: PolicyDocument) -> frozenset[str] | None:
    """Every context key (lower-cased) a policy can read: its condition keys and its variables' keys."""
    out: set[str] = set()
    for statement in doc.statements:
        for templates in (statement.resources, statement.not_resources):
            for template in templates or ():
                if not _template_keys(template, out):
                    return None
        for clause in statement.conditions:
            out.add(clause.key)
            for value in clause.values:
                if isinstance(value, str | bytes | int | float | bool) or value is None:
                    continue  # numbers, dates, flags, networks are compiled literals: no variables in them
                if not _template_keys(value, out) and not _literal(value):
                    return None
    return frozenset(out)


def _literal(value: Any) -> bool:
    """The compiled forms a condition value other than a string template takes (conditions._compile_value)."""
    return isinstance(value, Decimal | datetime | IPv4Network | IPv6Network)


def _policies(req: AuthorizationRequest) -> tuple[Any, ...]:
    levels = tuple(doc for level in (req.scps or ()) for doc in level)
    levels += tuple(doc for level in (req.rcps or ()) for doc in level)
    session = tuple(req.session_policies or ())
    return (*req.identity_policies, req.boundary, *session, req.resource_policy, *levels)


def read_keys(req: AuthorizationRequest) -> frozenset[str] | None:
    """The context keys the policies of ``req`` read (None: all of them)."""
    session = req.session_policies
    ids = (
        tuple(map(id, req.identity_policies)),
        id(req.boundary),
        None if session is None else tuple(map(id, session)),
        id(req.resource_policy),
        id(req.scps),
        id(req.rcps),
    )
    found = _read_keys.get(ids)
    if found is not None:
        return found[1]
    docs = _policies(req)
    keys: set[str] | None = set()
    for doc in docs:
        if doc is None:
            continue
        read = document_keys(doc)
        if read is None:
            keys = None
            break
        keys |= read  # type: ignore[operator]  # not None here
    result = None if keys is None else frozenset(keys)
    if len(_read_keys) >= MAX_ENTRIES:
        _read_keys.clear()
    _read_keys[ids] = ((docs, req.scps, req.rcps, req.session_policies), result)
    return result


def request_key(req: AuthorizationRequest) -> tuple[Any, ...] | None:
    """The request as a key; None when it cannot be one (grants in it, a context value with no hashable form)."""
    if req.grants:
        return None
    read = read_keys(req)
    try:
        if read is None:
            context = tuple((k, _frozen(v)) for k, v in req.context.items())
        elif read:
            context = tuple((k, _frozen(v)) for k, v in req.context.items() if k.lower() in read)
        else:
            context = ()
        encryption = None if req.encryption_context is None else _frozen(req.encryption_context)
    except _Unhashable:
        return None
    session = req.session_policies
    return (
        id(req.principal),
        req.action,
        tuple(req.resources),
        context,
        tuple(map(id, req.identity_policies)),
        id(req.boundary),
        None if session is None else tuple(map(id, session)),
        id(req.resource_policy),
        req.resource_account,
        req.resource_policy_required,
        encryption,
        id(req.scps),
        id(req.rcps),
    )


def decide(req: AuthorizationRequest) -> EvaluationResult:
    """``evaluate(req)``, answered from an earlier evaluation of an identical request when there is one."""
    global hits, misses
    key = request_key(req)
    if key is None:
        return evaluate(req)
    found = _entries.get(key)
    if found is not None:
        hits += 1
        return found[1]
    misses += 1
    result = evaluate(req)
    if len(_entries) >= MAX_ENTRIES:
        _entries.clear()
    _entries[key] = (req, result)  # ``req`` keeps every object whose id is in the key alive (see above)
    return result


def clear() -> None:
    _entries.clear()
    _read_keys.clear()
