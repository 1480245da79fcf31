"""Macie over a bucket of ~1 GB of mixed objects on a real server (`strongroom server`): log text, CSV exports, JSON
Lines, JSON documents, gzip'd logs and zip bundles, one ONE_TIME classification job with every managed identifier,
the server's resident memory sampled every 50 ms while the job runs.

What it shows: the job's MB/s over the objects' bytes (stored; the gzip'd ones count their uncompressed size
separately), and that memory stays flat — the peak above the resident set before the job is a few MB whatever the
bucket's size, as each object is spooled to disk past 8 MB and the engine streams it.

``python -m bench.macie_bucket [--mib 1024]``; ``make bench`` runs it through bench/run.py into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boto3.s3.transfer import TransferConfig

from bench.load import Usage
from bench.macie import typical_text
from bench.s3 import _PeakSampler
from bench.servers import strongroom
from bench.signing import Endpoint

MiB = 1 << 20
UNIT = 4 * MiB  # each object is a unit of its kind, made once, repeated to the object's size


def _csv_unit(header: bool) -> bytes:
    rows = ["id,customer,email,city,note"] if header else []
    for i in range(1, 60_000):
        email = f"user{i}@example.com" if i % 40 == 0 else ""
        rows.append(f"{i},Customer {i},{email},Springfield,order {i * 7} shipped on time")
    return ("\n".join(rows) + "\n").encode()


def _record(i: int) -> dict[str, Any]:
    rec: dict[str, Any] = {"id": i, "status": "shipped", "sku": f"SKU-{i % 977:04d}", "qty": i % 7 + 1}
    if i % 40 == 0:
        rec["customer"] = {"email": f"user{i}@example.com", "phone": "+1 415-555-0132"}
    return rec


def _jsonl_unit() -> bytes:
    return "".join(json.dumps(_record(i)) + "\n" for i in range(1, 40_000)).encode()


def _json_elements() -> bytes:
    return "".join("," + json.dumps(_record(i)) for i in range(1, 40_000)).encode()


def _repeat(unit: bytes, size: int, first: bytes | None = None) -> Iterator[bytes]:
    """Whole units (so every line, row and record is complete) until at least ``size`` bytes."""
    done = 0
    piece = first if first is not None else unit
    while done < size:
        yield piece
        done += len(piece)
        piece = unit


@dataclass
class Kind:
    name: str
    share: float  # of the bucket's bytes
    object_mib: int
    write: Callable[[Path, int], int]  # writes one object of about ``size`` bytes; answers its content's bytes


def _kinds(text: bytes) -> list[Kind]:
    csv_first, csv_rest = _csv_unit(True), _csv_unit(False)
    jsonl = _jsonl_unit()
    elements = _json_elements()

    def w_text(path: Path, size: int) -> int:
        with path.open("wb") as f:
            return sum(f.write(p) for p in _repeat(text, size))

    def w_csv(path: Path, size: int) -> int:
        with path.open("wb") as f:
            return sum(f.write(p) for p in _repeat(csv_rest, size, csv_first))

    def w_jsonl(path: Path, size: int) -> int:
        with path.open("wb") as f:
            return sum(f.write(p) for p in _repeat(jsonl, size))

    def w_json(path: Path, size: int) -> int:
        with path.open("wb") as f:
            n = f.write(b'{"export": "orders", "records": [{"id": 0}')
            n += sum(f.write(p) for p in _repeat(elements, size))
            return n + f.write(b'], "count": 0}')

    def w_gzip(path: Path, size: int) -> int:  # ``size`` uncompressed
        with gzip.open(path, "wb", compresslevel=1) as f:
            return sum(f.write(p) for p in _repeat(text, size))

    def w_zip(path: Path, size: int) -> int:
        n = 0
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            third = size // 3
            with z.open("notes/app.log", "w") as f:
                n += sum(f.write(p) for p in _repeat(text, third))
            with z.open("exports/customers.csv", "w") as f:
                n += sum(f.write(p) for p in _repeat(csv_rest, third, csv_first))
            with z.open("events/stream.jsonl", "w") as f:
                n += sum(f.write(p) for p in _repeat(jsonl, third))
        return n

    return [
        Kind("logs/app-{}.log", 0.35, 64, w_text),
        Kind("archive/app-{}.log.gz", 0.20, 64, w_gzip),
        Kind("exports/customers-{}.csv", 0.15, 32, w_csv),
        Kind("events/stream-{}.jsonl", 0.10, 32, w_jsonl),
        Kind("dumps/orders-{}.json", 0.10, 32, w_json),
        Kind("bundles/batch-{}.zip", 0.10, 32, w_zip),
    ]


@dataclass
class BucketRun:
    objects: int
    stored: int  # bytes as stored (compressed for gzip / zip)
    content: int  # bytes of content the engine read (uncompressed)
    upload_seconds: float
    job_seconds: float
    rss_before: float
    rss_peak: float
    rss_after: float
    samples: int
    findings: int
    status: str


def _fill(endpoint: Endpoint, bucket: str, total: int, work: Path, say: Callable[[str], None]) -> tuple[int, int, int]:
    s3 = endpoint.client("s3")
    s3.create_bucket(Bucket=bucket)
    text = typical_text(UNIT)
    config = TransferConfig(multipart_threshold=64 * MiB, multipart_chunksize=16 * MiB, max_concurrency=2)
    objects = stored = content = 0
    for kind in _kinds(text):
        budget = int(total * kind.share)
        i = 0
        while budget > 0:
            size = min(kind.object_mib * MiB, budget)
            path = work / f"obj-{uuid.uuid4().hex}"
            content += kind.write(path, size)
            stored += path.stat().st_size
            s3.upload_file(str(path), bucket, kind.name.format(i), Config=config)
            path.unlink()
            objects += 1
            budget -= size
            i += 1
    say(f"  macie bucket: {objects} objects, {stored / MiB:.0f} MiB stored, {content / MiB:.0f} MiB of content")
    return objects, stored, content


def measure(total: int = 1024 * MiB, say: Callable[[str], None] = print, work_dir: Path | None = None) -> BucketRun:
    with tempfile.TemporaryDirectory(prefix="strongroom-macie-bucket-", dir=work_dir) as tmp:
        work = Path(tmp)
        server = strongroom(work / "server", log_level="warning", workers=1)
        server.start()
        try:
            usage = Usage(server.pid)
            endpoint = Endpoint(server.url, server.access_key, server.secret_key)
            macie = endpoint.client("macie2")
            macie.enable_macie()
            account = endpoint.client("sts").get_caller_identity()["Account"]
            bucket = f"macie-bench-{uuid.uuid4().hex[:8]}"
            began = time.monotonic()
            objects, stored, content = _fill(endpoint, bucket, total, work, say)
            uploaded = time.monotonic() - began
            time.sleep(2.0)
            before = usage.rss_mb()
            sampler = _PeakSampler(usage)
            sampler.peak = before
            sampler.start()
            began = time.monotonic()
            try:
                job_id = macie.create_classification_job(
                    jobType="ONE_TIME",
                    name=f"bench-{bucket}",
                    clientToken=str(uuid.uuid4()),
                    managedDataIdentifierSelector="ALL",
                    s3JobDefinition={"bucketDefinitions": [{"accountId": account, "buckets": [bucket]}]},
                )["jobId"]
                status = ""
                while time.monotonic() - began < 3600:
                    status = macie.describe_classification_job(jobId=job_id)["jobStatus"]
                    if status in ("COMPLETE", "CANCELLED", "USER_PAUSED"):
                        break
                    time.sleep(0.5)
            finally:
                sampler.stop()
            elapsed = time.monotonic() - began
            time.sleep(1.0)
            after = usage.rss_mb()
            findings = len(
                macie.list_findings(
                    findingCriteria={"criterion": {"resourcesAffected.s3Bucket.name": {"eq": [bucket]}}},
                    maxResults=50,
                )["findingIds"]
            )
        finally:
            server.stop()
    run = BucketRun(
        objects, stored, content, uploaded, elapsed, before, max(sampler.peak, after), after, sampler.samples,
        findings, status,
    )  # fmt: skip
    say(
        f"  macie bucket: job {status} in {elapsed:.1f} s ({content / MiB / elapsed:.1f} MiB/s of content); "
        f"RSS {before:.0f} MiB before, {run.rss_peak:.0f} MiB peak, {after:.0f} MiB after ({sampler.samples} samples)"
    )
    return run


def lines(run: BucketRun) -> list[str]:
    growth = run.rss_peak - run.rss_before
    return [
        "",
        f"A bucket of mixed objects classified by a ONE_TIME job with every managed identifier on `strongroom server` "
        f"(one worker): {run.objects} objects, {run.stored / MiB:,.0f} MiB stored, {run.content / MiB:,.0f} MiB "
        "of content (logs, gzip'd logs, CSV exports, JSON Lines, JSON documents, zip bundles of text, CSV and "
        "JSON Lines).",
        "",
        "| job | time | MiB/s of content | RSS before | RSS peak | peak − before | RSS after | findings |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| {run.status} | {run.job_seconds:.1f} s | {run.content / MiB / run.job_seconds:.1f} | "
        f"{run.rss_before:.0f} MiB | {run.rss_peak:.0f} MiB | {growth:+.0f} MiB | {run.rss_after:.0f} MiB | "
        f"{run.findings} |",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=int, default=1024, help="the bucket's content, MiB (default 1024)")
    args = parser.parse_args(argv)
    print("\n".join(lines(measure(args.mib * MiB))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
