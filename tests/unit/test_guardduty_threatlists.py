"""GuardDuty's list formats (``services/guardduty/threatlists.py``) on small vectors of each format."""

from __future__ import annotations

import pytest

from strongroom.services.guardduty.threatlists import ListFormatError, entry, parse

STIX = b"""<?xml version="1.0" encoding="UTF-8"?>
<stix:STIX_Package xmlns:stix="http://stix.mitre.org/stix-1" xmlns:cybox="http://cybox.mitre.org/cybox-2"
  xmlns:AddressObj="http://cybox.mitre.org/objects#AddressObject-2"
  xmlns:DomainNameObj="http://cybox.mitre.org/objects#DomainNameObject-1">
 <cybox:Object><cybox:Properties>
  <AddressObj:Address_Value condition="Equals">198.51.100.1##comma##198.51.100.2</AddressObj:Address_Value>
 </cybox:Properties></cybox:Object>
 <cybox:Object><cybox:Properties>
  <AddressObj:Address_Value>203.0.113.0/24</AddressObj:Address_Value>
 </cybox:Properties></cybox:Object>
 <cybox:Object><cybox:Properties><DomainNameObj:Value>Evil.Example.COM</DomainNameObj:Value></cybox:Properties></cybox:Object>
</stix:STIX_Package>
"""

VECTORS = {
    "TXT": (
        b"# comment\n198.51.100.1\n\n203.0.113.0/24\n2001:db8::1\nevil.example.com\nnot an ip\n",
        {"198.51.100.1", "203.0.113.0/24", "2001:db8::1", "evil.example.com"},
    ),
    "STIX": (STIX, {"198.51.100.1", "198.51.100.2", "203.0.113.0/24", "evil.example.com"}),
    "OTX_CSV": (
        b"Indicator type,Indicator,Description\nIPv4,198.51.100.1,scanner\nCIDR,203.0.113.0/24,x\n"
        b"domain,evil.example.com,c2\nFileHash-MD5,d41d8cd98f00b204e9800998ecf8427e,file\n",
        {"198.51.100.1", "203.0.113.0/24", "evil.example.com"},
    ),
    "ALIEN_VAULT": (
        b"198.51.100.1#4#2#Malicious Host#US##0.0,0.0#3\n198.51.100.9#3#2#Scanning Host###\n",
        {"198.51.100.1", "198.51.100.9"},
    ),
    "FIRE_EYE": (
        b"reportId,title,ThreatScape,ip,domain,fileName\nr1,APT,CE,198.51.100.1,,\nr2,APT,CE,,evil.example.com,\n",
        {"198.51.100.1", "evil.example.com"},
    ),
    "PROOF_POINT": (
        b"ip,category,score,first_seen,last_seen,ports\n198.51.100.1,1,127,2020-01-01,2020-01-02,80 443\n",
        {"198.51.100.1"},
    ),
}


@pytest.mark.parametrize("fmt", sorted(VECTORS))
def test_each_format(fmt: str) -> None:
    data, expected = VECTORS[fmt]
    assert parse(fmt, data) == frozenset(expected)


@pytest.mark.parametrize("fmt", sorted(VECTORS))
def test_nothing_usable_is_an_error(fmt: str) -> None:
    with pytest.raises(ListFormatError):
        parse(fmt, b"nothing,here\n")


def test_entries_are_normalized() -> None:
    assert entry(" 198.51.100.7 ") == "198.51.100.7"
    assert entry("203.0.113.9/24") == "203.0.113.0/24"
    assert entry("Example.ORG.") == "example.org"
    assert entry("999.1.1.1") is None and entry("") is None


def test_stix_refuses_entities() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(ListFormatError):
        parse("STIX", bomb)


def test_binary_is_an_error() -> None:
    with pytest.raises(ListFormatError):
        parse("TXT", b"\xff\xfe\x00")
