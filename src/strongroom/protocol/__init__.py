"""Generic AWS wire protocols, driven by botocore's service models."""
