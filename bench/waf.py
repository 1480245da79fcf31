"""The WAF section of ``make bench``: Strongroom's WAF against Apache + ModSecurity 2.9.7 + OWASP CRS 3.3.4.

Detection: the CRS 3.3.4 regression corpus (kept outside the repository: ``--crs-corpus`` / ``corpus_dir``; loaded
by ``bench/crs_corpus.py``) is replayed over HTTP through the peer, each case on its own connection with its bytes
as written (``bench/rawhttp.py``); a 403 is a block, for both WAFs. ModSecurity's audit log names the rules that
fired per request (by mod_unique_id's id), so the table also says how often a positive case's own rule fired, which
is CRS's own pass criterion, and splits the positives by the paranoia level of the rule they test. Strongroom's
figures come from its engine in-process (``bench/waf_detection.py``) and, when the command exists, from the same
HTTP replay through ``strongroom waf proxy``.

Speed: in the same run and against the same backend (the bare ASGI app, as in the API Gateway section), the
benign mix of ``bench/waf_traffic.py`` is replayed by the load generator against the backend directly, Apache as
a plain reverse proxy, Apache + ModSecurity + CRS, ``strongroom waf proxy`` and an API Gateway HTTP_PROXY stage
without and with the web ACL; plus the engine's own evaluation time per request (in-process, no HTTP). The
"added" figures are each path's latency over the backend's at one connection; throughput is the best rate over
the concurrencies. Each Strongroom enforcement point is a small function that answers a reason instead of a
server when its feature is not there yet (the probe rule must be blocked before anything is measured).

``render`` writes the section into its own marked block of docs/benchmarks.md.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import modsecurity
from bench.apigateway import STAGE, deploy_proxy
from bench.load import Cell, Usage, run_cell
from bench.rawhttp import send
from bench.servers import REPO, Server, bare, free_port, strongroom
from bench.signing import Endpoint, Signed
from bench.waf_traffic import ACL_NAME, HOST, Tally, benign_pool, probe, replay, tally, web_acl, web_acl_rules

BACKEND = "backend directly"
APACHE = "Apache reverse proxy, no WAF"
MODSEC = "Apache + ModSecurity + CRS (PL1)"
PROXY = "`strongroom waf proxy`, six groups"
STAGE_PLAIN = "API Gateway HTTP_PROXY stage, no web ACL"
STAGE_WAF = "API Gateway HTTP_PROXY stage + web ACL, six groups"
TARGETS = (BACKEND, APACHE, MODSEC, PROXY, STAGE_PLAIN, STAGE_WAF)

PEER = "ModSecurity 2.9.7 + CRS 3.3.4, PL1 (over HTTP)"
ENGINE = "Strongroom engine, six groups (in-process)"
VIA_PROXY = "Strongroom `waf proxy`, six groups (over HTTP)"

Say = Callable[[str], None]


@dataclass
class WafOptions:
    enabled: bool = True
    concurrency: tuple[int, ...] = (1, 8, 32)
    corpus: Path | None = None  # the CRS corpus's directory; None: see corpus_dir
    max_cases: int | None = None  # the first N corpus cases only (the smoke test); None: all
    evaluations: int = 1600  # in-process engine evaluations timed (each a different request, evaluated once)
    replay_workers: int = 16
    install: bool = True  # apt-get install the peer when root and missing (the smoke test does not)

    @classmethod
    def tiny(cls) -> WafOptions:
        return cls(concurrency=(1,), max_cases=24, evaluations=30, replay_workers=4, install=False)


@dataclass
class EngineTiming:
    evaluations: int
    p50_us: float
    p99_us: float
    mean_us: float
    blocked: int  # of the benign mix: must stay 0


@dataclass
class WafResults:
    options: WafOptions = field(default_factory=WafOptions)
    generator: str = ""
    seconds: float = 0.0
    detection: dict[str, Tally] = field(default_factory=dict)  # PEER / ENGINE / VIA_PROXY -> tally
    cells: dict[str, dict[int, Cell]] = field(default_factory=dict)  # TARGETS -> concurrency -> cell
    engine: EngineTiming | None = None
    engine_empty: bool = False  # the managed groups had no content: the engine figure is not the target's setup
    peer_versions: str = ""
    cases: int = 0
    notes: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)


# -- detection ---------------------------------------------------------------------------------------------------


def corpus_dir(given: Path | None) -> Path | None:
    """Where the CRS corpus is: ``--crs-corpus`` (``make bench CRS_CORPUS=DIR``), else ``$STRONGROOM_CRS_CORPUS``
    (bench/waf_detection.py reads the same variable). It stays outside the repository, so nothing here names it."""
    if given is not None:
        return given
    found = os.environ.get("STRONGROOM_CRS_CORPUS")
    return Path(found) if found else None


def load_corpus(options: WafOptions) -> list[Any]:
    from bench.crs_corpus import load_cases

    root = corpus_dir(options.corpus)
    if root is None or not root.is_dir():
        return []
    cases = load_cases(root)
    return cases[: options.max_cases] if options.max_cases else cases


_LOCALHOST = re.compile(rb"(?im)^(host:[ \t]*)localhost([ \t]*\r?)$")


def named_host(case: Any) -> Any:
    """The case as Strongroom is replayed (bench/waf_detection.py does the same in process): ``Host: localhost``,
    which the corpus's harness puts on every request, becomes ``www.example.com``, or AWS's KnownBadInputs rule
    Host_localhost_HEADER would block every case for that alone. Other Host values, set on purpose, stay."""
    if case.raw is not None:
        return dataclasses.replace(case, raw=_LOCALHOST.sub(rb"\1" + HOST.encode() + rb"\2", case.raw))
    headers = tuple((k, HOST if k.lower() == "host" and v.strip() == "localhost" else v) for k, v in case.headers)
    return dataclasses.replace(case, headers=headers)


def _raw(request: Any) -> bytes:
    """A ``WafRequest`` (bench/waf_benign.py's corpus) as HTTP/1.1 bytes."""
    path = request.uri_path + (f"?{request.query_string}" if request.query_string else "")
    headers = tuple(request.headers)
    if not any(k.lower() == "host" for k, _ in headers):
        headers = (("Host", HOST), *headers)
    return Signed(request.method, path, headers, request.body).raw()


def benign_requests(limit: int | None = None) -> tuple[list[bytes], str]:
    """The benign corpus as raw requests: bench/waf_benign.py's when it is there, else the speed mix."""
    try:
        from bench.waf_benign import benign_requests as corpus
    except ImportError:
        return [s.raw() for s in benign_pool()], "the speed mix (no benign corpus on this branch)"
    raws = [_raw(r) for r in corpus()][:limit]
    return raws, f"bench/waf_benign.py's benign corpus ({len(raws):,} requests)"


def _benign(tally_: Tally, port: int, options: WafOptions) -> None:
    raws, _ = benign_requests(options.max_cases)
    with ThreadPoolExecutor(max_workers=options.replay_workers) as pool:
        answers = list(pool.map(lambda r: send("127.0.0.1", port, r), raws))
    tally_.benign = len(answers)
    tally_.benign_passed = sum(1 for a in answers if a.status is not None and a.status < 400)


def peer_detection(options: WafOptions, cases: list[Any], backend: Server, results: WafResults, say: Say) -> None:
    """The corpus through Apache + ModSecurity + CRS; the rules that fired from its audit log, by unique id."""
    apache = modsecurity.Apache(backend.url, expose_unique_id=True)
    apache.start()
    try:
        began = time.monotonic()
        answers = replay(cases, "127.0.0.1", apache.port, options.replay_workers)
        seconds = time.monotonic() - began
        time.sleep(0.5)  # the logging phase (CRS 980xxx) writes after the answer
        fired = modsecurity.rules_by_request(apache.audit_log.read_text(errors="replace"))
        benign = Tally()
        _benign(benign, apache.port, options)
    finally:
        apache.stop()

    def rules_of(answer: Any) -> set[str] | None:
        unique = answer.headers.get(modsecurity.UNIQUE_ID_HEADER)
        return fired.get(unique, set()) if unique else None

    result = tally(cases, answers, rules_of, modsecurity.rule_levels())
    result.seconds, result.benign, result.benign_passed = seconds, benign.benign, benign.benign_passed
    results.detection[PEER] = result
    say(
        f"  waf detection {PEER}: positives blocked {result.blocked}/{result.positives}, negatives passed "
        f"{result.passed}/{result.negatives}, benign passed {result.benign_passed}/{result.benign}, "
        f"own rule fired {result.fired}/{result.logged} ({seconds:.1f} s)"
    )


def engine_detection(options: WafOptions, cases: list[Any], results: WafResults, say: Say) -> None:
    """Strongroom's in-process figures from bench/waf_detection.py (branch waf-crs) when it is there."""
    try:
        from bench import waf_detection
        from bench.waf_benign import benign_requests as corpus
    except ImportError:
        results.notes.append("in-process detection: bench/waf_detection.py is not on this branch yet")
        say("  waf detection: bench/waf_detection.py not there yet; skipped")
        return
    began = time.monotonic()
    try:
        found = waf_detection.run(cases, corpus()[: options.max_cases])
        tally_ = Tally(
            positives=found.positives,
            blocked=found.blocked,
            negatives=found.negatives,
            passed=found.negatives_passed,
            status_only=found.status_only,
            status_only_refused=found.status_only_blocked,
            benign=found.benign,
            benign_passed=found.benign_passed,
            passed_ua_count=found.negatives_passed_ua_count,
            seconds=time.monotonic() - began,
        )
    except (AttributeError, TypeError) as exc:  # bench/waf_detection.py changed its interface: say so, go on
        results.notes.append(f"in-process detection not measured: {type(exc).__name__}: {exc}")
        return
    results.detection[ENGINE] = tally_
    say(
        f"  waf detection {ENGINE}: positives blocked {found.blocked}/{found.positives}, negatives passed "
        f"{found.negatives_passed}/{found.negatives}, benign passed {found.benign_passed}/{found.benign}"
    )


# -- speed -------------------------------------------------------------------------------------------------------


def _cells(
    name: str,
    server: Server,
    pool: list[Signed],
    options: WafOptions,
    seconds: float,
    generator: str,
    results: WafResults,
    say: Say,
) -> None:
    row = results.cells.setdefault(name, {})
    usage = Usage(server.pid)
    run_cell("127.0.0.1", server.port, pool, 2, min(1.0, seconds), None, generator)  # warm: pools, caches
    for concurrency in options.concurrency:
        cell = run_cell("127.0.0.1", server.port, pool, concurrency, seconds, usage, generator)
        row[concurrency] = cell
        say(
            f"  waf {name:<52} c={concurrency:<3} {cell.rps:8.0f} rps  p50 {cell.p50_ms:6.2f}  "
            f"p99 {cell.p99_ms:6.2f} ms  err {cell.errors}{' ' + cell.first_error[:80] if cell.errors else ''}"
        )


WARM_REQUESTS = 200
WORKER_PROBES = 16  # concurrent probes after the first block: enough to reach each of a few server workers


def engine_timing(evaluations: int) -> tuple[EngineTiming, str]:
    """The engine's evaluation time per request of the benign mix (perf_counter around ``evaluate``)."""
    from strongroom.waf import WafRequest, WebAclEvaluator

    provider, note = managed_rules()
    evaluator = WebAclEvaluator(web_acl(), managed_rules=provider, resource_type="API_GATEWAY")
    requests = []
    for signed in benign_pool():
        path, _, query = signed.path.partition("?")
        requests.append(WafRequest(signed.method, path, query, signed.headers, signed.body, source_ip="127.0.0.1"))
    warm, timed = requests[:WARM_REQUESTS], requests[WARM_REQUESTS:][:evaluations]
    for request in warm:  # warm: RE2's lazily built automata, the interpreter's caches
        evaluator.evaluate(request, now=time.time())
    timings: list[int] = []
    blocked = 0
    clock = time.perf_counter_ns
    # every timed request is evaluated once: its own per-request values (order reference, session cookie, page) were
    # never seen, so the engine's result cache helps only with what repeats across requests, as in real traffic
    for request in timed:
        now = time.time()
        began = clock()
        decision = evaluator.evaluate(request, now=now)
        timings.append(clock() - began)
        blocked += decision.action != "ALLOW"
    timings.sort()

    def pct(p: float) -> float:
        return timings[min(len(timings) - 1, max(0, math.ceil(p / 100 * len(timings)) - 1))] / 1000

    mean = sum(timings) / len(timings) / 1000
    return EngineTiming(len(timed), pct(50), pct(99), mean, blocked), note


def managed_rules() -> tuple[Any, str]:
    """The engine's managed-rule provider (the CRS-derived content), and a note when a branch has only the stub."""
    from strongroom.waf import managed

    content = getattr(managed, "CrsManagedRules", None)
    if content is not None:
        return content(), ""
    return managed.EmptyManagedRules(), (
        "the managed groups have no content on this branch (`EmptyManagedRules`): Strongroom's figures measure the "
        "engine and the enforcement points with six empty groups"
    )


# -- Strongroom's enforcement points: each answers a started server (or endpoint) or the reason it is skipped -------


def create_acl(endpoint: Endpoint) -> str:
    """The six-group web ACL made through the wafv2 API, as a user would; returns its ARN."""
    client = endpoint.client("wafv2")
    made = client.create_web_acl(
        Name=ACL_NAME,
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        Rules=web_acl_rules(),
        VisibilityConfig={"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": ACL_NAME},
    )
    return str(made["Summary"]["ARN"])


def _blocks_probe(port: int, prefix: str = "") -> bool:
    return send("127.0.0.1", port, probe(prefix=prefix), timeout=10).status == 403


def start_waf_proxy(server: Server, acl_arn: str, backend: Server, work: Path) -> Server | str:
    """``strongroom waf proxy`` in front of the backend (branch waf-proxy); the reason when it cannot run."""
    cli = [sys.executable, "-m", "strongroom.cli.main", "waf", "proxy"]
    helped = subprocess.run([*cli, "--help"], capture_output=True, text=True, cwd=REPO, check=False, timeout=60)
    if helped.returncode != 0:
        return "`strongroom waf proxy` is not on this branch yet"
    port = free_port()
    env = {
        "AWS_ENDPOINT_URL": server.url,
        "AWS_ACCESS_KEY_ID": server.access_key,
        "AWS_SECRET_ACCESS_KEY": server.secret_key,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }
    cmd = [*cli, "--web-acl", acl_arn, "--upstream", backend.url, "--listen", f"127.0.0.1:{port}"]
    proxy = Server("waf-proxy", cmd, "/", work / "waf-proxy.log", env, port=port)
    try:
        proxy.start(timeout=60)
    except RuntimeError as exc:
        return f"`strongroom waf proxy` did not start: {str(exc)[-200:]}"
    deadline = time.monotonic() + 5  # it follows its ACL within a second
    while not _blocks_probe(port):
        if time.monotonic() > deadline:
            proxy.stop()
            return "`strongroom waf proxy` ran but did not block the probe rule: not measured"
        time.sleep(0.2)
    return proxy


def stage_prefix(endpoint: Endpoint, backend: Server) -> str:
    """A `{proxy+}` HTTP_PROXY stage to the backend (bench/apigateway.py's); returns its invoke path prefix."""
    return f"/restapis/{deploy_proxy(endpoint, backend.port)}/{STAGE}/_user_request_"


def protect_stage(endpoint: Endpoint, server: Server, prefix: str, acl_arn: str) -> str | None:
    """Associate the web ACL with the stage (branch waf-apigw enforces it); None, or why it is not measured."""
    api_id = prefix.split("/")[2]
    stage_arn = f"arn:aws:apigateway:{endpoint.region}::/restapis/{api_id}/stages/{STAGE}"
    try:
        endpoint.client("wafv2").associate_web_acl(WebACLArn=acl_arn, ResourceArn=stage_arn)
    except Exception as exc:  # reported, not fatal
        return f"AssociateWebACL failed: {type(exc).__name__}: {str(exc)[:160]}"
    deadline = time.monotonic() + 5
    while not _blocks_probe(server.port, prefix):
        if time.monotonic() > deadline:
            return "the stage does not enforce its web ACL on this branch yet (the probe rule passed): not measured"
        time.sleep(0.2)
    # Each server worker compiles the web ACL on its first protected request (a few hundred ms, once per process):
    # concurrent probes on fresh connections reach every worker (sequential ones may all land on the same one, and a
    # load generator's keep-alive connection stays on one worker), so no measured request pays a compile.
    with ThreadPoolExecutor(max_workers=WORKER_PROBES) as pool:
        list(pool.map(lambda _i: _blocks_probe(server.port, prefix), range(WORKER_PROBES)))
    return None


def _strongroom_points(
    options: WafOptions,
    work: Path,
    backend: Server,
    seconds: float,
    generator: str,
    workers: int,
    log_level: str,
    results: WafResults,
    say: Say,
) -> None:
    server = strongroom(work / "waf-sr", log_level=log_level, workers=workers)
    server.start()
    try:
        endpoint = Endpoint(server.url, server.access_key, server.secret_key)
        acl_arn = create_acl(endpoint)
        proxy = start_waf_proxy(server, acl_arn, backend, work)
        if isinstance(proxy, str):
            results.notes.append(proxy)
            say(f"  waf: {proxy}")
        else:
            try:
                _cells(PROXY, proxy, benign_pool(), options, seconds, generator, results, say)
                cases = load_corpus(options)
                if cases:
                    began = time.monotonic()
                    answers = replay([named_host(c) for c in cases], "127.0.0.1", proxy.port, options.replay_workers)
                    via = results.detection[VIA_PROXY] = tally(cases, answers, levels=modsecurity.rule_levels())
                    via.seconds = time.monotonic() - began
                    _benign(via, proxy.port, options)
                    say(
                        f"  waf detection {VIA_PROXY}: positives blocked {via.blocked}/{via.positives}, negatives "
                        f"passed {via.passed}/{via.negatives}, benign passed {via.benign_passed}/{via.benign}"
                    )
            finally:
                proxy.stop()
        prefix = stage_prefix(endpoint, backend)
        _cells(STAGE_PLAIN, server, benign_pool(prefix=prefix), options, seconds, generator, results, say)
        reason = protect_stage(endpoint, server, prefix, acl_arn)
        if reason:
            results.notes.append(reason)
            say(f"  waf: {reason}")
        else:
            _cells(STAGE_WAF, server, benign_pool(prefix=prefix), options, seconds, generator, results, say)
    finally:
        server.stop()


def measure(
    options: WafOptions,
    work: Path,
    seconds: float,
    generator: str,
    workers: int,
    log_level: str,
    results: WafResults,
    say: Say,
) -> None:
    """Detection and speed, every target against one backend started here."""
    began = time.monotonic()
    results.options, results.generator, results.seconds = options, generator, seconds
    results.load_before = os.getloadavg()
    backend = bare(work, workers=1)
    backend.start()
    try:
        cases: list[Any] = []
        cases = load_corpus(options)
        results.cases = len(cases)
        if not cases:
            results.notes.append(
                "no detection figures: the CRS 3.3.4 regression corpus was not found (`--crs-corpus DIR` or "
                "`STRONGROOM_CRS_CORPUS`)"
            )
        else:
            results.notes.append(f"benign traffic: {benign_requests(options.max_cases)[1]}")
        reason = modsecurity.ensure_installed(say, options.install)
        if reason:
            results.notes.append(reason)
            say(f"  waf: {reason}")
        else:
            results.peer_versions = modsecurity.versions()
            if cases:
                try:
                    peer_detection(options, cases, backend, results, say)
                except RuntimeError as exc:  # Apache did not start: reported, the rest still runs
                    results.notes.append(f"the peer's detection run failed: {str(exc)[-300:]}")
        _cells(BACKEND, backend, benign_pool(), options, seconds, generator, results, say)
        if not reason:
            for name, with_waf in ((APACHE, False), (MODSEC, True)):
                apache = modsecurity.Apache(backend.url, modsecurity=with_waf)
                try:
                    started = apache.start()
                    _cells(name, started, benign_pool(), options, seconds, generator, results, say)
                except RuntimeError as exc:
                    results.notes.append(f"{name} not measured: {str(exc)[-300:]}")
                finally:
                    apache.stop()
        engine, note = engine_timing(options.evaluations)
        results.engine = engine
        if note:
            results.notes.append(note)
            results.engine_empty = True
        if engine.blocked:
            results.notes.append(
                f"**the engine blocked {engine.blocked:,} of its {engine.evaluations:,} evaluations of the benign "
                "speed mix** (false positives of the managed content): the in-process timing, and the Strongroom "
                "paths' errors below, are those of blocked requests"
            )
        say(
            f"  waf engine in-process: p50 {engine.p50_us:.0f} µs, p99 {engine.p99_us:.0f} µs over "
            f"{engine.evaluations} evaluations"
        )
        if cases:
            engine_detection(options, cases, results, say)
        try:
            _strongroom_points(options, work, backend, seconds, generator, workers, log_level, results, say)
        except Exception as exc:  # a sibling feature failing is reported in the section, not a crashed bench
            results.notes.append(
                f"Strongroom's enforcement points not measured: {type(exc).__name__}: {str(exc)[:300]}"
            )
            say(f"  waf: Strongroom's enforcement points failed: {exc!r}")
    finally:
        backend.stop()
        results.elapsed = time.monotonic() - began


def wanted(options: WafOptions, workloads: tuple[str, ...]) -> bool:
    return options.enabled and (not workloads or any(w.lower() in "waf modsecurity" for w in workloads))
