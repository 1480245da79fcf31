"""Application-layer DDoS detection for one protected resource: pure logic over one-minute request counts.

Shield Advanced learns each protected resource's normal request rate and declares an event when traffic rises well
above it ("Shield Advanced detection logic for application layer threats": a baseline of the resource's traffic,
an event when the current rate deviates from it significantly). AWS publishes no formula; this one is:

* the baseline is an exponentially weighted moving average of the requests per one-minute window (``ALPHA`` the
  weight of the latest window; the first window seeds it), never lower than ``FLOOR`` so that a quiet resource
  (a handful of requests a minute) does not alarm on a small burst;
* an attack starts when a window's count exceeds ``MARGIN`` times the baseline;
* while an attack lasts the baseline is not updated (the flood must not become normal), and the attack ends after
  ``END_AFTER`` consecutive windows back under the threshold (AWS: an event ends when the traffic subsides for
  some minutes).

Time never appears here: the caller (``attacks.py``'s scheduled job, on the server clock) feeds closed windows in
order, a missing window as a count of 0.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

WINDOW_SECONDS = 60
ALPHA = 0.2
FLOOR = 30.0  # requests per minute: below this the baseline is taken as this
MARGIN = 5.0
END_AFTER = 3  # quiet windows that end an attack
MAX_CATCH_UP = 60  # windows replayed at most when the job fell behind (the rest count as quiet)


@dataclass(frozen=True, slots=True)
class DetectorState:
    baseline: float = 0.0  # learned requests per window (EWMA), before the floor
    learned: int = 0  # windows folded into the baseline
    attacking: bool = False
    quiet: int = 0  # consecutive windows under the threshold during an attack

    @property
    def threshold(self) -> float:
        return MARGIN * max(self.baseline, FLOOR)


@dataclass(frozen=True, slots=True)
class Step:
    state: DetectorState
    started: bool = False
    ended: bool = False


def step(state: DetectorState, count: int) -> Step:
    """Fold one closed window's request count into the state; whether an attack started or ended with it."""
    over = count > state.threshold
    if state.attacking:
        if over:
            return Step(replace(state, quiet=0))
        quiet = state.quiet + 1
        if quiet >= END_AFTER:
            return Step(replace(state, attacking=False, quiet=0), ended=True)
        return Step(replace(state, quiet=quiet))
    if over:  # before anything is learned the floor alone judges
        return Step(replace(state, attacking=True, quiet=0), started=True)
    baseline = float(count) if state.learned == 0 else (1 - ALPHA) * state.baseline + ALPHA * count
    return Step(replace(state, baseline=baseline, learned=state.learned + 1))
