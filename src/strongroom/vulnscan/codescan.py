"""Code scanning of Python and JavaScript: hard-coded credentials, injection, weak crypto (work in progress)."""

from __future__ import annotations

from collections.abc import Mapping

from strongroom.vulnscan.model import CodeMatch


def scan_code(files: Mapping[str, bytes]) -> list[CodeMatch]:
    return []
