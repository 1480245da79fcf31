// The public AWS APIs, called on the console's own origin with the session's temporary credentials.
import { signRequest, uriEncode } from "./sigv4.js";
import { currentCredentials, currentRegion, sessionEnded } from "./session.js";

// Each JSON-protocol service's X-Amz-Target prefix and signing name (botocore's models).
const JSON_SERVICES = {
  kms: ["TrentService", "kms"],
  secretsmanager: ["secretsmanager", "secretsmanager"],
  ssm: ["AmazonSSM", "ssm"],
  acm: ["CertificateManager", "acm"],
  "acm-pca": ["ACMPrivateCA", "acm-pca"],
  cloudtrail: ["com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101", "cloudtrail"],
  events: ["AWSEvents", "events"],
  wafv2: ["AWSWAF_20190729", "wafv2"],
  // Shield's newest model speaks CBOR first; the server answers its JSON 1.1 protocol too, which the console sends.
  shield: ["AWSShield_20160616", "shield"],
};
const QUERY_VERSIONS = { sts: "2011-06-15", iam: "2010-05-08" };
// Errors that mean the session itself is gone (signed out elsewhere, expired, user deleted).
const SESSION_GONE = new Set(["ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException"]);

export class AwsError extends Error {
  constructor(code, message, status) {
    super(message || code);
    this.code = code || "Error";
    this.status = status;
  }
}

function errorCode(raw) {
  return (raw || "").split("#").pop().split(":")[0];
}

/** A JSON-protocol call; `credentials` defaults to the signed-in session's. */
export async function call(service, operation, params = {}, credentials = null) {
  const [prefix, signingName] = JSON_SERVICES[service];
  const creds = credentials || currentCredentials();
  if (!creds) throw new AwsError("NotSignedIn", "Sign in first.", 0);
  const body = JSON.stringify(params);
  const request = {
    method: "POST",
    url: "/",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `${prefix}.${operation}` },
    body,
  };
  const headers = await signRequest(request, creds, currentRegion(), signingName);
  const response = await fetch("/", { method: "POST", headers, body, credentials: "omit", cache: "no-store" });
  const text = await response.text();
  let data = {};
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { message: text };
    }
  }
  if (!response.ok) {
    const code = errorCode(data.__type || response.headers.get("x-amzn-errortype"));
    const error = new AwsError(code, data.message || data.Message || response.statusText, response.status);
    if (!credentials && SESSION_GONE.has(code)) sessionEnded(error);
    throw error;
  }
  return data;
}

/**
 * A REST-JSON call (GuardDuty, Macie, Inspector): `path` is the operation's requestUri with its labels filled in
 * (callers encode them), `params` the JSON body (omitted for GET and DELETE), `query` an object for the query string.
 */
export async function rest(service, method, path, params = null, query = null) {
  const creds = currentCredentials();
  if (!creds) throw new AwsError("NotSignedIn", "Sign in first.", 0);
  const url = path + (query ? `?${qs(query)}` : "");
  const body = params === null ? "" : JSON.stringify(params);
  const headers = params === null ? {} : { "content-type": "application/json" };
  const signed = await signRequest({ method, url, headers, body }, creds, currentRegion(), service);
  const init = { method, headers: signed, credentials: "omit", cache: "no-store" };
  if (params !== null) init.body = body;
  const response = await fetch(url, init);
  const text = await response.text();
  let data = {};
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { message: text };
    }
  }
  if (!response.ok) {
    const code = errorCode(response.headers.get("x-amzn-errortype") || data.__type || data.code);
    const error = new AwsError(code, data.message || data.Message || response.statusText, response.status);
    if (SESSION_GONE.has(code)) sessionEnded(error);
    throw error;
  }
  return data;
}

/** A query-protocol call (STS, IAM): the parsed XML response document. */
export async function query(service, action, params = {}, credentials = null) {
  const creds = credentials || currentCredentials();
  const form = new URLSearchParams({ Action: action, Version: QUERY_VERSIONS[service], ...params });
  const body = form.toString();
  const request = {
    method: "POST",
    url: "/",
    headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
    body,
  };
  // IAM is global: its requests are signed for us-east-1 whatever region the console shows.
  const region = service === "iam" ? "us-east-1" : currentRegion();
  const headers = await signRequest(request, creds, region, service);
  const response = await fetch("/", { method: "POST", headers, body, credentials: "omit", cache: "no-store" });
  const doc = new DOMParser().parseFromString(await response.text(), "application/xml");
  if (!response.ok) {
    const code = doc.querySelector("Error > Code")?.textContent || String(response.status);
    const error = new AwsError(code, doc.querySelector("Error > Message")?.textContent, response.status);
    if (!credentials && SESSION_GONE.has(code)) sessionEnded(error);
    throw error;
  }
  return doc;
}

/** POST to one of the console's own server endpoints (/_strongroom/console/...), signed by the session. */
export async function consoleEndpoint(path, credentials) {
  const url = `/_strongroom/console/${path}`;
  const headers = await signRequest({ method: "POST", url, headers: {}, body: "" }, credentials, currentRegion(), "sts");
  const response = await fetch(url, { method: "POST", headers, credentials: "omit", cache: "no-store" });
  return response.ok;
}

/**
 * A JSON request to one of the console's server endpoints that answers data (events-deliveries), signed by the
 * session for `signingName` in the console's Region; its JSON error raised as AwsError like the API's.
 */
export async function consoleJson(path, signingName, params) {
  const creds = currentCredentials();
  if (!creds) throw new AwsError("NotSignedIn", "Sign in first.", 0);
  const url = `/_strongroom/console/${path}`;
  const body = JSON.stringify(params);
  const request = { method: "POST", url, headers: { "content-type": "application/json" }, body };
  const headers = await signRequest(request, creds, currentRegion(), signingName);
  const response = await fetch(url, { method: "POST", headers, body, credentials: "omit", cache: "no-store" });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new AwsError(errorCode(data.__type), data.message || response.statusText, response.status);
    if (SESSION_GONE.has(error.code)) sessionEnded(error);
    throw error;
  }
  return data;
}

export function toBase64(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function fromBase64(b64) {
  const binary = atob(b64);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder("utf-8", { fatal: false }).decode(bytes);
}

/** The `member` items of a query-protocol list element, each as {ChildName: text}. */
export function members(doc, listName) {
  const list = doc.getElementsByTagName(listName)[0];
  if (!list) return [];
  return Array.from(list.children)
    .filter((m) => m.tagName === "member")
    .map((m) => Object.fromEntries(Array.from(m.children, (c) => [c.tagName, c.children.length ? c : c.textContent])));
}

export function xmlText(doc, name) {
  return doc.getElementsByTagName(name)[0]?.textContent || "";
}

/** An S3 request (path-style, on this origin): the fetch Response; S3's XML error raised as AwsError. */
export async function s3(method, bucket, key = "", { query = "", body = null, headers = {} } = {}) {
  const path = "/" + [bucket, ...(key ? key.split("/") : [])].map(uriEncode).join("/");
  const url = path + (query ? `?${query}` : "");
  const bytes = body === null ? "" : body;
  const signed = await signRequest({ method, url, headers, body: bytes }, currentCredentials(), currentRegion(), "s3");
  const init = { method, headers: signed, credentials: "omit", cache: "no-store" };
  if (body !== null) init.body = body;
  const response = await fetch(url, init);
  if (!response.ok) {
    const doc = new DOMParser().parseFromString(await response.text(), "application/xml");
    const code = doc.querySelector("Error > Code")?.textContent || String(response.status);
    const error = new AwsError(code, doc.querySelector("Error > Message")?.textContent || response.statusText, response.status);
    if (SESSION_GONE.has(code)) sessionEnded(error);
    throw error;
  }
  return response;
}

export async function s3Xml(method, bucket, key, options) {
  const response = await s3(method, bucket, key, options);
  return new DOMParser().parseFromString(await response.text(), "application/xml");
}

/** A query string with SigV4's encoding (what the signer canonicalizes, so both sides agree on every byte). */
export function qs(params) {
  return Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => (v === "" ? uriEncode(k) : `${uriEncode(k)}=${uriEncode(String(v))}`))
    .join("&");
}
