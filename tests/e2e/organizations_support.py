"""Helpers for the Organizations end-to-end tests: a fresh account per organization, clients as any account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.e2e.access_support import second_account
from tests.support.server import ServerProcess


@dataclass
class Account:
    account_id: str
    creds: dict[str, Any]
    server: ServerProcess

    def client(self, service: str, region: str = "us-east-1") -> Any:
        return self.server.client(
            service,
            region=region,
            aws_access_key_id=self.creds["AccessKeyId"],
            aws_secret_access_key=self.creds["SecretAccessKey"],
            aws_session_token=self.creds.get("SessionToken"),
        )


def new_account(server: ServerProcess) -> Account:
    """A Strongroom account of its own (one account belongs to one organization: each test makes its own)."""
    account_id, creds = second_account(server)
    return Account(account_id, creds, server)


def new_org(server: ServerProcess) -> tuple[Account, Any, dict[str, Any]]:
    """A management account, its organizations client and its organization."""
    mgmt = new_account(server)
    orgs = mgmt.client("organizations")
    org = orgs.create_organization(FeatureSet="ALL")["Organization"]
    return mgmt, orgs, org


def created_account(orgs: Any, name: str) -> str:
    """CreateAccount, then the new account's id from its request's status."""
    status = orgs.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
    assert status["State"] == "IN_PROGRESS"
    done = orgs.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"]
    assert done["State"] == "SUCCEEDED", done
    return str(done["AccountId"])
