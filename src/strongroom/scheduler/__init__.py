"""The general job runner: time-driven work (deletions, rotations, expiries, schedules) run once across nodes.

``jobs.py`` runs jobs (leases, retries, the test clock); ``model.py`` is its table.
"""
