// AWS Signature Version 4 with WebCrypto (HMAC-SHA256, SHA-256): the whole signer the console uses.
// Written for the console rather than vendored: it signs only what the console sends (POSTs to the origin's
// own paths with a JSON or form body, S3 path-style requests, REST-JSON calls whose path labels are unreserved
// characters), so every branch below is exercised by the browser tests against the server's verifier.
// WebCrypto exists only in secure contexts: https, or http on localhost / 127.0.0.1.

const encoder = new TextEncoder();

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function sha256Hex(data) {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  return hex(await crypto.subtle.digest("SHA-256", bytes));
}

async function hmac(key, text) {
  const raw = typeof key === "string" ? encoder.encode(key) : key;
  const cryptoKey = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", cryptoKey, encoder.encode(text));
}

// RFC 3986 unreserved characters stay; everything else is percent-encoded (SigV4's UriEncode).
export function uriEncode(text) {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

export function amzDate(now) {
  return now.toISOString().replace(/[:-]/g, "").replace(/\.\d{3}/, "");
}

/**
 * Sign a request; returns the headers to send (without Host, which the browser sets to the same value).
 * request: {method, url, headers, body}; credentials: {accessKeyId, secretAccessKey, sessionToken?}.
 */
export async function signRequest(request, credentials, region, service, now = new Date()) {
  const url = new URL(request.url, window.location.href);
  const stamp = amzDate(now);
  const day = stamp.slice(0, 8);
  const headers = {};
  for (const [name, value] of Object.entries(request.headers || {})) {
    headers[name.toLowerCase()] = String(value).trim().replace(/\s+/g, " ");
  }
  headers.host = url.host;
  headers["x-amz-date"] = stamp;
  const payloadHash = await sha256Hex(request.body || "");
  if (service === "s3") headers["x-amz-content-sha256"] = payloadHash; // S3 requires the hash as a header
  if (credentials.sessionToken) headers["x-amz-security-token"] = credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const query = Array.from(url.searchParams, ([k, v]) => [uriEncode(k), uriEncode(v)])
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  // The path as sent: the console's paths are "/", REST-JSON paths of unreserved characters, and S3 keys it encodes
  // itself (uriEncode per segment), which is S3's canonical form; other services' double encoding only differs for
  // paths the console never sends.
  const canonical = [
    request.method,
    url.pathname,
    query,
    names.map((n) => `${n}:${headers[n]}\n`).join(""),
    names.join(";"),
    payloadHash,
  ].join("\n");
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", stamp, scope, await sha256Hex(canonical)].join("\n");
  let key = await hmac("AWS4" + credentials.secretAccessKey, day);
  key = await hmac(key, region);
  key = await hmac(key, service);
  key = await hmac(key, "aws4_request");
  const signature = hex(await hmac(key, toSign));
  delete headers.host;
  headers.authorization =
    `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, ` +
    `SignedHeaders=${names.join(";")}, Signature=${signature}`;
  return headers;
}
