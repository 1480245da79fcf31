"""The decision cache (iam/decisions.py) against the evaluator itself, over the whole policy-case table.

Every case is decided through the cache after the cache has seen every other case (same policies, other
contexts, other principals), with and without context keys no policy reads: a cached answer must always be the
evaluator's own answer for that request. The cases that share a policy and differ only in a context value are
exactly the ones a key missing from the cache key would confuse.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from strongroom.iam import decisions
from strongroom.iam.decisions import decide, document_keys, request_key
from strongroom.iam.policy import AuthorizationRequest, Grant, PolicyKind, evaluate, parse_policy
from tests.unit.test_iam_policy_evaluator import (
    CONDITIONS,
    EVALUATION,
    KEY,
    PRINCIPALS,
    TRUST,
    _request,
    condition_request,
)

_NOISE = itertools.count()


def _all_requests() -> list[AuthorizationRequest]:
    requests = [condition_request(c) for c in CONDITIONS]
    requests += [replace(r, grants=()) for r in (_request(c) for c in EVALUATION)]
    return requests


def _noisy(req: AuthorizationRequest) -> AuthorizationRequest:
    """The same request with context keys no policy in the table reads, valued afresh each time."""
    n = next(_NOISE)
    return replace(req, context={**req.context, "s3:signatureAge": str(n), "strongroom:Noise": [str(n), "x"]})


@pytest.fixture(autouse=True)
def _fresh() -> None:
    decisions.clear()


def test_every_case_answers_as_the_evaluator_with_a_shared_cache() -> None:
    requests = _all_requests()
    expected = [evaluate(r) for r in requests]
    for req in requests:  # every policy, context and principal of the table is in the cache first
        decide(req)
    for round_ in range(2):
        for req, want in zip(requests, expected, strict=True):
            got = decide(_noisy(req) if round_ else req)
            assert (got.decision, got.reason, got.matched) == (want.decision, want.reason, want.matched), req


def test_repeats_are_answered_from_the_cache() -> None:
    req = condition_request(CONDITIONS[0])
    decide(req)
    hits = decisions.hits
    for _ in range(5):
        decide(_noisy(req))  # keys no policy reads do not make a new question
    assert decisions.hits == hits + 5


def test_a_key_a_policy_reads_is_part_of_the_question() -> None:
    policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": "arn:aws:s3:::b",
                    "Condition": {"StringLike": {"s3:prefix": "home/${aws:username}/*"}},
                }
            ],
        }
    )
    assert document_keys(policy) == frozenset({"s3:prefix", "aws:username"})
    alice = AuthorizationRequest(
        PRINCIPALS["alice"], "s3:ListBucket", ["arn:aws:s3:::b"], {"s3:prefix": "home/alice/x"}, [policy]
    )
    assert decide(alice).allowed
    assert not decide(replace(alice, context={"S3:Prefix": "home/bob/x"})).allowed  # any spelling of the key
    assert not decide(replace(alice, principal=PRINCIPALS["bob"])).allowed  # the variable's value: the caller
    assert decide(alice).allowed


def test_a_variable_in_a_resource_is_read() -> None:
    policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::b/${aws:PrincipalTag/project}/*",
                }
            ],
        }
    )
    assert document_keys(policy) == frozenset({"aws:principaltag/project"})


def test_a_changed_policy_is_a_new_question() -> None:
    allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "kms:Encrypt", "Resource": "*"}]}
    req = AuthorizationRequest(
        PRINCIPALS["alice"],
        "kms:Encrypt",
        [KEY],
        {},
        [parse_policy(allow)],
        resource_policy=parse_policy(TRUST, PolicyKind.RESOURCE),
        resource_policy_required=True,
    )
    assert decide(req).allowed
    assert not decide(replace(req, identity_policies=[parse_policy(allow), parse_policy(deny)])).allowed
    denying_key_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": PRINCIPALS["alice"].account}, "Action": "kms:*", "Resource": "*"},
            {"Effect": "Deny", "Principal": "*", "Action": "kms:Encrypt", "Resource": "*"},
        ],
    }
    assert not decide(replace(req, resource_policy=parse_policy(denying_key_policy, PolicyKind.RESOURCE))).allowed
    assert decide(req).allowed


def test_grants_are_never_remembered() -> None:
    req = replace(condition_request(CONDITIONS[0]), grants=(Grant("arn:aws:iam::1:user/g", frozenset({"Decrypt"})),))
    assert request_key(req) is None
    misses = decisions.misses
    decide(req)
    assert decisions.misses == misses and not decisions._entries


def test_the_cache_starts_afresh_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decisions, "MAX_ENTRIES", 3)
    base = condition_request(CONDITIONS[0])
    for n in range(10):
        decide(replace(base, action=f"kms:Op{n}"))
    assert len(decisions._entries) <= 3
