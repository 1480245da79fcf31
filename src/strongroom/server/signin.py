"""Console sign-in with an IAM user's password (and TOTP code): ``POST /_strongroom/console/sign-in``.

The browser posts JSON ``{"account", "userName", "password", "mfaCode"?, "newPassword"?}`` and gets back only
temporary credentials — the session GetSessionToken would give the user (its own permissions; with an MFA code,
``aws:MultiFactorAuthPresent``/``Age`` set) — in the JSON body: no cookie, so nothing rides along on a cross-site
request. The steps follow AWS's console: the password first; then, for a user with an MFA device, the code
(``MFARequired`` asks for it); then, when the login profile says PasswordResetRequired or the password expired
under the account policy, a new password (``PasswordResetRequired`` asks for it; it obeys the account password
policy as ChangePassword does). The code is checked on the last step only, so a user who must change the password
does not burn a code on the way (codes are single use, ``iam/mfa.py``).

Failures: an unknown account, an unknown user, a user without a login profile and a wrong password all answer the
same message after the same work (a scrypt hash is computed either way; comparisons are constant-time), as AWS's
console does. Failed attempts are throttled per user and per source address (``Throttle``, in-process). Every
decided attempt is a ``ConsoleLogin`` record (eventType AwsConsoleSignIn) in the account's audit trail, durable
before the session is handed out.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import select

from strongroom.audit.records import console_login_record
from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.iam import directory, mfa, objects, passwords
from strongroom.iam.model import objects as objects_table
from strongroom.protocol.http import HttpRequest
from strongroom.services.iam.logins import POLICY_KEY, check_new_password, with_new_password
from strongroom.services.sts.sessions import issue_console_session

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from strongroom.server.runtime import Runtime

log = logging.getLogger("strongroom.console")

DURATION_SECONDS = 3600  # as the access-key sign-in: an hour, then sign in again
MAX_BODY = 8192
MAX_PASSWORD = 128  # AWS's longest console password
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"  # what AWS records for a user name that does not exist
FAILED = "Your authentication information is incorrect. Please try again."
_ACCOUNT_ID = re.compile(r"^\d{12}$")
# Compared against when there is no user or login profile, so an unknown name costs the same scrypt as a known one.
_DUMMY = passwords.hash_password("strongroom-console-no-such-user")


class SignInError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class Throttle:
    """Failed attempts in a sliding window, per key (``user:<account>/<name>`` and ``ip:<address>``).

    A key with ``limit`` failures inside ``window`` seconds is refused until the oldest ages out; a success clears
    the user's key (not the address's). In-process: with ``--workers N`` each worker counts its own.
    """

    def __init__(self, user_limit: int = 5, ip_limit: int = 100, window: float = 300.0) -> None:
        self.user_limit, self.ip_limit, self.window = user_limit, ip_limit, window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def blocked(self, user_key: str, ip: str, now: float) -> bool:
        with self._lock:
            blocked = (
                len(self._recent("user:" + user_key, now)) >= self.user_limit
                or len(self._recent("ip:" + ip, now)) >= self.ip_limit
            )
            self._prune(now)
            return blocked

    def failed(self, user_key: str, ip: str, now: float) -> None:
        with self._lock:
            self._recent("user:" + user_key, now).append(now)
            self._recent("ip:" + ip, now).append(now)

    def succeeded(self, user_key: str) -> None:
        with self._lock:
            self._failures.pop("user:" + user_key, None)

    def _prune(self, now: float) -> None:
        if len(self._failures) > 10_000:  # bounded memory under a spray of names
            for key in [k for k, v in self._failures.items() if not v or v[-1] <= now - self.window]:
                del self._failures[key]


THROTTLE = Throttle()


@dataclass(frozen=True, slots=True)
class Attempt:
    account: str
    user_name: str
    password: str
    mfa_code: str | None
    new_password: str | None

    @staticmethod
    def parse(body: bytes) -> Attempt:
        if len(body) > MAX_BODY:
            raise SignInError(400, "ValidationError", "The request is too large.")
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise SignInError(400, "ValidationError", "The request body must be a JSON object.") from None
        if not isinstance(data, dict):
            raise SignInError(400, "ValidationError", "The request body must be a JSON object.")

        def text(name: str, required: bool, limit: int) -> str | None:
            value = data.get(name)
            if value is None or value == "":
                if required:
                    raise SignInError(400, "ValidationError", f"{name} is required.")
                return None
            if not isinstance(value, str) or len(value) > limit:
                raise SignInError(400, "ValidationError", f"{name} must be a string of at most {limit} characters.")
            return value

        return Attempt(
            account=(text("account", True, 63) or "").strip().lower(),
            user_name=(text("userName", True, 64) or "").strip(),
            password=text("password", True, MAX_PASSWORD) or "",
            mfa_code=(text("mfaCode", False, 16) or "").strip() or None,
            new_password=text("newPassword", False, MAX_PASSWORD),
        )


def handle_sign_in(runtime: Runtime, request: HttpRequest, throttle: Throttle = THROTTLE) -> tuple[int, dict[str, Any]]:
    """The status and JSON body of the answer (``console.py`` adds the headers)."""
    if not request.headers.get("content-type", "").startswith("application/json"):
        # a cross-site form cannot send application/json without a CORS preflight, which this origin never grants
        return 415, {"code": "ValidationError", "message": "The request must be application/json."}
    try:
        attempt = Attempt.parse(request.body)
        return _sign_in(runtime, request, attempt, throttle)
    except SignInError as exc:
        return exc.status, {"code": exc.code, "message": exc.message}


def _account_of(conn: Connection, runtime: Runtime, account: str) -> str | None:
    """The account id named by its id or its alias."""
    if _ACCOUNT_ID.match(account):
        return account if runtime.accounts.account_exists(account) else None
    row = conn.execute(
        select(objects_table.c.account_id).where(objects_table.c.kind == "alias", objects_table.c.key == account)
    ).first()
    return None if row is None else str(row[0])


def _expired(conn: Connection, account_id: str, login: objects.Obj, now: datetime) -> tuple[bool, bool]:
    """(expired, hard expiry) of the login profile's password under the account policy's MaxPasswordAge."""
    policy_row = objects.get(conn, account_id, "account", POLICY_KEY)
    policy = passwords.Policy.from_data(policy_row.data if policy_row else None)
    changed = login.data.get("changed_at")
    if not policy.max_age or not changed:
        return False, False
    expired = datetime.fromisoformat(changed) + timedelta(days=policy.max_age) <= now
    return expired, expired and policy.hard_expiry


def _sign_in(
    runtime: Runtime, request: HttpRequest, attempt: Attempt, throttle: Throttle
) -> tuple[int, dict[str, Any]]:
    now = clock.time()
    ip = request.client_ip
    with runtime.store.read() as conn:
        account_id = _account_of(conn, runtime, attempt.account)
        user = directory.get_user(conn, account_id, attempt.user_name) if account_id else None
        login = objects.get(conn, account_id, "login", user.name.lower()) if account_id and user else None
        devices = (
            [
                o.key
                for o in objects.all_of(conn, account_id, "mfa")
                if user and o.data.get("user_key") == user.name.lower() and o.data.get("enabled_at")
            ]
            if account_id
            else []
        )
        expired, hard = _expired(conn, account_id, login, clock.now()) if account_id and login else (False, False)
    # counted by the account's id, so typing its alias or its id does not give two allowances
    throttle_key = f"{account_id or attempt.account}/{attempt.user_name.lower()}"
    if throttle.blocked(throttle_key, ip, now):
        raise SignInError(429, "TooManyAttempts", "Too many failed sign-in attempts. Wait a few minutes and try again.")
    # the same scrypt and the same answer whether or not the user and its login profile exist
    right = passwords.matches(attempt.password, login.data["password"] if login else _DUMMY)
    if not (account_id and user and login and right):
        throttle.failed(throttle_key, ip, now)
        if account_id:
            identity = _identity(user) if user else _hidden(account_id)
            _record(runtime, request, account_id, identity, success=False, mfa_used=False)
        raise SignInError(401, "AuthenticationFailed", FAILED)
    assert account_id is not None and user is not None and login is not None
    if hard:
        raise SignInError(403, "PasswordExpired", "Your password has expired. Contact your administrator to reset it.")
    must_change = bool(login.data.get("reset_required")) or expired
    if devices and attempt.mfa_code is None:
        raise SignInError(401, "MFARequired", "Enter the code from your MFA device.")
    if must_change and attempt.new_password is None:
        raise SignInError(401, "PasswordResetRequired", "You must change your password to continue.")
    mfa_at, serial = None, None
    if devices:
        assert attempt.mfa_code is not None
        mfa_at, serial = _check_mfa(runtime, account_id, user.name, devices, attempt.mfa_code)
        if mfa_at is None:
            throttle.failed(throttle_key, ip, now)
            _record(runtime, request, account_id, _identity(user), success=False, mfa_used=True, serial=devices[0])
            raise SignInError(401, "AuthenticationFailed", FAILED)
    if must_change:
        assert attempt.new_password is not None
        _change_password(runtime, account_id, user.name, attempt.password, attempt.new_password)
    throttle.succeeded(throttle_key)
    _record(runtime, request, account_id, _identity(user), success=True, mfa_used=serial is not None, serial=serial)
    creds = issue_console_session(runtime, account_id, user.name, user.user_id, DURATION_SECONDS, mfa_at)
    log.info("console sign-in", extra={"account_id": account_id, "user": user.name, "mfa": serial is not None})
    expiration = creds["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ")
    return 200, {"Credentials": {**creds, "Expiration": expiration}, "MFAUsed": serial is not None}


def _check_mfa(
    runtime: Runtime, account_id: str, user_name: str, devices: list[str], code: str
) -> tuple[datetime | None, str | None]:
    """The time the code was accepted and the device it belongs to (a user may have several), else (None, None)."""
    for serial in devices:
        try:
            return mfa.check_code(runtime.store, runtime.seal, account_id, serial, code, user_name), serial
        except mfa.MfaFailure:
            continue
    return None, None


def _change_password(runtime: Runtime, account_id: str, user_name: str, old: str, new: str) -> None:
    """The required change: the account password policy decides, as for ChangePassword (same error)."""
    if new == old:
        raise SignInError(400, "PasswordPolicyViolation", "The new password must be different from the current one.")
    with runtime.store.write() as conn:
        login = objects.get(conn, account_id, "login", user_name.lower())
        if login is None:  # deleted meanwhile
            raise SignInError(401, "AuthenticationFailed", FAILED)
        try:
            check_new_password(conn, account_id, user_name, new, login.data.get("history", []))
        except AwsError as exc:
            raise SignInError(400, exc.code, exc.message) from None
        data = with_new_password(dict(login.data), new, clock.now())
        data["reset_required"] = False
        objects.put(conn, account_id, "login", user_name.lower(), data)


def _identity(user: directory.UserRecord) -> dict[str, Any]:
    return {
        "type": "IAMUser",
        "principalId": user.user_id,
        "arn": user.arn,
        "accountId": user.account_id,
        "userName": user.name,
    }


def _hidden(account_id: str) -> dict[str, Any]:
    return {"type": "IAMUser", "accountId": account_id, "accessKeyId": "", "userName": HIDDEN}


def _record(
    runtime: Runtime,
    request: HttpRequest,
    account_id: str,
    identity: dict[str, Any],
    *,
    success: bool,
    mfa_used: bool,
    serial: str | None = None,
) -> None:
    host = request.headers.get("host", "localhost")
    record = console_login_record(
        identity,
        account_id,
        success=success,
        mfa_used=mfa_used,
        source_ip=request.client_ip,
        user_agent=request.headers.get("user-agent", "")[:256],
        login_to=f"{request.scheme}://{host}/console/",
        at=clock.now(),
        mfa_serial=serial,
    )
    runtime.audit.record_sign_in(record)
