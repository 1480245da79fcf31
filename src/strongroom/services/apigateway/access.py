"""API Gateway's authorization table, for the access-control evaluator.

Source: the Service Authorization Reference, "Actions, resources, and condition keys for Amazon API Gateway
Management", and the developer guide's "Control access for managing an API". Every management call is
``apigateway:<HTTP verb>`` (GET, POST, PUT, PATCH, DELETE) on the ARN of the path it calls:
``arn:aws:apigateway:REGION::/restapis/ID/resources/RID/methods/GET``, ``...::/apikeys/ID``, ``...::/account``,
``...::/tags/URL-ENCODED-ARN``. A policy denying ``arn:aws:apigateway:*::/restapis/ID`` and
``.../restapis/ID/*`` therefore denies every operation on that API and nothing else.

The resources belong to the caller's account (their ARNs carry none); ``aws:ResourceTag/*`` is read from the tags
of the top-level resource the path names (the REST API, stage, API key, usage plan or domain name). Resource
policies of REST APIs govern invoking them (execute-api), not managing them: none is consulted here.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from strongroom.iam.authorize import Check
from strongroom.services.apigateway.model import tags
from strongroom.services.base.tags import tag_loader

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

_LABEL = re.compile(r"\{([^}+]+)\+?\}")
# operation -> (verb, URI template without its query, label -> request member)
_TEMPLATES: dict[str, tuple[str, str, dict[str, str]]] = {}
_LOCK = threading.Lock()
# The tagged resource at the head of a path: a stage, a REST API, an API key, a usage plan, a domain name.
_TAGGED = re.compile(
    r"^/(restapis/[^/]+(?:/stages/[^/]+)?|apikeys/[^/]+|usageplans/[^/]+|clientcertificates/[^/]+|domainnames/[^/]+)"
)


def _template(ctx: RequestContext) -> tuple[str, str, dict[str, str]]:
    found = _TEMPLATES.get(ctx.operation)
    if found is None:
        model = ctx.runtime.catalog.service("apigateway").operation_model(ctx.operation)
        members: dict[str, str] = {}
        shape = model.input_shape
        for name, member in (shape.members if shape is not None else {}).items():
            if member.serialization.get("location") == "uri":
                members[member.serialization.get("name", name)] = name
        uri = str(model.http["requestUri"]).split("?", 1)[0]
        found = (str(model.http["method"]), uri, members)
        with _LOCK:
            _TEMPLATES[ctx.operation] = found
    return found


def resource_path(ctx: RequestContext, params: dict[str, Any]) -> tuple[str, str]:
    """(HTTP verb, the path the request names) for the operation: its URI with the request's values."""
    verb, uri, members = _template(ctx)

    def fill(match: re.Match[str]) -> str:
        value = str(params.get(members.get(match.group(1), ""), ""))
        # An ARN inside a path (the tags operations) is URL-encoded, as AWS spells the tags resource.
        return quote(value, safe="") if value.startswith("arn:") else value

    return verb, _LABEL.sub(fill, uri)


def checks(ctx: RequestContext, params: dict[str, Any]) -> list[Check] | None:
    verb, path = resource_path(ctx, params)
    prefix = f"arn:aws:apigateway:{ctx.region}::"
    lazy: dict[str, Callable[[], dict[str, Any]]] = {}
    head = _TAGGED.match(path)
    if head is not None:
        lazy["aws:resourcetag"] = tag_loader(ctx.runtime, tags, prefix + head.group(0))
    elif path.startswith("/tags/"):
        lazy["aws:resourcetag"] = tag_loader(ctx.runtime, tags, str(params.get("resourceArn") or ""))
    return [
        Check(
            f"apigateway:{verb}",
            prefix + path,
            resource_account=ctx.account_id,
            lazy=lazy,
            lookup_resource_policy=False,
        )
    ]
