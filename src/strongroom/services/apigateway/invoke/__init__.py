"""The REST API data plane assembled: the chain's stages over the control plane's tables (see docs/apigateway.md)."""
