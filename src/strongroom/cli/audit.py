"""``strongroom audit validate | public-keys``: check a trail's files against its signed digest chain.

A trail whose bucket is an S3 bucket of this server is validated from that bucket, read in-process as the bucket
owner (S3 decrypts SSE-KMS log files as for any reader the key policy allows); otherwise from the trail directory.
"""

from __future__ import annotations

import argparse
import base64
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from strongroom.core.config import load_config


def add_audit_parser(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p_audit = sub.add_parser("audit", help="audit trail tools")
    audit_sub = p_audit.add_subparsers(dest="audit_command", required=True)

    p_validate = audit_sub.add_parser("validate", help="validate a trail's log and digest files, like validate-logs")
    common(p_validate)
    p_validate.add_argument("--trail", required=True, help="trail name or ARN")
    p_validate.add_argument("--start-time", required=True, help='UTC, e.g. "2025-01-08T05:21:42Z"')
    p_validate.add_argument("--end-time", default=None, help="UTC; default now")
    p_validate.add_argument("--account-id", default=None, help="the trail's account, when several have one so named")
    p_validate.add_argument(
        "--trails-dir", default=None, help="base directory of trail buckets (read it even if the bucket is in S3)"
    )
    p_validate.add_argument(
        "--blob-store",
        default=None,
        help="where the server keeps S3 object bodies, when it was started with --blob-store (trails in S3)",
    )
    p_validate.set_defaults(func=cmd_validate)

    p_keys = audit_sub.add_parser("public-keys", help="print the digest signing public keys (base64 DER)")
    common(p_keys)
    p_keys.set_defaults(func=cmd_public_keys)


def _time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _store(args: argparse.Namespace) -> Any:
    from strongroom.store.engine import Store

    config = load_config(args.data_dir, database_url=args.database_url, blob_store=getattr(args, "blob_store", None))
    return config, Store(config.effective_database_url())


def cmd_validate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from sqlalchemy import select

    from strongroom.audit import model
    from strongroom.audit.keys import public_keys
    from strongroom.audit.trails import trails_base
    from strongroom.audit.validate import DirectoryFiles, TrailInfo, Validator

    try:
        start = _time(args.start_time)
        end = _time(args.end_time) if args.end_time else datetime.now(UTC)
    except ValueError as exc:
        print(f"Unable to parse date value: {exc}", file=sys.stderr)
        return 2
    if start > end:
        print("Invalid time range specified: start-time must occur before end-time", file=sys.stderr)
        return 2
    config, store = _store(args)
    owner: str | None = None
    try:
        t = model.trails
        query = select(t).where(t.c.arn == args.trail if args.trail.startswith("arn:") else t.c.name == args.trail)
        if args.account_id:
            query = query.where(t.c.account_id == args.account_id)
        with store.read() as conn:
            rows = conn.execute(query).all()
            if len(rows) == 1:
                tf = model.trail_files
                files = conn.execute(
                    select(tf.c.s3_object, tf.c.kind, tf.c.delivered_at).where(tf.c.trail_arn == rows[0].arn)
                ).all()
                if not args.trails_dir:
                    owner = _bucket_owner(conn, rows[0].s3_bucket_name)
        keys = {k.fingerprint: k.der for k in public_keys(store)}
    finally:
        store.dispose()
    if not rows:
        print(f"Trail not found: {args.trail}", file=sys.stderr)
        return 2
    if len(rows) > 1:
        print(f"Several accounts have a trail named {args.trail}; pass --account-id or the ARN", file=sys.stderr)
        return 2
    row = rows[0]
    trail = TrailInfo(row.arn, row.account_id, row.region, row.name, row.s3_bucket_name, row.s3_key_prefix)
    delivered = {f.s3_object: (f.kind, f.delivered_at) for f in files}
    if owner is not None:
        return _validate_in_s3(config, owner, trail, keys, delivered, start, end)
    base = Path(args.trails_dir) if args.trails_dir else trails_base(config)
    report = Validator(DirectoryFiles(base), trail, keys, delivered).validate(start, end)
    sys.stdout.write(report.render())
    return 0 if report.ok else 1


def _bucket_owner(conn: Any, bucket: str) -> str | None:
    """The owner of the S3 bucket ``bucket`` of this server, or None: the trail then delivers to its directory."""
    from sqlalchemy import select

    from strongroom.services.s3.model import buckets

    owner = conn.execute(select(buckets.c.account_id).where(buckets.c.name == bucket)).scalar()
    return None if owner is None else str(owner)


def _validate_in_s3(
    config: Any,
    owner: str,
    trail: Any,
    keys: dict[str, bytes],
    delivered: dict[str, tuple[str, datetime]],
    start: datetime,
    end: datetime,
) -> int:
    """Validate from the trail's S3 bucket, read in-process (GetObject / HeadObject / ListObjectsV2) as its owner."""
    from strongroom.audit.validate import Validator
    from strongroom.core.errors import AwsError
    from strongroom.server.runtime import Runtime
    from strongroom.services.cloudtrail.delivery import S3TrailFiles

    runtime = Runtime.open(config, migrate=False)
    try:
        if runtime.seal.is_sealed:
            print(
                f"The trail delivers to the S3 bucket {trail.bucket}, whose objects cannot be read while the server "
                "is sealed; unseal it first (or pass --trails-dir for a directory copy).",
                file=sys.stderr,
            )
            return 2
        files = S3TrailFiles(runtime, owner, trail.region)
        try:
            report = Validator(files, trail, keys, delivered).validate(start, end)
        except AwsError as exc:
            print(f"Cannot read the trail's files in s3://{trail.bucket}: {exc.code}: {exc.message}", file=sys.stderr)
            return 2
    finally:
        # Not Runtime.close(): that would also deliver trails, which is the server's job, not the validator's.
        runtime.audit.writer.stop()  # the reads' own audit records (and KMS Decrypts) are stored first
        if "blobs" in runtime.__dict__:
            runtime.blobs.close()
        runtime.store.dispose()
    sys.stdout.write(report.render())
    return 0 if report.ok else 1


def cmd_public_keys(args: argparse.Namespace) -> int:
    from strongroom.audit.keys import public_keys

    _config, store = _store(args)
    try:
        for key in public_keys(store):
            until = key.valid_to.isoformat() if key.valid_to else "-"
            print(f"{key.fingerprint}\t{key.valid_from.isoformat()}\t{until}\t{base64.b64encode(key.der).decode()}")
    finally:
        store.dispose()
    return 0
