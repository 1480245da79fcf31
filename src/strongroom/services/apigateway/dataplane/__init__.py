"""API Gateway's REST data plane, as pure building blocks: mapping templates, resource matching, throttling,
gateway responses, the request chain, Lambda/HTTP proxy conversions and access log lines.

Nothing here touches storage or the network; see docs/apigateway-dataplane.md.
"""
