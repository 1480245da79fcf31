"""`strongroom waf proxy` and the boto3-backed web ACL source for the ASGI middleware (strongroom.waf.asgi)."""
