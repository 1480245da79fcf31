// The overview: how many resources each service holds, keys pending deletion, certificates expiring soon.
// Each figure is its own call: one the principal may not make shows AWS's error in its card, not a broken page.
import { call } from "../api.js";
import { h, table, when, section, link } from "../ui.js";

const SOON_DAYS = 30;

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
  await Promise.all(cards.map((c) => c.promise));
  const [keys, certs] = await Promise.all([pending, expiring]);
  const errorOr = (value, render) => (value instanceof Error ? h("p", { class: "error", role: "alert", text: `${value.code}: ${value.message}` }) : render(value));
  view.replaceChildren(
    h("h1", { text: "Overview" }),
    h("div", { class: "cards" }, cards.map((c) => c.body)),
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
