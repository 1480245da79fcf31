// The overview: how many resources each service holds, the latest findings (GuardDuty, Macie, Inspector), keys
// pending deletion, certificates expiring soon, secrets whose last rotation failed.
// Each figure is its own call: one the principal may not make shows AWS's error in its card, not a broken page.
import { call } from "../api.js";
import { h, table, when, section, link } from "../ui.js";
import { adapter as guardduty } from "./guardduty.js";
import { adapter as macie } from "./macie.js";
import { adapter as inspector } from "./inspector.js";

const SOON_DAYS = 30;
const LATEST = 8; // findings shown, newest first across the three services
const ROTATION_EVENT_PAGES = 5; // LookupEvents pages (50 events each) read per rotation outcome

async function count(service, operation, key, request = {}, token = "NextToken", more = null) {
  let n = 0;
  let next;
  let pages = 0;
  do {
    const page = await call(service, operation, { ...request, ...(next ? { [token]: next } : {}) });
    n += (page[key] || []).length;
    next = more ? (page.Truncated ? page[more] : undefined) : page[token];
  } while (next && ++pages < 10);
  return next ? `${n}+` : String(n);
}

function card(title, href, promise) {
  const figure = h("span", { class: "count", text: "…" });
  const body = h("div", { class: "card" }, figure, link(href, title));
  promise.then(
    (value) => { figure.textContent = value; },
    (err) => { figure.textContent = "—"; body.append(h("p", { class: "error", role: "alert", text: `${err.code}: ${err.message}` })); },
  );
  return { body, promise: promise.catch(() => null) };
}

export async function render(view) {
  const cards = [
    card("KMS keys", "#/kms", count("kms", "ListKeys", "Keys", { Limit: 100 }, "Marker", "NextMarker")),
    card("Secrets", "#/secrets", count("secretsmanager", "ListSecrets", "SecretList", { MaxResults: 100 })),
    card("Parameters", "#/ssm", count("ssm", "DescribeParameters", "Parameters", { MaxResults: 50 })),
    card("ACM certificates", "#/certificates", count("acm", "ListCertificates", "CertificateSummaryList", { MaxItems: 100 })),
    card("Private CAs", "#/certificates", count("acm-pca", "ListCertificateAuthorities", "CertificateAuthorities", { MaxResults: 100 })),
    card("Trails", "#/cloudtrail", call("cloudtrail", "DescribeTrails", {}).then((r) => String((r.trailList || []).length))),
  ];
  const pending = pendingDeletion().catch((err) => err);
  const expiring = expiringCertificates().catch((err) => err);
  const latest = latestFindings();
  const rotations = failedRotations().catch((err) => err);
  await Promise.all(cards.map((c) => c.promise));
  const [keys, certs, findings, failed] = await Promise.all([pending, expiring, latest, rotations]);
  const errorOr = (value, render) => (value instanceof Error ? h("p", { class: "error", role: "alert", text: `${value.code}: ${value.message}` }) : render(value));
  view.replaceChildren(
    h("h1", { text: "Overview" }),
    h("div", { class: "cards" }, cards.map((c) => c.body)),
    section("Latest findings", ...findings.notes.map((note) => h("p", { class: note.error ? "error" : "hint", role: note.error ? "alert" : null, text: note.text })),
      table("Newest findings across GuardDuty, Macie and Inspector", [
        { title: "Severity", cell: (f) => h("span", { class: `severity severity-${f.severity.toLowerCase()}`, text: f.severity }) },
        { title: "Service", cell: (f) => f.service },
        { title: "Finding", cell: (f) => link(`#/${f.page}/finding/${encodeURIComponent(f.id)}`, f.title) },
        { title: "Resource", cell: (f) => f.resource },
        { title: "Updated", cell: (f) => when(f.updated) },
      ], findings.rows)),
    section("Keys pending deletion", errorOr(keys, (rows) => table("Keys scheduled for deletion", [
      { title: "Key ID", cell: (k) => link(`#/kms/${encodeURIComponent(k.KeyId)}`, k.KeyId) },
      { title: "Description", cell: (k) => k.Description || "" },
      { title: "Deletion date", cell: (k) => when(k.DeletionDate) },
    ], rows))),
    section(`Certificates expiring within ${SOON_DAYS} days`, errorOr(certs, (rows) => table("Expiring certificates", [
      { title: "Domain", cell: (c) => link(`#/certificates/cert/${encodeURIComponent(c.CertificateArn)}`, c.DomainName) },
      { title: "Status", cell: (c) => c.Status || "" },
      { title: "Expires", cell: (c) => when(c.NotAfter) },
    ], rows))),
    section("Failed rotations", errorOr(failed, (rows) => table("Secrets whose last rotation failed", [
      { title: "Secret", cell: (r) => link(`#/secrets/${encodeURIComponent(r.arn)}`, r.name) },
      { title: "Failed at", cell: (r) => when(r.at) },
      { title: "Reason", cell: (r) => r.reason },
    ], rows))),
  );
}

async function pendingDeletion() {
  const page = await call("kms", "ListKeys", { Limit: 100 });
  // a key the principal may not describe (its key policy denies it) is left out rather than failing the card
  const metas = await Promise.all((page.Keys || []).map((k) => call("kms", "DescribeKey", { KeyId: k.KeyId }).catch(() => null)));
  return metas.filter((m) => m !== null).map((m) => m.KeyMetadata).filter((m) => m.KeyState === "PendingDeletion");
}

async function expiringCertificates() {
  const page = await call("acm", "ListCertificates", { MaxItems: 100 });
  const limit = Date.now() / 1000 + SOON_DAYS * 86400;
  return (page.CertificateSummaryList || []).filter((c) => c.NotAfter && c.NotAfter < limit);
}

const epochMs = (v) => (typeof v === "number" ? v * 1000 : Date.parse(v) || 0);

/** The newest active findings of each service the Region has enabled; a service not enabled or not readable by the
 * principal is a note, not an error of the page. */
async function latestFindings() {
  const adapters = [guardduty, macie, inspector];
  const results = await Promise.all(adapters.map(async (a) => {
    try {
      if (!(await a.status()).enabled) return { rows: [], note: { text: `${a.service} is not enabled in this Region.` } };
      const filters = { severity: "", type: "", resource: "", state: a.states[0][0] };
      const page = await a.list(filters, undefined, LATEST);
      return { rows: page.items.map((raw) => ({ ...a.row(raw), service: a.service, page: a.id })) };
    } catch (err) {
      return { rows: [], note: { error: true, text: `${a.service}: ${err.code}: ${err.message}` } };
    }
  }));
  const rows = results.flatMap((r) => r.rows).sort((x, y) => epochMs(y.updated) - epochMs(x.updated)).slice(0, LATEST);
  return { rows, notes: results.map((r) => r.note).filter(Boolean) };
}

async function rotationEvents(name) {
  const events = [];
  let next;
  let pages = 0;
  do {
    const page = await call("cloudtrail", "LookupEvents", {
      LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: name }],
      MaxResults: 50,
      ...(next ? { NextToken: next } : {}),
    });
    events.push(...(page.Events || []));
    next = page.NextToken;
  } while (next && ++pages < ROTATION_EVENT_PAGES);
  return events.map((e) => {
    const record = JSON.parse(e.CloudTrailEvent || "{}");
    const details = record.serviceEventDetails || {};
    return { arn: details.SecretId || e.Resources?.[0]?.ResourceName || "", at: e.EventTime, reason: details.reason || "" };
  });
}

/** Secrets Manager records each rotation's outcome in CloudTrail as the AwsServiceEvents RotationSucceeded and
 * RotationFailed (its API has no "last rotation failed" field): a secret whose newest outcome is a failure. */
async function failedRotations() {
  const [failures, successes] = await Promise.all([rotationEvents("RotationFailed"), rotationEvents("RotationSucceeded")]);
  const lastSuccess = new Map();
  for (const s of successes) lastSuccess.set(s.arn, Math.max(lastSuccess.get(s.arn) || 0, epochMs(s.at)));
  const lastFailure = new Map();
  for (const f of failures) {
    const seen = lastFailure.get(f.arn);
    if (!seen || epochMs(f.at) > epochMs(seen.at)) lastFailure.set(f.arn, f);
  }
  return [...lastFailure.values()]
    .filter((f) => f.arn && epochMs(f.at) > (lastSuccess.get(f.arn) || 0))
    .map((f) => ({ ...f, name: f.arn.split(":").pop().replace(/-[A-Za-z0-9]{6}$/, "") }))
    .sort((x, y) => epochMs(y.at) - epochMs(x.at));
}
