"""Principals, access keys, STS sessions, SigV4, and (later) the policy language and its evaluator."""
