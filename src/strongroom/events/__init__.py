"""The event bus and the scheduler (time-driven jobs that run once across nodes)."""
