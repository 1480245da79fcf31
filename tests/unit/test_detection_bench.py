"""bench/guardduty.py at small size, so it cannot rot (no figure is asserted but the sample's detections)."""

from __future__ import annotations

from pathlib import Path

from bench import guardduty

SAMPLE = Path(__file__).parent.parent / "data" / "stratus-sample"


def test_bench_runs_on_the_sample() -> None:
    results = guardduty.measure(SAMPLE, None, say=lambda _m: None, days=9)
    assert len(results.techniques) == 8
    assert results.technique_records > 0 and results.benign_events > 10_000
    assert len(results.detected) >= 7, results.techniques
    assert results.engine_rate > 0 and results.analyze_rate > 0
    text = guardduty.render(results, "# Benchmarks\n")
    assert guardduty.BEGIN in text and "Stratus" in text
    assert guardduty.render(results, text).count(guardduty.BEGIN) == 1


def test_user_agents_are_rewritten_to_an_sdk() -> None:
    agent = guardduty.rewrite_agent("stratus-red-team_1234", {"eventName": "StopLogging"})
    assert agent.startswith(("aws-cli/2.", "Boto3/1."))
