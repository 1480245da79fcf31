"""Certificate tags: AddTagsToCertificate & co., and the newer TagResource / UntagResource / ListTagsForResource."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, select

from strongroom.services.acm.base import AcmBase
from strongroom.services.acm.errors import InvalidParameterException, InvalidTagException, TooManyTagsException
from strongroom.services.acm.model import tags

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

MAX_TAGS = 50


def check_tags(items: list[dict[str, Any]]) -> None:
    for tag in items:
        if tag["Key"].lower().startswith("aws:"):
            raise InvalidTagException(f"Tag key {tag['Key']} is invalid: the prefix 'aws:' is reserved for AWS use.")
    if len(items) > MAX_TAGS:
        raise TooManyTagsException(f"The request contains too many tags; the limit is {MAX_TAGS}.")


def write_tags(conn: Connection, arn: str, items: list[dict[str, Any]]) -> None:
    for tag in items:
        conn.execute(delete(tags).where(tags.c.certificate_arn == arn, tags.c.key == tag["Key"]))
        conn.execute(tags.insert().values(certificate_arn=arn, key=tag["Key"], value=tag.get("Value")))
    count = conn.execute(select(func.count()).select_from(tags).where(tags.c.certificate_arn == arn)).scalar_one()
    if count > MAX_TAGS:
        raise TooManyTagsException(f"The certificate {arn} would have more than {MAX_TAGS} tags.")


class TaggingOperations(AcmBase):
    def tag_list(self, arn: str) -> list[dict[str, str]]:
        with self.runtime.store.read() as conn:
            rows = conn.execute(select(tags).where(tags.c.certificate_arn == arn).order_by(tags.c.key)).all()
        return [{"Key": r.key, **({"Value": r.value} if r.value is not None else {})} for r in rows]

    def add_tags_to_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        row = self.require(ctx, request["CertificateArn"])
        check_tags(request["Tags"])
        with self.runtime.store.write() as conn:
            write_tags(conn, row["arn"], request["Tags"])

    def remove_tags_from_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        row = self.require(ctx, request["CertificateArn"])
        check_tags(request["Tags"])
        with self.runtime.store.write() as conn:
            for tag in request["Tags"]:
                stmt = delete(tags).where(tags.c.certificate_arn == row["arn"], tags.c.key == tag["Key"])
                if "Value" in tag:  # a value given removes the tag only when it matches
                    stmt = stmt.where(tags.c.value == tag["Value"])
                conn.execute(stmt)

    def list_tags_for_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.require(ctx, request["CertificateArn"])
        return {"Tags": self.tag_list(row["arn"])}

    def tag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        row = self.require(ctx, request["ResourceArn"])
        check_tags(request["Tags"])
        with self.runtime.store.write() as conn:
            write_tags(conn, row["arn"], request["Tags"])

    def untag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        row = self.require(ctx, request["ResourceArn"])
        if not request["TagKeys"]:
            raise InvalidParameterException("TagKeys must not be empty.")
        with self.runtime.store.write() as conn:
            conn.execute(delete(tags).where(tags.c.certificate_arn == row["arn"], tags.c.key.in_(request["TagKeys"])))

    def list_tags_for_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.require(ctx, request["ResourceArn"])
        return {"Tags": self.tag_list(row["arn"])}
