"""The walk every S3 object listing shares (services/s3/listing.py), over batches smaller than a page.

A batch is 1000 rows on the server; here it is a few, so that pages, common prefixes and version markers fall across
batch boundaries. The end-to-end tests (tests/e2e/test_s3_listing.py) cover the same listings through boto3.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from strongroom.services.s3 import listing
from strongroom.services.s3.model import buckets, objects
from strongroom.store.engine import Store

OWNER = "111122223333"
T0 = datetime(2025, 1, 1, tzinfo=UTC)
TOP = "\U0010ffff"  # the largest code point, which S3 keys may hold


@pytest.fixture(params=[1, 2, 3, 1000])
def ops(request: pytest.FixtureRequest, store: Store, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(listing, "_BATCH", request.param)
    family = object.__new__(listing.ListingOperations)
    family.runtime = SimpleNamespace(store=store)  # the listings read the store only
    return family


def _bucket(store: Store, name: str, versions: list[tuple[str, str, bool]]) -> None:
    """(key, version id, delete marker), oldest first: each key's last one is its latest."""
    latest = {key: vid for key, vid, _ in versions}
    with store.write() as conn:
        conn.execute(buckets.insert().values(name=name, account_id=OWNER, region="us-east-1", created_at=T0))
        for sequence, (key, vid, marker) in enumerate(versions, start=1):
            row = {"bucket": name, "key": key, "version_id": vid, "sequence": sequence, "delete_marker": marker}
            conn.execute(objects.insert().values(**row, is_latest=latest[key] == vid, owner=OWNER, last_modified=T0))


def _version_pages(ops: Any, bucket: str, **params: Any) -> list[list[str]]:
    """Every page of ListObjectVersions, each as "key@version", "key@version(marker)" and "prefix/" entries."""
    pages: list[list[str]] = []
    while True:
        out = ops.list_object_versions(None, {"Bucket": bucket, **params})
        entries = [(e["Key"], e["VersionId"], "") for e in out.get("Versions", [])]
        entries += [(e["Key"], e["VersionId"], "(marker)") for e in out.get("DeleteMarkers", [])]
        page = [f"{k}@{v}{m}" for k, v, m in sorted(entries, key=lambda e: (e[0], -int(e[1][1:])))]
        page += [p["Prefix"] for p in out.get("CommonPrefixes", [])]
        pages.append(page)
        if not out["IsTruncated"]:
            return pages
        params["KeyMarker"] = out["NextKeyMarker"]
        params.pop("VersionIdMarker", None)
        if "NextVersionIdMarker" in out:
            params["VersionIdMarker"] = out["NextVersionIdMarker"]
        assert len(pages) < 50


def test_versions_page_across_batches(ops: Any, store: Store) -> None:
    _bucket(
        store,
        "vers",
        [("a", "v1", False), ("a/1", "v2", False), ("a", "v3", True), ("a/2", "v4", False), ("b", "v5", False)]
        + [("a", f"v{n}", False) for n in range(6, 10)],
    )
    a = ["a@v9", "a@v8", "a@v7", "a@v6", "a@v3(marker)", "a@v1"]
    assert _version_pages(ops, "vers") == [[*a, "a/1@v2", "a/2@v4", "b@v5"]]
    assert _version_pages(ops, "vers", MaxKeys=4) == [a[:4], [*a[4:], "a/1@v2", "a/2@v4"], ["b@v5"]]
    assert _version_pages(ops, "vers", MaxKeys=5, Delimiter="/") == [[*a[:4], "a@v3(marker)"], ["a@v1", "b@v5", "a/"]]
    assert _version_pages(ops, "vers", Prefix="a/", MaxKeys=1) == [["a/1@v2"], ["a/2@v4"]]
    # a version marker continues with the key's older versions
    assert _version_pages(ops, "vers", KeyMarker="a", VersionIdMarker="v7") == [
        ["a@v6", "a@v3(marker)", "a@v1", "a/1@v2", "a/2@v4", "b@v5"]
    ]
    assert _version_pages(ops, "vers", MaxKeys=0) == [[]]


def test_a_page_ending_on_a_common_prefix_skips_its_keys(ops: Any, store: Store) -> None:
    _bucket(store, "cp", [(f"d/{n}", f"v{n}", False) for n in range(1, 8)] + [("e", "v8", False)])
    assert _version_pages(ops, "cp", Delimiter="/", MaxKeys=1) == [["d/"], ["e@v8"]]
    out = ops.list_objects_v2(None, {"Bucket": "cp", "Delimiter": "/", "MaxKeys": 1})
    assert [p["Prefix"] for p in out["CommonPrefixes"]] == ["d/"] and out["IsTruncated"] is True


@pytest.mark.timeout(60)
def test_keys_sorting_after_a_rolled_up_prefix_do_not_stall_the_walk(ops: Any, store: Store) -> None:
    """A common prefix is skipped by restarting after ``prefix + U+10FFFF``; keys under it may sort after that
    (they hold U+10FFFF too), and however many batches of them follow, the walk moves past them."""
    many = [(f"a/{TOP}{n:02}", f"v{n}", False) for n in range(1, 8)]
    _bucket(store, "top", [(f"a/{TOP}", "v0", False), *many, (f"a/{TOP}x", "v8", False), ("b", "v9", False)])
    assert _version_pages(ops, "top", Delimiter="/") == [["b@v9", "a/"]]
    out = ops.list_objects_v2(None, {"Bucket": "top", "Delimiter": "/"})
    assert [c["Key"] for c in out["Contents"]] == ["b"] and [p["Prefix"] for p in out["CommonPrefixes"]] == ["a/"]
