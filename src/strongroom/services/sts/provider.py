"""AWS Security Token Service: the index of every operation Strongroom serves, grouped by family file.

Temporary credentials are rows of ``iam_sessions``: an ``ASIA...`` key id, a sealed secret and the SHA-256 of
the session token. The request pipeline authenticates them through ``AccountDirectory.lookup``.
"""

from __future__ import annotations

from strongroom.services.sts.federation import FederationOperations
from strongroom.services.sts.sessions import SessionOperations, issue_service_role_session
from strongroom.services.sts.tokens import TokenOperations

__all__ = ["Provider", "issue_service_role_session"]


class Provider(FederationOperations, TokenOperations, SessionOperations):
    """Every STS operation; see docs/iam.md for what differs from AWS."""

    # sessions.py
    assume_role = SessionOperations.assume_role
    get_access_key_info = SessionOperations.get_access_key_info
    get_caller_identity = SessionOperations.get_caller_identity
    get_session_token = SessionOperations.get_session_token

    # federation.py
    assume_role_with_saml = FederationOperations.assume_role_with_saml
    assume_role_with_web_identity = FederationOperations.assume_role_with_web_identity

    # tokens.py
    assume_root = TokenOperations.assume_root
    decode_authorization_message = TokenOperations.decode_authorization_message
    get_delegated_access_token = TokenOperations.get_delegated_access_token
    get_federation_token = TokenOperations.get_federation_token
    get_scoped_credentials = TokenOperations.get_scoped_credentials
    get_web_identity_token = TokenOperations.get_web_identity_token
