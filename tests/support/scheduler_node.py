"""A scheduler node in its own process, for the multi-node test: ``python -m tests.support.scheduler_node URL NODE``.

It registers kind ``probe`` whose handler records (job id, node) in table ``sched_probe`` (the test creates
it), starts the background loop, prints ``ready`` and runs until its stdin closes.
"""

from __future__ import annotations

import sys
import time

from sqlalchemy import text

from strongroom.scheduler.jobs import JobContext, Scheduler
from strongroom.store.engine import Store

PROBE_KIND = "probe"
PROBE_TABLE_DDL = "CREATE TABLE sched_probe (job_id VARCHAR(200) NOT NULL, node_id VARCHAR(64) NOT NULL)"


def main(url: str, node_id: str) -> None:
    store = Store(url)
    scheduler = Scheduler(store, node_id, interval=0.05)

    def probe(ctx: JobContext) -> None:
        with ctx.store.write() as conn:
            conn.execute(
                text("INSERT INTO sched_probe (job_id, node_id) VALUES (:job, :node)"),
                {"job": ctx.job_id, "node": ctx.node_id},
            )
        time.sleep(0.02)  # long enough that the other node wins some of the jobs

    scheduler.register(PROBE_KIND, probe)
    scheduler.start()
    print("ready", flush=True)
    sys.stdin.read()  # the parent closes our stdin to stop us
    scheduler.stop()
    store.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
