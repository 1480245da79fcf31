"""Trail integrity validation, as ``aws cloudtrail validate-logs`` does it, over a trail's S3 bucket or directory.

Walks each region's digest chain from the newest digest in range back to the start time: every digest must be
where it says it is, signed by a known key over AWS's data signing string, and match the hash and signature its
successor recorded for it; every log file a valid digest lists must exist and hash to the recorded SHA-256.
Log files in the covered period that no digest lists are reported too.

Where the files are read from is a ``TrailFiles``: ``DirectoryFiles`` for a trail directory (the digest signature in
its ``.metadata.json`` sidecar), or the server's S3 bucket read in-process (``services/cloudtrail/delivery.py``,
the signature in the object's metadata).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from strongroom.audit.keys import verify
from strongroom.audit.trails import signing_string
from strongroom.core import paths

REQUIRED = (
    "digestPublicKeyFingerprint",
    "digestS3Bucket",
    "digestS3Object",
    "previousDigestSignature",
    "digestEndTime",
    "digestStartTime",
)


class TrailFiles(Protocol):
    """Read access to the files of a trail's bucket, wherever they are stored."""

    def read(self, bucket: str, key: str) -> bytes | None:
        """The object's bytes as stored (gzip); None when there is no such object."""
        ...

    def exists(self, bucket: str, key: str) -> bool: ...

    def signature(self, bucket: str, key: str) -> str | None:
        """A digest's ``signature`` metadata (hex); None when it has none."""
        ...

    def keys(self, bucket: str, folder: str) -> list[str]:
        """The keys of the ``.json.gz`` objects under the key prefix ``folder/``."""
        ...


class DirectoryFiles:
    """A trail directory: keys mapped to paths as trails.py writes them, signatures in sidecar files."""

    def __init__(self, base: Path) -> None:
        self.base = base

    def path(self, bucket: str, key: str) -> Path | None:
        """Where delivery stored ``key``; None for a place outside the base."""
        try:
            return paths.confine(self.base, bucket, *paths.key_parts(key))
        except paths.PathEscapeError:
            return None

    def read(self, bucket: str, key: str) -> bytes | None:
        path = self.path(bucket, key)
        if path is None or not path.exists():
            return None
        try:
            return path.read_bytes()
        except OSError:
            return b""  # present but unreadable: the caller reports an invalid format

    def exists(self, bucket: str, key: str) -> bool:
        path = self.path(bucket, key)
        return path is not None and path.exists()

    def signature(self, bucket: str, key: str) -> str | None:
        path = self.path(bucket, key + ".metadata.json")
        if path is None:
            return None
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        value = data.get("signature") if isinstance(data, dict) else None
        return str(value) if value else None

    def keys(self, bucket: str, folder: str) -> list[str]:
        """Keys are rebuilt from ``folder`` rather than from the file's path, since the trail's prefix may hold
        segments (``..``, ``//``) that are stored escaped or collapsed."""
        top = self.path(bucket, folder)
        if top is None or not top.is_dir():
            return []
        return [f"{folder}/{p.relative_to(top).as_posix()}" for p in top.rglob("*.json.gz")]


@dataclass(frozen=True, slots=True)
class TrailInfo:
    arn: str
    account_id: str
    region: str  # home region
    name: str
    bucket: str
    prefix: str | None


@dataclass(slots=True)
class Finding:
    kind: str  # "Digest file" | "Log file" | "Chain"
    location: str
    status: str  # "valid" or "INVALID: ..."

    @property
    def valid(self) -> bool:
        return self.status == "valid"

    def line(self) -> str:
        return f"{self.kind}\t{self.location}\t{self.status}" if self.location else f"{self.kind}\t{self.status}"


@dataclass(slots=True)
class Report:
    trail: TrailInfo
    start: datetime
    end: datetime
    findings: list[Finding] = field(default_factory=list)
    found_start: datetime | None = None
    found_end: datetime | None = None

    def count(self, kind: str, valid: bool) -> int:
        return sum(1 for f in self.findings if f.kind == kind and f.valid == valid)

    @property
    def ok(self) -> bool:
        return all(f.valid for f in self.findings)

    def render(self) -> str:
        lines = [
            f"Validating log files for trail {self.trail.arn} between {_display(self.start)} and {_display(self.end)}",
            "",
        ]
        lines += [f.line() for f in self.findings]
        lines += ["", f"Results requested for {_display(self.start)} to {_display(self.end)}"]
        digests_ok, digests_bad = self.count("Digest file", True), self.count("Digest file", False)
        if not digests_ok and not digests_bad:
            lines.append("No digests found")
            return "\n".join(lines) + "\n"
        if self.found_start is None or self.found_end is None:
            lines.append("No valid digests found in range")
        else:
            lines.append(f"Results found for {_display(self.found_start)} to {_display(self.found_end)}:")
        lines.append("")
        for kind, name in (("Digest file", "digest"), ("Log file", "log")):
            good, bad = self.count(kind, True), self.count(kind, False)
            total = good + bad
            if total:
                text = f"{good}/{total} {name} files valid"
                if bad:
                    text += f", {bad}/{total} {name} files INVALID"
                lines.append(text)
        chain = self.count("Chain", False)
        if chain:
            lines.append(f"{chain} broken link(s) in the digest chain")
        return "\n".join(lines) + "\n"


def _display(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _key_date(key: str) -> datetime:
    """The end timestamp in a digest key (``..._YYYYMMDDTHHMMSSZ.json.gz``), as aws-cli extracts it."""
    return datetime.strptime(key[-24:-8], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


class Validator:
    def __init__(
        self,
        files: TrailFiles | Path,
        trail: TrailInfo,
        public_keys: dict[str, bytes],
        delivered: dict[str, tuple[str, datetime]] | None = None,
    ) -> None:
        self.files: TrailFiles = DirectoryFiles(files) if isinstance(files, Path) else files
        self.trail = trail
        self.keys = public_keys
        # What the server recorded delivering (key -> (kind, when)): finds files removed without a trace on disk.
        self.delivered = delivered or {}
        self.prefix = f"{trail.prefix}/" if trail.prefix else ""

    def location(self, key: str) -> str:
        return f"s3://{self.trail.bucket}/{key}"

    def _exists(self, key: str) -> bool:
        return self.files.exists(self.trail.bucket, key)

    def _keys_under(self, folder: str) -> list[str]:
        """The keys of the ``.json.gz`` objects under the key prefix ``folder`` (which the server wrote)."""
        return self.files.keys(self.trail.bucket, folder)

    def validate(self, start: datetime, end: datetime | None = None) -> Report:
        end = end or datetime.now(UTC)
        report = Report(self.trail, start, end)
        listed: set[str] = set()
        covered: list[tuple[datetime, datetime]] = []
        for region in self._regions():
            self._walk(region, start, end, report, listed, covered)
        self._unlisted_logs(report, listed, covered)
        self._missing(report, start, end)
        return report

    def _missing(self, report: Report, start: datetime, end: datetime) -> None:
        reported = {f.location for f in report.findings}
        for key, (kind, when) in sorted(self.delivered.items(), key=lambda item: item[1][1]):
            where = self.location(key)
            if where in reported or not start <= when <= end or self._exists(key):
                continue
            label = "Digest file" if kind == "digest" else "Log file"
            report.findings.append(Finding(label, where, "INVALID: not found (missing; the server delivered it)"))

    # -- digests ---------------------------------------------------------------------------------------------

    def _regions(self) -> list[str]:
        folder = f"{self.prefix}AWSLogs/{self.trail.account_id}/CloudTrail-Digest"
        return sorted({key[len(folder) + 1 :].split("/", 1)[0] for key in self._keys_under(folder)})

    def _digest_keys(self, region: str, start: datetime, end: datetime) -> list[str]:
        acct, name, home = self.trail.account_id, self.trail.name, self.trail.region
        folder = f"{self.prefix}AWSLogs/{acct}/CloudTrail-Digest/{region}"
        pattern = re.compile(
            rf"^{re.escape(folder)}/\d+/\d+/\d+/{acct}_CloudTrail-Digest_{re.escape(region)}_{re.escape(name)}_"
            rf"{re.escape(home)}_\d{{8}}T\d{{6}}Z\.json\.gz$"
        )
        keys = []
        for key in self._keys_under(folder):
            if pattern.match(key) and start - timedelta(minutes=1) <= _key_date(key) <= end + timedelta(hours=1):
                keys.append(key)
        return sorted(keys, key=_key_date)

    def _walk(
        self,
        region: str,
        start: datetime,
        end: datetime,
        report: Report,
        listed: set[str],
        covered: list[tuple[datetime, datetime]],
    ) -> None:
        keys = self._digest_keys(region, start, end)
        key: str | None = keys[-1] if keys else None
        last_start = _key_date(key) if key else start
        successor: dict[str, Any] | None = None
        while key is not None and start <= last_start:
            loaded = self._load(key, report)
            if loaded is None:
                key, successor = _older(keys, key), None
                continue
            digest, content, signature = loaded
            if successor is not None and successor.get("previousDigestS3Object") == key:
                self._check_link(successor, key, content, signature, report)
            report.findings.append(Finding("Digest file", self.location(key), "valid"))
            digest_start, digest_end = _parse(digest["digestStartTime"]), _parse(digest["digestEndTime"])
            covered.append((digest_start, digest_end))
            report.found_start = max(start, min(report.found_start or digest_start, digest_start))
            report.found_end = max(report.found_end or start, min(digest_end, end))
            for entry in digest.get("logFiles") or []:
                listed.add(str(entry.get("s3Object")))
                self._check_log(entry, report)
            last_start = digest_start
            previous = digest.get("previousDigestS3Object")
            if previous is None:
                older = _older(keys, key)
                if older is not None:
                    report.findings.append(
                        Finding(
                            "Chain",
                            "",
                            f"INVALID: no digest chain link between {_display(_key_date(older))} "
                            f"and {_display(last_start)} (logging or validation was off, or a digest was removed)",
                        )
                    )
                key, successor = older, None
            else:
                successor = digest
                if not self._exists(previous) and start <= last_start:
                    report.findings.append(Finding("Digest file", self.location(previous), "INVALID: not found"))
                    report.findings.append(Finding("Chain", "", f"INVALID: chain broken before {self.location(key)}"))
                    key, successor = _older(keys, key), None
                else:
                    key = previous
                    if key not in keys:
                        keys.append(key)
                        keys.sort(key=_key_date)

    def _load(self, key: str, report: Report) -> tuple[dict[str, Any], bytes, str] | None:
        raw = self.files.read(self.trail.bucket, key)
        where = self.location(key)
        if raw is None:
            report.findings.append(Finding("Digest file", where, "INVALID: not found"))
            return None
        try:
            content = gzip.decompress(raw)
            digest = json.loads(content)
            if not isinstance(digest, dict):
                raise ValueError("not an object")
        except (OSError, ValueError, EOFError, zlib.error):
            report.findings.append(Finding("Digest file", where, "INVALID: invalid format"))
            return None
        if any(name not in digest for name in REQUIRED):
            report.findings.append(Finding("Digest file", where, "INVALID: invalid format"))
            return None
        if digest["digestS3Bucket"] != self.trail.bucket or digest["digestS3Object"] != key:
            report.findings.append(Finding("Digest file", where, "INVALID: has been moved from its original location"))
            return None
        fingerprint = digest["digestPublicKeyFingerprint"]
        public = self.keys.get(fingerprint)
        if public is None:
            report.findings.append(
                Finding(
                    "Digest file",
                    where,
                    f"INVALID: public key not found in region {self.trail.region} for fingerprint {fingerprint}",
                )
            )
            return None
        signature = self.files.signature(self.trail.bucket, key)
        try:
            signature_bytes = bytes.fromhex(signature or "")
        except ValueError:
            signature_bytes = b""
        if not signature or not verify(public, signature_bytes, signing_string(digest, content)):
            report.findings.append(Finding("Digest file", where, "INVALID: signature verification failed"))
            return None
        return digest, content, str(signature)

    def _check_link(self, successor: dict[str, Any], key: str, content: bytes, signature: str, report: Report) -> None:
        if (
            successor.get("previousDigestSignature") != signature
            or successor.get("previousDigestHashValue") != hashlib.sha256(content).hexdigest()
        ):
            report.findings.append(
                Finding(
                    "Chain",
                    "",
                    f"INVALID: {self.location(key)} does not match the hash and signature recorded by "
                    f"{self.location(str(successor['digestS3Object']))}",
                )
            )

    # -- log files ---------------------------------------------------------------------------------------------

    def _check_log(self, entry: dict[str, Any], report: Report) -> None:
        key = str(entry.get("s3Object"))
        bucket = str(entry.get("s3Bucket") or self.trail.bucket)
        where = f"s3://{bucket}/{key}"
        raw = self.files.read(bucket, key)
        if raw is None:
            report.findings.append(Finding("Log file", where, "INVALID: not found"))
            return
        try:
            content = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error):
            report.findings.append(Finding("Log file", where, "INVALID: invalid format"))
            return
        if hashlib.sha256(content).hexdigest() != entry.get("hashValue"):
            report.findings.append(Finding("Log file", where, "INVALID: hash value doesn't match"))
            return
        report.findings.append(Finding("Log file", where, "valid"))

    def _unlisted_logs(self, report: Report, listed: set[str], covered: list[tuple[datetime, datetime]]) -> None:
        """Log files delivered inside a digested period that no digest lists: planted, or their digest is gone."""
        if not covered:
            return
        stamp = re.compile(r"_(\d{8}T\d{4})Z_[A-Za-z0-9]{16}\.json\.gz$")
        for key in sorted(self._keys_under(f"{self.prefix}AWSLogs/{self.trail.account_id}/CloudTrail")):
            match = stamp.search(key)
            if key in listed or match is None:
                continue
            at = datetime.strptime(match.group(1), "%Y%m%dT%H%M").replace(tzinfo=UTC)
            if any(lo <= at and at + timedelta(minutes=1) <= hi for lo, hi in covered):
                report.findings.append(Finding("Log file", self.location(key), "INVALID: not listed in any digest"))


def _older(keys: list[str], key: str) -> str | None:
    """The newest digest key strictly older than ``key`` (aws-cli's "find next digest")."""
    limit = _key_date(key)
    older = [k for k in keys if _key_date(k) < limit]
    return older[-1] if older else None
