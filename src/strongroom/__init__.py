"""Strongroom: AWS security and encryption services, self-hosted."""

__version__ = "0.1.0"
