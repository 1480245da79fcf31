// The signed-in session: temporary credentials only, in sessionStorage (this tab; gone when it closes).
// The long-term access key pair is used for one call, STS GetSessionToken, and never stored.
//
// Sign-in methods: only "access key" today. Password + MFA sign-in arrives with IAM login profiles: it will be
// another function here that obtains the same {accessKeyId, secretAccessKey, sessionToken, expiration} from
// the server and hands it to `begin()`; nothing else in the console changes.
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
