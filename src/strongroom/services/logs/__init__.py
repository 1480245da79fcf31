"""Amazon CloudWatch Logs: the subset API Gateway, Lambda and WAF write to."""
