"""Macie's engine measured: precision / recall per identifier on the seeded labelled corpus (bench/macie_corpus.py)
with every managed identifier enabled, Presidio's pattern recognizers as the peer on the entity types both have
(no NLP engine: the recognizers' own patterns, validators and phonenumbers), and MB/s on one core.

``python -m bench.macie`` prints the tables; bench/run.py calls ``measure`` and writes them into docs/benchmarks.md."""

from __future__ import annotations

import argparse
import io
import logging
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.macie_corpus import Doc, corpus
from bench.report import splice
from strongroom.sensitive import build_classifier
from strongroom.sensitive import classifier as classifier_mod
from strongroom.sensitive.contract import ScanConfig

# The entity groups both engines name (ours by identifier, Presidio's by entity type).
GROUPS: dict[str, tuple[set[str], str]] = {
    "card number": ({"CREDIT_CARD_NUMBER", "CREDIT_CARD_NUMBER_(NO_KEYWORD)"}, "CREDIT_CARD"),
    "US SSN": ({"USA_SOCIAL_SECURITY_NUMBER"}, "US_SSN"),
    "email": ({"EMAIL_ADDRESS"}, "EMAIL_ADDRESS"),
    "phone number": ({"PHONE_NUMBER", "UK_PHONE_NUMBER", "KOREA_PHONE_NUMBER"}, "PHONE_NUMBER"),
    "IBAN": (
        {i for i in classifier_mod.BY_ID if i.endswith("_BANK_ACCOUNT_NUMBER") and i != "BANK_ACCOUNT_NUMBER"},
        "IBAN_CODE",
    ),
    "IP address": ({"IP_ADDRESS"}, "IP_ADDRESS"),
    "Aadhaar": ({"INDIA_AADHAAR_NUMBER"}, "IN_AADHAAR"),
    "Spain DNI": ({"SPAIN_DNI_NUMBER"}, "ES_NIF"),
    "Korea RRN": ({"KOREA_RESIDENT_REGISTRATION_NUMBER"}, "KR_RRN"),
}


def norm(value: str) -> str:
    return "".join(c for c in value if c.isalnum()).upper()


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float]:
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)


def ours(docs: list[Doc]) -> dict[str, Counter[str]]:
    classifier_mod.MAX_SAMPLES = 1 << 30  # every match's text, to score it (the service keeps 10)
    clf = build_classifier(ScanConfig(managed_selector="ALL", max_occurrences=1 << 30))
    stats: dict[str, Counter[str]] = {}
    for doc in docs:
        res = clf.classify(doc.name, io.BytesIO(doc.body), len(doc.body))
        got = Counter((d.type, norm(s)) for d in res.detections for s in d.samples)
        want = Counter((t, norm(v)) for t, v in doc.labels)
        for key in set(got) | set(want):
            c = stats.setdefault(key[0], Counter())
            c["tp"] += min(got[key], want[key])
            c["fp"] += max(0, got[key] - want[key])
            c["fn"] += max(0, want[key] - got[key])
    return stats


def presidio(docs: list[Doc]) -> dict[str, Counter[str]] | None:
    try:
        from presidio_analyzer import predefined_recognizers as pr
    except ImportError:
        return None
    # tldextract (the email recognizer's) tries to refresh the public-suffix list from the network and falls back to
    # its bundled copy: the bench runs offline, so the refresh's failure is not news.
    logging.getLogger("tldextract").setLevel(logging.CRITICAL)
    recognizers: list[Any] = []
    for name in (
        "CreditCardRecognizer", "UsSsnRecognizer", "EmailRecognizer", "PhoneRecognizer", "IbanRecognizer",
        "IpRecognizer", "InAadhaarRecognizer", "EsNifRecognizer", "KrRrnRecognizer",
    ):  # fmt: skip
        cls = getattr(pr, name, None)
        if cls is not None:
            recognizers.append(cls())
    to_group = {ent: g for g, (_, ent) in GROUPS.items()}
    stats: dict[str, Counter[str]] = {}
    for doc in docs:
        text = doc.body.decode("utf-8")
        got: Counter[tuple[str, str]] = Counter()
        for rec in recognizers:
            for res in rec.analyze(text, rec.supported_entities, None) or []:
                g = to_group.get(res.entity_type)
                if g is not None and res.score > 0:
                    got[(g, norm(text[res.start : res.end]))] += 1
        want = Counter((g, norm(v)) for t, v in doc.labels for g, (ids, _) in GROUPS.items() if t in ids)
        for key in set(got) | set(want):
            c = stats.setdefault(key[0], Counter())
            c["tp"] += min(got[key], want[key])
            c["fp"] += max(0, got[key] - want[key])
            c["fn"] += max(0, want[key] - got[key])
    return stats


def grouped(stats: dict[str, Counter[str]]) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {}
    for g, (ids, _) in GROUPS.items():
        c: Counter[str] = Counter()
        for i in ids:
            c.update(stats.get(i, Counter()))
        out[g] = c
    return out


_VOCAB = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "was",
    "for",
    "on",
    "that",
    "with",
    "as",
    "by",
    "at",
    "from",
    "this",
    "be",
    "are",
    "have",
    "it",
    "an",
    "or",
    "which",
    "their",
    "has",
    "not",
    "were",
    "but",
    "its",
    "they",
    "been",
    "more",
    "also",
    "two",
    "can",
    "after",
    "other",
    "into",
    "than",
    "first",
    "new",
    "some",
    "time",
    "would",
    "these",
    "may",
    "year",
    "between",
    "when",
    "city",
    "system",
    "used",
    "only",
    "during",
    "over",
    "school",
    "such",
    "most",
    "people",
    "company",
    "team",
    "release",
    "shipping",
    "warehouse",
    "quarterly",
    "customer",
    "support",
    "ticket",
    "resolved",
    "meeting",
    "agenda",
    "budget",
    "review",
    "migration",
    "database",
    "server",
    "latency",
    "deployment",
]


def typical_text(size: int, seed: int = 11) -> bytes:
    """Text as buckets mostly hold it: prose and log lines (timestamps, request ids, versions, private IPs — the
    look-alikes), with one labelled corpus document every ~64 KiB."""
    r = random.Random(seed)
    docs = [d.body for d in corpus(seed=seed, documents=64) if d.name.endswith(".txt")]
    out: list[bytes] = []
    total = since_doc = 0
    while total < size:
        if r.random() < 0.3:
            line = (
                f"2024-05-{r.randint(10, 28)}T{r.randint(10, 23)}:{r.randint(10, 59)}:{r.randint(10, 59)}Z INFO "
                f"req={r.getrandbits(64):016x} build {r.randint(1, 9)}.{r.randint(0, 30)}.{r.randint(0, 99)} "
                f"latency_ms={r.randint(1, 900)} status=200"
            ).encode()
        else:
            line = (" ".join(r.choice(_VOCAB) for _ in range(r.randint(8, 20))).capitalize() + ".").encode()
        if since_doc > 64 << 10:
            line += b"\n" + r.choice(docs)
            since_doc = 0
        out.append(line)
        total += len(line) + 1
        since_doc += len(line) + 1
    return b"\n".join(out)


def speed(body: bytes, seconds: float = 3.0) -> float:
    """MiB per CPU second (one core), every managed identifier enabled."""
    clf = build_classifier(ScanConfig(managed_selector="ALL"))
    clf.classify("warm.txt", io.BytesIO(body[: 1 << 20]), 1 << 20)  # phonenumbers loads its metadata lazily
    # CPU seconds of this process, not wall time: the machine is shared, and the target is per core.
    start, done = time.process_time(), 0
    while time.process_time() - start < seconds or not done:
        clf.classify("big.txt", io.BytesIO(body), len(body))
        done += len(body)
    return done / (1 << 20) / (time.process_time() - start)


def measure(say: Callable[[str], None] = print, documents: int = 300) -> list[str]:
    docs = list(corpus(documents=documents))
    say(f"Macie: {len(docs)} documents, {sum(len(d.labels) for d in docs)} labelled values")
    mine = ours(docs)
    peer = presidio(docs)
    lines = ["| identifier | TP | FP | FN | precision | recall |", "|---|---:|---:|---:|---:|---:|"]
    for ident in sorted(mine):
        c = mine[ident]
        p, r = _prf(c["tp"], c["fp"], c["fn"])
        lines.append(f"| `{ident}` | {c['tp']} | {c['fp']} | {c['fn']} | {p:.3f} | {r:.3f} |")
    lines += [
        "",
        "| entity (shared) | Strongroom P | Strongroom R | Presidio P | Presidio R |",
        "|---|---:|---:|---:|---:|",
    ]
    ours_g = grouped(mine)
    peer_g = peer or {}
    for g in GROUPS:
        p, r = _prf(ours_g[g]["tp"], ours_g[g]["fp"], ours_g[g]["fn"])
        if peer is not None:
            pc = peer_g.get(g, Counter())
            pp, prr = _prf(pc["tp"], pc["fp"], pc["fn"])
            lines.append(f"| {g} | {p:.3f} | {r:.3f} | {pp:.3f} | {prr:.3f} |")
        else:
            lines.append(f"| {g} | {p:.3f} | {r:.3f} | n/a | n/a |")
    load = os.getloadavg()[0]
    typical = speed(typical_text(32 << 20))
    dense = speed(b"\n".join(d.body for d in docs if d.name.endswith(".txt")))
    lines += [
        "",
        f"Speed per CPU second (one core), every managed identifier enabled: {typical:.1f} MiB/s on typical text "
        f"(prose and log lines, a labelled document every 64 KiB); {dense:.2f} MiB/s on the corpus itself "
        "(a sensitive value every ~60 bytes: the cost is per candidate, in the validators). "
        f"Load average before the speed runs: {load:.1f} on {os.cpu_count()} cores.",
    ]
    if peer is None:
        lines.append("(presidio-analyzer is not installed: `pip install -e '.[bench]'` for the peer columns)")
    return lines


BEGIN = "<!-- bench-macie:begin (generated by `make bench`; edit outside these markers) -->"
END = "<!-- bench-macie:end -->"


def render(lines: list[str], document: str) -> str:
    """The Macie section of docs/benchmarks.md, replaced between its markers (appended the first time)."""
    head = [
        BEGIN,
        "",
        "### Macie sensitive-data engine",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} by `bench/macie.py` (one core, CPython): the seeded labelled corpus "
        "of `bench/macie_corpus.py` (support tickets in prose, CSV exports, JSON payloads, with hard negatives) and "
        "`bench/macie_corpus_ids.py` (every other detecting identifier: valid values with their check digits after "
        "one of its documented keywords in prose, CSV columns and JSON fields; wrong check digits beside the keyword "
        "and keyword-less values as hard negatives), every managed identifier enabled. A detection counts when its "
        "identifier and its text match a label.",
        "",
    ]
    block = "\n".join([*head, *lines, "", END])
    return splice(document, BEGIN, END, block)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=None, help="rewrite the Macie section of this markdown file")
    args = parser.parse_args(argv)
    lines = measure()
    print("\n".join(lines))
    if args.out is not None:
        args.out.write_text(render(lines, args.out.read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
