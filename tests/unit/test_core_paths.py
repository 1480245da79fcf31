"""core.paths keeps every file under its base directory; core.s3names applies S3's bucket naming rules."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strongroom.core import paths
from strongroom.core.s3names import bucket_name_error

# Text that is mostly path-like: separators, dots and NULs are drawn often.
PATHISH = st.lists(st.sampled_from(["/", ".", "..", "\0", "a", "b", "%", "~", " ", "é"]), max_size=16).map("".join)
ANY_TEXT = st.text(max_size=60)


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def box(tmp_path: Path) -> tuple[Path, Path]:
    """(base, outside): the directory writes are confined to, and a sibling that must stay empty."""
    base, outside = tmp_path / "base", tmp_path / "outside"
    base.mkdir()
    outside.mkdir()
    return base, outside


# -- refusals ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "parts",
    [("..",), ("../x",), ("a/../../x",), ("a", ".."), ("/etc/passwd",), ("a", "/tmp/x"), ("a\0b",), ("ok", "\0")],
)
def test_escaping_names_are_refused(box: tuple[Path, Path], parts: tuple[str, ...]) -> None:
    base, outside = box
    with pytest.raises(paths.PathEscapeError):
        paths.confine(base, *parts)
    with pytest.raises(paths.PathEscapeError):
        paths.write_atomic(base, *parts, data=b"x")
    with pytest.raises(paths.PathEscapeError):
        paths.remove(base, *parts)
    assert _files(base) == set() and _files(outside) == set()


def test_a_symlink_below_the_base_is_never_followed(box: tuple[Path, Path]) -> None:
    base, outside = box
    (base / "bucket").symlink_to(outside, target_is_directory=True)
    (base / "inner").mkdir()
    (base / "inner" / "loop").symlink_to(base / "inner", target_is_directory=True)
    (outside / "victim").write_bytes(b"keep")
    for parts in (("bucket", "x"), ("bucket", "victim"), ("inner", "loop", "x")):
        with pytest.raises(paths.PathEscapeError):
            paths.confine(base, *parts)
        with pytest.raises(paths.PathEscapeError):
            paths.write_atomic(base, *parts, data=b"x")
        with pytest.raises(paths.PathEscapeError):
            paths.remove(base, *parts)
    assert _files(outside) == {outside / "victim"} and (outside / "victim").read_bytes() == b"keep"


def test_a_symlinked_file_is_replaced_not_written_through(box: tuple[Path, Path]) -> None:
    base, outside = box
    (outside / "victim").write_bytes(b"keep")
    (base / "f").symlink_to(outside / "victim")
    paths.write_atomic(base, "f", data=b"new")
    assert not (base / "f").is_symlink() and (base / "f").read_bytes() == b"new"
    assert (outside / "victim").read_bytes() == b"keep"
    (base / "g").symlink_to(outside / "victim")
    paths.remove(base, "g")  # removes the link, not its target
    assert not (base / "g").exists() and (outside / "victim").read_bytes() == b"keep"


def test_the_base_itself_may_be_a_symlink(tmp_path: Path) -> None:
    """The operator chooses the base (e.g. audit_trails_dir); only names below it are the caller's."""
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    written = paths.write_atomic(tmp_path / "link", "bucket", "key", data=b"x")
    assert written == tmp_path / "link" / "bucket" / "key"
    assert (real / "bucket" / "key").read_bytes() == b"x"
    assert paths.confine(tmp_path / "link", "bucket", "key") == written


# -- writes ------------------------------------------------------------------------------------------------------


def test_write_creates_directories_replaces_and_leaves_no_temporary_file(box: tuple[Path, Path]) -> None:
    base, _ = box
    target = paths.write_atomic(base, "bucket", "a/b/c.json.gz", data=b"one")
    assert target == base / "bucket" / "a" / "b" / "c.json.gz" and target.read_bytes() == b"one"
    paths.write_atomic(base, "bucket", "a/b/c.json.gz", data=b"two")
    assert target.read_bytes() == b"two"
    assert _files(base) == {target}
    paths.remove(base, "bucket", "a/b/c.json.gz")
    paths.remove(base, "bucket", "a/b/c.json.gz")  # already gone: nothing to do
    paths.remove(base, "nowhere", "x")
    assert _files(base) == set()


def test_write_needs_a_file_name(box: tuple[Path, Path]) -> None:
    base, _ = box
    for parts in ((), ("",), (".", ""), ("./.",)):
        with pytest.raises(paths.PathEscapeError):
            paths.write_atomic(base, *parts, data=b"x")


# -- S3 keys -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "parts"),
    [
        ("AWSLogs/1/x.json.gz", ["AWSLogs", "1", "x.json.gz"]),
        ("../../tmp/x", ["%2E%2E", "%2E%2E", "tmp", "x"]),
        ("/tmp/x", ["tmp", "x"]),
        ("a//./b/", ["a", "%2E", "b"]),
        ("nul\0here", ["nul%00here"]),
        ("...", ["..."]),
    ],
)
def test_key_parts(key: str, parts: list[str]) -> None:
    assert paths.key_parts(key) == parts


@given(key=st.one_of(PATHISH, ANY_TEXT))
def test_every_key_maps_to_plain_segments(key: str) -> None:
    for seg in paths.key_parts(key):
        assert seg and seg not in (".", "..") and "/" not in seg and "\0" not in seg
    assert paths.segments(*paths.key_parts(key)) == paths.key_parts(key)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bucket=PATHISH, key=st.one_of(PATHISH, ANY_TEXT))
def test_any_name_is_refused_or_written_inside(tmp_path: Path, bucket: str, key: str) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as scratch:
        base, outside = Path(scratch) / "base", Path(scratch) / "outside"
        base.mkdir()
        outside.mkdir()
        try:
            written = paths.write_atomic(base, bucket, *paths.key_parts(key), data=b"x")
        except paths.PathEscapeError:
            assert _files(base) == set()
        except OSError as exc:  # a name the file system cannot hold (a bucket too long, a file where a dir is)
            assert exc.errno is not None
        else:
            assert written.resolve().is_relative_to(base.resolve())
            assert _files(base) == {written}
        assert _files(outside) == set()
        assert not any(p.name.startswith(".") and p.name.endswith(".tmp") for p in Path(scratch).rglob("*"))


@given(parts=st.lists(PATHISH, min_size=1, max_size=4))
def test_confine_is_inside_or_refused(parts: list[str]) -> None:
    base = Path(tempfile.gettempdir()) / "strongroom-confine-check"
    try:
        path = paths.confine(base, *parts)
    except paths.PathEscapeError:
        assert any("\0" in p or p.startswith("/") or ".." in p.split("/") for p in parts)
    else:
        assert os.path.normpath(path).startswith(str(base))
        assert ".." not in path.relative_to(base).parts


# -- bucket names ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["abc", "a" * 63, "my-bucket", "my.bucket.name", "123456789012", "docexamplebucket1", "a-b.c-d", "1.2.3"],
)
def test_valid_bucket_names(name: str) -> None:
    assert bucket_name_error(name) is None
    assert bucket_name_error(name, dns_labels=True) is None


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("ab", "between 3 and 63"),
        ("a" * 64, "between 3 and 63"),
        ("My-Bucket", "only of lowercase"),
        ("my_bucket", "only of lowercase"),
        ("/tmp/x", "only of lowercase"),
        ("../x", "only of lowercase"),
        ("a\0b", "only of lowercase"),
        ("-bucket", "begin and end"),
        ("bucket-", "begin and end"),
        (".bucket", "begin and end"),
        ("my..bucket", "two adjacent periods"),
        ("192.168.5.4", "IP address"),
        ("999.999.999.999", "IP address"),
        ("xn--bucket", "prefix xn--"),
        ("sthree-bucket", "prefix sthree-"),
        ("amzn-s3-demo-bucket", "prefix amzn-s3-demo-"),
        ("bucket-s3alias", "suffix -s3alias"),
        ("bucket--ol-s3", "suffix --ol-s3"),
        ("bucket.mrap", "suffix .mrap"),
        ("bucket--x-s3", "suffix --x-s3"),
        ("bucket--table-s3", "suffix --table-s3"),
    ],
)
def test_invalid_bucket_names(name: str, rule: str) -> None:
    error = bucket_name_error(name)
    assert error is not None and rule in error


def test_cloudtrail_label_rule() -> None:
    for name in ("my-.bucket", "my.-bucket"):
        assert bucket_name_error(name) is None
        assert bucket_name_error(name, dns_labels=True) is not None


@given(name=st.text(max_size=70))
def test_a_valid_bucket_name_is_one_path_segment(name: str) -> None:
    if bucket_name_error(name) is None:
        assert paths.segments(name) == [name]
