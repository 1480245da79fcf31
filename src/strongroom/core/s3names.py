"""Amazon S3's naming rules for general purpose buckets, as one table the services that name buckets consult.

From "General purpose bucket naming rules" (Amazon S3 User Guide). CloudTrail's own page adds, for the buckets it
delivers to, that each dot-separated label starts with a letter or number and that dashes are not adjacent to periods.
"""

from __future__ import annotations

import ipaddress
import re

MIN_LENGTH = 3
MAX_LENGTH = 63
# Reserved for S3 features (access point and Object Lambda aliases, Multi-Region Access Points, directory and table
# buckets) or by AWS, so no bucket can carry them.
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_CHARACTERS = re.compile(r"^[a-z0-9.-]+$")


def bucket_name_error(name: str, *, dns_labels: bool = False) -> str | None:
    """Which rule ``name`` breaks, or None for a valid bucket name.

    ``dns_labels`` also applies CloudTrail's stricter label rule (no ``-.`` or ``.-``).
    """
    if not MIN_LENGTH <= len(name) <= MAX_LENGTH:
        return f"Bucket names must be between {MIN_LENGTH} and {MAX_LENGTH} characters long."
    if not _CHARACTERS.match(name):
        return "Bucket names can consist only of lowercase letters, numbers, periods (.), and hyphens (-)."
    if not (name[0].isalnum() and name[-1].isalnum()):
        return "Bucket names must begin and end with a letter or number."
    if ".." in name:
        return "Bucket names must not contain two adjacent periods."
    if dns_labels and ("-." in name or ".-" in name):
        return "Bucket names must not have dashes adjacent to periods."
    if _is_ip(name):
        return "Bucket names must not be formatted as an IP address."
    for prefix in RESERVED_PREFIXES:
        if name.startswith(prefix):
            return f"Bucket names must not start with the prefix {prefix}."
    for suffix in RESERVED_SUFFIXES:
        if name.endswith(suffix):
            return f"Bucket names must not end with the suffix {suffix}."
    return None


def _is_ip(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        # four dot-separated numbers that IPv4Address refuses (leading zeros, >255) still look like an address
        return bool(re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name))
    return True
