"""Macie's sensitive-data engine (see contract.py): managed and custom data identifiers over an object's bytes,
with AWS's occurrence locations. Pure: imports only ``strongroom.core``."""

from strongroom.sensitive.classifier import build_classifier, managed_identifiers

__all__ = ["build_classifier", "managed_identifiers"]
