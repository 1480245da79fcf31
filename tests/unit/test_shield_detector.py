"""Shield's application-layer detector: baselines learned per window, the floor, start and end of attacks; the
sources mitigation picks; contributor merging."""

from __future__ import annotations

from collections import Counter

from strongroom.services.shield.attacks import top_sources
from strongroom.services.shield.detector import ALPHA, END_AFTER, FLOOR, MARGIN, DetectorState, step
from strongroom.services.shield.traffic import DIMENSIONS, TOP, Window, merge_contributors


def run(counts: list[int], state: DetectorState | None = None) -> tuple[DetectorState, list[str]]:
    state = state or DetectorState()
    events = []
    for count in counts:
        result = step(state, count)
        if result.started:
            events.append("start")
        if result.ended:
            events.append("end")
        state = result.state
    return state, events


def test_the_first_window_seeds_the_baseline_and_later_ones_are_averaged() -> None:
    state, events = run([100])
    assert state.baseline == 100 and state.learned == 1 and events == []
    state, _ = run([200], state)
    assert state.baseline == (1 - ALPHA) * 100 + ALPHA * 200


def test_a_quiet_resource_does_not_alarm_on_a_small_burst() -> None:
    state, events = run([2, 3, 2, 1])
    assert state.threshold == MARGIN * FLOOR
    _, events = run([int(MARGIN * FLOOR)], state)  # 25x its rate, but under the floor's threshold
    assert events == []


def test_a_flood_far_above_the_baseline_starts_an_attack_that_ends_after_quiet_windows() -> None:
    state, _ = run([60] * 10)
    flood = int(state.threshold) + 1
    state, events = run([flood], state)
    assert events == ["start"] and state.attacking
    baseline = state.baseline
    state, events = run([flood * 2, flood], state)
    assert events == [] and state.baseline == baseline  # the flood never becomes the baseline
    state, events = run([60] * (END_AFTER - 1), state)
    assert events == [] and state.attacking
    state, events = run([flood], state)  # a new burst resets the quiet count
    assert events == [] and state.quiet == 0
    state, events = run([0] * END_AFTER, state)
    assert events == ["end"] and not state.attacking and state.baseline == baseline


def test_growth_within_the_margin_is_learned() -> None:
    state, events = run([100, 150, 220, 330, 480, 700, 1000])
    assert events == [] and state.baseline > 300


def test_a_flood_on_a_resource_with_nothing_learned_is_judged_against_the_floor() -> None:
    _, events = run([int(MARGIN * FLOOR) + 1])
    assert events == ["start"]


def test_top_sources_are_the_heavy_hitters_only() -> None:
    sources = {"203.0.113.1": 400, "203.0.113.2": 350, "198.51.100.7": 5, "192.0.2.1": 30}
    assert top_sources(785, sources) == ["203.0.113.1", "203.0.113.2"]
    assert top_sources(40, {"192.0.2.9": 9, "192.0.2.8": 31}) == ["192.0.2.8"]  # never fewer than ten requests


def test_windows_track_the_busiest_second_and_merging_keeps_the_top() -> None:
    window = Window()
    window.seconds.update({10: 3, 11: 7})
    assert window.peak == 7
    stored = {"SOURCE_IP_ADDRESS": {f"10.0.0.{i}": 1 for i in range(TOP)}}
    merged = merge_contributors(stored, {"SOURCE_IP_ADDRESS": Counter({"192.0.2.1": 50}), "REFERRER": Counter()})
    assert set(merged) == set(DIMENSIONS)
    assert len(merged["SOURCE_IP_ADDRESS"]) == TOP and merged["SOURCE_IP_ADDRESS"]["192.0.2.1"] == 50
