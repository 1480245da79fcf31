"""GeoMatch / AsnMatch from MaxMind-format databases: small .mmdb files written here (mmdb-writer), read by
strongroom.waf.geoip, decided and labelled by the engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from strongroom.core.config import load_config
from strongroom.waf.engine import WebAclEvaluator
from strongroom.waf.geoip import InvalidDatabaseError, MmdbResolver, open_resolvers
from strongroom.waf.ratelimit import InMemoryRateCounter
from strongroom.waf.request import WafRequest

VIS = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}
NS = "awswaf:000000000000:webacl:acl:"


def _write(path: Path, networks: dict[str, dict[str, Any]], *, ip_version: int = 6, kind: str = "GeoIP2-City") -> Path:
    writer = MMDBWriter(ip_version=ip_version, ipv4_compatible=ip_version == 6, database_type=kind)
    for cidr, record in networks.items():
        writer.insert_network(IPSet([cidr]), record)
    writer.to_db_file(str(path))
    return path


@pytest.fixture(scope="module")
def dbs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("mmdb")
    city = _write(
        d / "city.mmdb",
        {
            "203.0.113.0/24": {"country": {"iso_code": "US"}, "subdivisions": [{"iso_code": "CA"}]},
            "198.51.100.0/24": {"country": {"iso_code": "de"}},  # a Country edition record: no subdivisions
            "192.0.2.0/24": {"registered_country": {"iso_code": "FR"}},  # registered only (no location)
            "2001:db8::/32": {"country": {"iso_code": "JP"}, "subdivisions": [{"iso_code": "13"}]},
        },
    )
    asn = _write(
        d / "asn.mmdb",
        {
            "203.0.113.0/24": {"autonomous_system_number": 64500, "autonomous_system_organization": "Example"},
            "2001:db8::/32": {"autonomous_system_number": 4_200_000_001},
        },
        kind="GeoLite2-ASN",
    )
    return city, asn


def test_resolver_reads_country_region_asn(dbs: tuple[Path, Path]) -> None:
    r = open_resolvers(*dbs)
    assert r.country and r.region and r.asn
    assert (r.country("203.0.113.7"), r.region("203.0.113.7"), r.asn("203.0.113.7")) == ("US", "US-CA", 64500)
    assert (r.country("198.51.100.1"), r.region("198.51.100.1")) == ("DE", None)
    assert r.country("192.0.2.1") == "FR"
    assert (r.country("2001:db8::1"), r.region("2001:db8::1"), r.asn("2001:db8::1")) == ("JP", "JP-13", 4_200_000_001)
    assert r.country("::ffff:203.0.113.7") == "US"  # IPv4-mapped IPv6: looked up as IPv4
    for unknown in ("10.0.0.1", "not-an-ip", "", "999.1.1.1", "2001:db9::1"):
        assert r.country(unknown) is None and r.asn(unknown) is None


def test_lookups_are_cached_and_bounded(dbs: tuple[Path, Path]) -> None:
    r = MmdbResolver(dbs[0], cache_size=4)
    for i in range(50):
        r.country(f"203.0.113.{i}")
    info = r.lookup.cache_info()  # type: ignore[attr-defined]
    assert info.currsize == 4 and info.maxsize == 4
    r.country("203.0.113.49")
    assert r.lookup.cache_info().hits == info.hits + 1  # type: ignore[attr-defined]
    r.close()


def test_ipv6_in_an_ipv4_only_database_is_unknown(tmp_path: Path) -> None:
    v4 = _write(tmp_path / "v4.mmdb", {"203.0.113.0/24": {"country": {"iso_code": "US"}}}, ip_version=4)
    r = MmdbResolver(v4)
    assert r.country("203.0.113.1") == "US"
    assert r.country("2001:db8::1") is None


def test_bad_database_paths_are_refused(tmp_path: Path) -> None:
    (tmp_path / "text.mmdb").write_text("hello")
    with pytest.raises(InvalidDatabaseError):
        MmdbResolver(tmp_path / "text.mmdb")
    with pytest.raises(OSError):
        MmdbResolver(tmp_path / "missing.mmdb")
    none = open_resolvers(None, None)
    assert none.country is None and none.region is None and none.asn is None


def _acl(*rules: dict) -> dict:
    return {
        "Name": "acl",
        "ARN": "arn:aws:wafv2:us-east-1:000000000000:regional/webacl/acl/1",
        "DefaultAction": {"Allow": {}},
        "VisibilityConfig": VIS,
        "Rules": list(rules),
    }


def _rule(name: str, priority: int, statement: dict, action: str) -> dict:
    return {"Name": name, "Priority": priority, "Statement": statement, "Action": {action: {}}, "VisibilityConfig": VIS}


def _req(ip: str, dbs: tuple[Path, Path], **kw: Any) -> WafRequest:
    r = open_resolvers(*dbs)
    return WafRequest(
        method="GET",
        uri_path="/",
        source_ip=ip,
        country_resolver=r.country,
        region_resolver=r.region,
        asn_resolver=r.asn,
        **kw,
    )


def test_geo_match_labels_every_inspected_request_and_matches_countries(dbs: tuple[Path, Path]) -> None:
    geo = {"GeoMatchStatement": {"CountryCodes": ["DE", "JP"]}}
    region = {"LabelMatchStatement": {"Scope": "LABEL", "Key": "awswaf:clientip:geo:region:US-CA"}}
    ev = WebAclEvaluator(_acl(_rule("geo", 0, geo, "Count"), _rule("california", 1, region, "Block")))

    us = ev.evaluate(_req("203.0.113.9", dbs), 0)
    assert us.action == "BLOCK" and us.terminating_rule == "california"
    assert "awswaf:clientip:geo:country:US" in us.labels and "awswaf:clientip:geo:region:US-CA" in us.labels

    de = ev.evaluate(_req("198.51.100.9", dbs), 0)
    assert de.action == "ALLOW" and [m.rule for m in de.count_matches] == ["geo"]
    assert "awswaf:clientip:geo:country:DE" in de.labels
    assert not any(":geo:region:" in lbl for lbl in de.labels)

    unknown = ev.evaluate(_req("10.1.2.3", dbs), 0)
    assert unknown.action == "ALLOW" and not unknown.count_matches
    assert not any(":geo:" in lbl for lbl in unknown.labels)


def test_geo_match_on_the_forwarded_ip(dbs: tuple[Path, Path]) -> None:
    geo = {
        "GeoMatchStatement": {
            "CountryCodes": ["JP"],
            "ForwardedIPConfig": {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "NO_MATCH"},
        }
    }
    ev = WebAclEvaluator(_acl(_rule("geo", 0, geo, "Block")))
    d = ev.evaluate(_req("203.0.113.9", dbs, headers=(("X-Forwarded-For", "2001:db8::5, 203.0.113.9"),)), 0)
    assert d.action == "BLOCK"
    assert {"awswaf:forwardedip:geo:country:JP", "awswaf:forwardedip:geo:region:JP-13"} <= set(d.labels)
    assert ev.evaluate(_req("2001:db8::5", dbs), 0).action == "ALLOW"  # no header: the fallback, NO_MATCH


def test_asn_match_and_unmapped_asn_zero(dbs: tuple[Path, Path]) -> None:
    ev = WebAclEvaluator(_acl(_rule("asn", 0, {"AsnMatchStatement": {"AsnList": [64500]}}, "Block")))
    assert ev.evaluate(_req("203.0.113.1", dbs), 0).action == "BLOCK"
    assert ev.evaluate(_req("198.51.100.1", dbs), 0).action == "ALLOW"
    # AWS assigns ASN 0 when it cannot determine a valid address's ASN
    zero = WebAclEvaluator(_acl(_rule("asn0", 0, {"AsnMatchStatement": {"AsnList": [0]}}, "Block")))
    assert zero.evaluate(_req("198.51.100.1", dbs), 0).action == "BLOCK"
    assert zero.evaluate(_req("2001:db8::1", dbs), 0).action == "ALLOW"


def test_asn_rate_key_counts_per_network(dbs: tuple[Path, Path]) -> None:
    rate = {"RateBasedStatement": {"Limit": 10, "EvaluationWindowSec": 60, "AggregateKeyType": "CUSTOM_KEYS"}}
    rate["RateBasedStatement"]["CustomKeys"] = [{"ASN": {}}]
    ev = WebAclEvaluator(_acl(_rule("rate", 0, rate, "Block")), rate_store=InMemoryRateCounter())
    # eleven different addresses of one ASN share a counter
    actions = [ev.evaluate(_req(f"203.0.113.{i}", dbs), 100).action for i in range(11)]
    assert actions == ["ALLOW"] * 10 + ["BLOCK"]
    assert ev.evaluate(_req("198.51.100.1", dbs), 100).action == "ALLOW"  # ASN 0: its own counter


def test_server_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRONGROOM_ASN_DB", "/srv/asn.mmdb")
    (tmp_path / "strongroom.toml").write_text('geoip_db = "/srv/city.mmdb"\n')
    config = load_config(tmp_path)
    assert config.geoip_db == Path("/srv/city.mmdb") and config.asn_db == Path("/srv/asn.mmdb")
    assert load_config(tmp_path, geoip_db="/x.mmdb").geoip_db == Path("/x.mmdb")


def test_server_refuses_a_database_it_cannot_open(
    tmp_path: Path, dbs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from strongroom.cli.main import _check_ip_databases, build_parser

    args = build_parser().parse_args(["server", "--geoip-db", str(dbs[0]), "--asn-db", str(dbs[1])])
    assert (args.geoip_db, args.asn_db) == (str(dbs[0]), str(dbs[1]))
    assert _check_ip_databases(load_config(tmp_path, geoip_db=args.geoip_db, asn_db=args.asn_db))
    (tmp_path / "text.mmdb").write_text("hello")
    assert not _check_ip_databases(load_config(tmp_path, asn_db=tmp_path / "text.mmdb"))
    assert not _check_ip_databases(load_config(tmp_path, geoip_db=tmp_path / "missing.mmdb"))
    assert "cannot open the WAF's IP database" in capsys.readouterr().err
