"""Two server processes on one PostgreSQL serve one consistent state."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.postgres import fresh_database
from tests.support.server import ServerProcess


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


@pytest.fixture
def two_nodes(make_server: Any, postgres_url: str) -> tuple[ServerProcess, ServerProcess]:
    url = fresh_database(postgres_url)
    node_a = make_server("--test-mode", database_url=url)
    # the second node is another machine with a copy of the same root key and credentials
    node_b = make_server("--test-mode", database_url=url, init=False)
    shutil.copytree(node_a.data_dir, node_b.data_dir)
    node_b.access_key, node_b.secret_key = node_a.access_key, node_a.secret_key
    node_a.start()
    node_b.start()
    return node_a, node_b


def test_a_write_on_one_node_is_read_on_the_other(two_nodes: tuple[ServerProcess, ServerProcess]) -> None:
    node_a, node_b = two_nodes
    key = node_a.client("kms").create_key(Description="made on A")["KeyMetadata"]
    seen = node_b.client("kms").describe_key(KeyId=key["Arn"])["KeyMetadata"]
    assert seen["Description"] == "made on A" and seen["KeyId"] == key["KeyId"]
    listed = [k["KeyId"] for k in node_b.client("kms").list_keys()["Keys"]]
    assert key["KeyId"] in listed


def test_the_clock_advanced_on_one_node_moves_every_node(two_nodes: tuple[ServerProcess, ServerProcess]) -> None:
    node_a, node_b = two_nodes
    node_a.advance(86_400)

    def b_moved() -> bool:
        return float(node_b.admin("GET", "clock")[1]["offset"]) >= 86_400

    eventually(b_moved)
