"""Amazon API Gateway."""
