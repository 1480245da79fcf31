"""Amazon S3 Control: the index of every operation Strongroom serves (the account's Block Public Access).

Every other S3 Control operation (access points, batch jobs, Storage Lens, ...) answers NotImplemented. Clients put
the account id in the host (``123456789012.s3-control...``); with an IP endpoint create the client with
``Config(inject_host_prefix=False)`` (docs/s3.md).
"""

from __future__ import annotations

from strongroom.services.s3control.account import AccountOperations


class Provider(AccountOperations):
    """Amazon S3 Control."""

    # account.py
    put_public_access_block = AccountOperations.put_public_access_block
    get_public_access_block = AccountOperations.get_public_access_block
    delete_public_access_block = AccountOperations.delete_public_access_block
