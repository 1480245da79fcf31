"""Tiny, dependency-free building blocks: errors, clock, ids, ARNs, config."""
