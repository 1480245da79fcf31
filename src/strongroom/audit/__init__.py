"""CloudTrail: one event record per request, trails with a signed digest chain, and their validation."""
