// The signed-in session: temporary credentials only, in sessionStorage (this tab; gone when it closes).
//
// Two ways in, both ending in `begin()` with {accessKeyId, secretAccessKey, sessionToken, expiration}:
// - an IAM user's console password (+ MFA code): POST /_strongroom/console/sign-in answers the session's
//   temporary credentials in its JSON body (no cookie); the password and code are never stored;
// - an access key pair: used for one call, STS GetSessionToken, and never stored.
import { query, consoleEndpoint } from "./api.js";

const KEY = "strongroom.console.session";
const REGION_KEY = "strongroom.console.region";
const DURATION_SECONDS = 3600; // short-lived: an hour, then sign in again
let onEnded = () => {};

export function currentSession() {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return null;
  const session = JSON.parse(raw);
  if (Date.parse(session.expiration) <= Date.now()) {
    sessionStorage.removeItem(KEY);
    return null;
  }
  return session;
}

export function currentCredentials() {
  const s = currentSession();
  return s && { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey, sessionToken: s.sessionToken };
}

export function currentRegion() {
  return sessionStorage.getItem(REGION_KEY) || "us-east-1";
}

export function setRegion(region) {
  sessionStorage.setItem(REGION_KEY, region);
}

export function whenEnded(callback) {
  onEnded = callback;
}

/** The server refused the session's credentials: forget them and go back to sign-in. */
export function sessionEnded(error) {
  sessionStorage.removeItem(KEY);
  onEnded(error);
}

function text(doc, name) {
  return doc.getElementsByTagName(name)[0]?.textContent || "";
}

/** GetSessionToken with the key pair: a session of the user (or root) with the user's own permissions. */
export async function signInWithAccessKey(accessKeyId, secretAccessKey, region) {
  setRegion(region);
  const longTerm = { accessKeyId, secretAccessKey };
  const doc = await query("sts", "GetSessionToken", { DurationSeconds: String(DURATION_SECONDS) }, longTerm);
  const session = {
    accessKeyId: text(doc, "AccessKeyId"),
    secretAccessKey: text(doc, "SecretAccessKey"),
    sessionToken: text(doc, "SessionToken"),
    expiration: text(doc, "Expiration"),
  };
  return begin(session);
}

/** Why the server wants another step, or refused: `code` is MFARequired, PasswordResetRequired or an error's. */
export class SignInStep extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/**
 * Password sign-in: `fields` is {account, userName, password, mfaCode?, newPassword?}. Throws SignInStep when
 * the server asks for the MFA code or a new password (the form then shows that field and submits again).
 */
export async function signInWithPassword(fields, region) {
  setRegion(region);
  const response = await fetch("/_strongroom/console/sign-in", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(fields),
    credentials: "omit",
    cache: "no-store",
  });
  let body = {};
  try {
    body = await response.json();
  } catch {
    // not JSON: the status says enough
  }
  if (!response.ok) throw new SignInStep(body.code || `HTTP ${response.status}`, body.message || response.statusText);
  const c = body.Credentials;
  return begin({
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    expiration: c.Expiration,
  });
}

async function begin(session) {
  const who = await query("sts", "GetCallerIdentity", {}, session);
  session.arn = text(who, "Arn");
  session.account = text(who, "Account");
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

/** Revoke the session on the server (its credentials are refused from then on) and forget it here. */
export async function signOut() {
  const creds = currentCredentials();
  sessionStorage.removeItem(KEY);
  if (creds) {
    try {
      await consoleEndpoint("sign-out", creds);
    } catch {
      // already forgotten here; the credentials expire on their own within the hour
    }
  }
}
