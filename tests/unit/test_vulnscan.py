"""Inspector's scanning engine: OSV loading, version-range matching, alias merging (strongroom.vulnscan)."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom.vulnscan.contract import MemorySource, Package, inventory, match
from strongroom.vulnscan.matching import affected_entry_hit, primary_id
from strongroom.vulnscan.osv import load_advisories, parse_advisory

DATA = Path(__file__).resolve().parents[1] / "data"
PYPA = DATA / "pypa-advisory-database"


@pytest.fixture(scope="module")
def pypa() -> MemorySource:
    return MemorySource.from_paths(PYPA)


def _pkg(name: str, version: str, ecosystem: str = "PyPI") -> Package:
    return Package(name, version, ecosystem, "requirements.txt", "PIP")  # type: ignore[arg-type]


def test_withdrawn_advisories_are_dropped_and_the_version_is_a_content_hash(pypa: MemorySource) -> None:
    advisories, withdrawn = load_advisories([PYPA])
    assert withdrawn >= 3
    assert len(advisories) == len(pypa)
    assert all(not (a.raw or {}).get("withdrawn") for a in advisories)
    assert pypa.version.startswith("osv-")
    assert MemorySource(list(reversed(advisories))).version == pypa.version
    assert MemorySource(advisories[1:]).version != pypa.version


def test_pinned_requirements_and_dist_info_are_inventoried_with_pep503_names() -> None:
    found = inventory(
        {
            "requirements.txt": b"Django==3.2.0\nrequests==2.19.0 \\\n  --hash=sha256:ab\nflask>=1\n-e .\n# c\n",
            "python/Jinja2-2.10.dist-info/METADATA": b"Metadata-Version: 2.1\nName: Jinja2\nVersion: 2.10\n\nx",
        }
    )
    assert [(p.name, p.version, p.package_manager) for p in found] == [
        ("Jinja2", "2.10", "PYTHONPKG"),
        ("Django", "3.2.0", "PIP"),
        ("requests", "2.19.0", "PIP"),
    ]
    assert found[0].purl == "pkg:pypi/jinja2@2.10"


def test_match_gives_the_cve_the_aliases_and_the_smallest_fix_above(pypa: MemorySource) -> None:
    found = {m.vulnerability_id: m for m in match([_pkg("requests", "2.19.0")], pypa)}
    m = found["CVE-2018-18074"]
    assert m.related == ("GHSA-x84v-xcm2-53pg", "PYSEC-2018-28")
    assert m.fixed_in == "2.20.0"
    assert "CVE-2023-32681" in found
    assert match([_pkg("requests", "2.32.3")], pypa) == []
    # PEP 503: the same project whatever its spelling
    assert {m.vulnerability_id for m in match([_pkg("JINJA2", "2.10")], pypa)} >= {"CVE-2019-10906"}


def test_one_finding_per_package_and_vulnerability_when_advisories_alias_each_other() -> None:
    base = {
        "modified": "2024-01-01T00:00:00Z",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "demo"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.5"}]}],
            }
        ],
    }
    a = parse_advisory({**base, "id": "PYSEC-2099-1", "aliases": ["CVE-2099-0001"]})
    b = parse_advisory(
        {
            **base,
            "id": "GHSA-aaaa-bbbb-cccc",
            "aliases": ["CVE-2099-0001"],
            "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        }
    )
    assert a is not None and b is not None
    found = match([_pkg("demo", "1.0"), _pkg("Demo", "1.0")], MemorySource([a, b]))
    assert len(found) == 1
    assert found[0].vulnerability_id == "CVE-2099-0001"
    assert found[0].related == ("GHSA-aaaa-bbbb-cccc", "PYSEC-2099-1")
    assert found[0].severity == "CRITICAL"
    assert found[0].cvss[0]["baseScore"] == 9.8
    assert parse_advisory({**base, "id": "X-1", "withdrawn": "2024-02-01T00:00:00Z"}) is None


@pytest.mark.parametrize(
    ("ecosystem", "events", "version", "hit", "fixes"),
    [
        ("PyPI", [{"introduced": "0"}, {"fixed": "2.0"}], "2.0rc1", True, ["2.0"]),
        ("PyPI", [{"introduced": "1.0"}, {"fixed": "1.10"}], "1.9", True, ["1.10"]),
        ("PyPI", [{"introduced": "1.0"}, {"fixed": "1.10"}], "1.10.0", False, []),
        ("PyPI", [{"introduced": "1.0"}, {"last_affected": "1.4"}], "1.4", True, []),
        ("PyPI", [{"introduced": "1.0"}, {"last_affected": "1.4"}], "1.4.post1", False, []),
        (
            "PyPI",
            [{"introduced": "0"}, {"fixed": "1.2"}, {"introduced": "2.0"}, {"fixed": "2.3"}],
            "2.1",
            True,
            ["2.3"],
        ),
        (
            "PyPI",
            [{"introduced": "0"}, {"fixed": "1.2"}, {"introduced": "2.0"}, {"fixed": "2.3"}],
            "1.5",
            False,
            ["2.3"],
        ),
        ("PyPI", [{"introduced": "0"}, {"limit": "1.5"}], "1.6", False, []),
        ("npm", [{"introduced": "0"}, {"fixed": "4.17.21"}], "4.17.9", True, ["4.17.21"]),
        ("npm", [{"introduced": "0"}, {"fixed": "4.17.21"}], "4.17.21-beta.1", True, ["4.17.21"]),
        ("Go", [{"introduced": "0"}, {"fixed": "0.3.8"}], "v0.3.7", True, ["0.3.8"]),
        ("Go", [{"introduced": "0"}, {"fixed": "0.3.8"}], "v0.0.0-20220101000000-abcdefabcdef", True, ["0.3.8"]),
        ("Maven", [{"introduced": "2.0-beta9"}, {"fixed": "2.15.0"}], "2.14.1", True, ["2.15.0"]),
        ("Maven", [{"introduced": "2.0-beta9"}, {"fixed": "2.15.0"}], "2.0-alpha1", False, ["2.15.0"]),
        ("RubyGems", [{"introduced": "0"}, {"fixed": "1.13.10"}], "1.13.9", True, ["1.13.10"]),
        ("RubyGems", [{"introduced": "0"}, {"fixed": "1.13.10"}], "1.13.10.rc1", True, ["1.13.10"]),
        ("Debian", [{"introduced": "0"}, {"fixed": "1:2.3-1"}], "2.9-1", True, ["1:2.3-1"]),
        ("Debian", [{"introduced": "0"}, {"fixed": "2.3-1"}], "2.3-1+deb12u1", False, []),
    ],
)
def test_ranges_use_each_ecosystems_own_ordering(
    ecosystem: str, events: list[dict[str, str]], version: str, hit: bool, fixes: list[str]
) -> None:
    entry = {"package": {"ecosystem": ecosystem, "name": "x"}, "ranges": [{"type": "ECOSYSTEM", "events": events}]}
    assert affected_entry_hit(ecosystem, version, entry) == (hit, fixes)


def test_versions_lists_match_exactly_under_the_ecosystems_equality() -> None:
    entry = {"package": {"ecosystem": "PyPI", "name": "x"}, "versions": ["1.0", "1.1"]}
    assert affected_entry_hit("PyPI", "1.0.0", entry) == (True, [])
    assert affected_entry_hit("PyPI", "1.2", entry) == (False, [])


def test_primary_id_prefers_the_cve() -> None:
    assert primary_id(["PYSEC-1", "GHSA-x", "CVE-2020-1"]) == "CVE-2020-1"
    assert primary_id(["PYSEC-1", "GHSA-x"]) == "GHSA-x"
    assert primary_id(["PYSEC-1"]) == "PYSEC-1"


def test_yaml_scalars_stay_strings(tmp_path: Path) -> None:
    (tmp_path / "A-1.yaml").write_text(
        "id: A-1\nmodified: 2024-01-01T00:00:00Z\nwithdrawn: null\naffected:\n"
        "- package: {ecosystem: PyPI, name: a}\n  versions: [1.10]\n"
    )
    advisories, dropped = load_advisories([tmp_path])
    assert dropped == 0 and advisories[0].modified == "2024-01-01T00:00:00Z"
    assert advisories[0].affected[0]["versions"] == ["1.10"]  # not the float 1.1
    assert [m.package.version for m in match([_pkg("a", "1.10.0")], MemorySource(advisories))] == ["1.10.0"]


def test_osv_all_zip_dumps_load_like_directories(tmp_path: Path) -> None:
    import zipfile

    osv = DATA / "inspector" / "osv"
    with zipfile.ZipFile(tmp_path / "all.zip", "w") as archive:
        for path in sorted(osv.glob("*.json")):
            archive.write(path, path.name)
    from_zip, dropped = load_advisories([tmp_path / "all.zip"])
    from_dir, _ = load_advisories([osv])
    assert dropped == 1  # GHSA-wwww-wwww-wwww is withdrawn
    assert [a.id for a in from_zip] == [a.id for a in from_dir]
    assert MemorySource(from_zip).version == MemorySource(from_dir).version
    source = MemorySource(from_zip)
    assert {a.id for a in source.advisories_for("Debian:11", "openssl")} == {"DSA-5122-1"}
    assert {a.id for a in source.advisories_for("Go", "golang.org/x/text")} == {"GHSA-69ch-w2m2-3vjp", "GO-2022-1059"}
