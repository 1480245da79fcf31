"""Console passwords: login profiles, ChangePassword, and the account password policy that both obey.

A login profile is an ``iam_objects`` row (kind ``login``, key the user's name_key) holding the scrypt hash of the
password (``iam/passwords.py``), the hashes of earlier ones for reuse prevention, and when it was last set.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from strongroom.core.errors import AwsError
from strongroom.iam import objects, passwords
from strongroom.services.iam.base import IamBase
from strongroom.services.iam.errors import (
    EntityAlreadyExists,
    InvalidUserType,
    NoSuchEntity,
    PasswordPolicyViolation,
    ValidationError,
)

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from strongroom.services.base.runtime import RequestContext

POLICY_KEY = "password-policy"


def _policy(conn: Connection, account_id: str) -> passwords.Policy:
    found = objects.get(conn, account_id, "account", POLICY_KEY)
    return passwords.Policy.from_data(found.data if found else None)


def check_new_password(
    conn: Connection, account_id: str, user_name: str, password: str, history: list[dict[str, str]]
) -> passwords.Policy:
    """The account's policy when ``password`` conforms to it (PasswordPolicyViolation otherwise); shared with the
    console's sign-in, whose required password change obeys the same rules as ChangePassword."""
    policy = _policy(conn, account_id)
    problems = policy.violations(password, user_name)
    if policy.reuse_prevention and any(passwords.matches(password, h) for h in history[-policy.reuse_prevention :]):
        problems.append(f"Password cannot be one of the last {policy.reuse_prevention} passwords used")
    if problems:
        raise PasswordPolicyViolation(
            "Password does not conform to the account password policy. " + "; ".join(problems) + "."
        )
    return policy


def with_new_password(data: dict[str, Any], password: str, now: datetime) -> dict[str, Any]:
    """The login profile's document with ``password`` set (its hash appended to the reuse history)."""
    hashed = passwords.hash_password(password)
    history = [*data.get("history", []), hashed][-24:]
    return {**data, "password": hashed, "history": history, "changed_at": now.isoformat()}


class LoginOperations(IamBase):
    def _user_name(self, ctx: RequestContext, request: dict[str, Any]) -> str:
        name = request.get("UserName") or ctx.principal.user_name
        if not name:
            raise ValidationError("Must specify userName when calling with non-User credentials")
        return str(name)

    def _check_password(
        self, conn: Connection, ctx: RequestContext, user_name: str, password: str, history: list[dict[str, str]]
    ) -> passwords.Policy:
        return check_new_password(conn, ctx.account_id, user_name, password, history)

    def _set_password(
        self, conn: Connection, ctx: RequestContext, user_key: str, data: dict[str, Any], password: str
    ) -> dict[str, Any]:
        return with_new_password(data, password, ctx.now())

    def create_login_profile(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self._user_name(ctx, request)
        password = request.get("Password")
        if not password:
            raise ValidationError("Password is required to create a login profile for an IAM user.")
        with self.runtime.store.write() as conn:
            user = self.require_user(conn, ctx, name)
            key = user.name.lower()
            if objects.get(conn, ctx.account_id, "login", key) is not None:
                raise EntityAlreadyExists(f"Login Profile for user {user.name} already exists.")
            self._check_password(conn, ctx, user.name, password, [])
            data = self._set_password(conn, ctx, key, {}, password)
            data["reset_required"] = bool(request.get("PasswordResetRequired", False))
            objects.put(conn, ctx.account_id, "login", key, data)
            created = objects.get(conn, ctx.account_id, "login", key)
        assert created is not None
        return {"LoginProfile": self._login_shape(user.name, created)}

    @staticmethod
    def _login_shape(user_name: str, found: objects.Obj) -> dict[str, Any]:
        return {
            "UserName": user_name,
            "CreateDate": found.created_at,
            "PasswordResetRequired": bool(found.data.get("reset_required", False)),
        }

    def _login(self, conn: Connection, ctx: RequestContext, user_name: str) -> tuple[str, objects.Obj]:
        user = self.require_user(conn, ctx, user_name)
        found = objects.get(conn, ctx.account_id, "login", user.name.lower())
        if found is None:
            raise NoSuchEntity(f"Login Profile for User {user.name} cannot be found.")
        return user.name, found

    def get_login_profile(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            name, found = self._login(conn, ctx, self._user_name(ctx, request))
        return {"LoginProfile": self._login_shape(name, found)}

    def update_login_profile(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            name, found = self._login(conn, ctx, request["UserName"])
            data = dict(found.data)
            if request.get("Password"):
                self._check_password(conn, ctx, name, request["Password"], data.get("history", []))
                data = self._set_password(conn, ctx, name.lower(), data, request["Password"])
            if "PasswordResetRequired" in request:
                data["reset_required"] = bool(request["PasswordResetRequired"])
            objects.put(conn, ctx.account_id, "login", name.lower(), data)
        return {}

    def delete_login_profile(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            name, _found = self._login(conn, ctx, self._user_name(ctx, request))
            objects.remove(conn, ctx.account_id, "login", name.lower())
        return {}

    def change_password(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        p = ctx.principal
        if p.type != "IAMUser" or not p.user_name:
            raise InvalidUserType("Only IAM Users can change their own password.")
        with self.runtime.store.write() as conn:
            name, found = self._login(conn, ctx, p.user_name)
            data = dict(found.data)
            if not passwords.matches(request["OldPassword"], data["password"]):
                # AWS words a wrong current password as a denial of iam:ChangePassword
                raise AwsError(
                    "Either user is not authorized to perform iam:ChangePassword or entered password does not "
                    "comply with account password policy set by administrator",
                    code="AccessDenied",
                    status=403,
                )
            self._check_password(conn, ctx, name, request["NewPassword"], data.get("history", []))
            data = self._set_password(conn, ctx, name.lower(), data, request["NewPassword"])
            data["reset_required"] = False
            objects.put(conn, ctx.account_id, "login", name.lower(), data)
        return {}

    # --- the account password policy -------------------------------------------------------------------------

    def get_account_password_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            found = objects.get(conn, ctx.account_id, "account", POLICY_KEY)
        if found is None:
            raise NoSuchEntity(f"The Password Policy with domain name {ctx.account_id} cannot be found.")
        return {"PasswordPolicy": passwords.Policy.from_data(found.data).shape()}

    def update_account_password_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        policy = passwords.Policy.from_request(request)
        with self.runtime.store.write() as conn:
            objects.put(conn, ctx.account_id, "account", POLICY_KEY, policy.to_data())
        return {}

    def delete_account_password_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            if not objects.remove(conn, ctx.account_id, "account", POLICY_KEY):
                raise NoSuchEntity("The account policy with name PasswordPolicy cannot be found.")
        return {}
