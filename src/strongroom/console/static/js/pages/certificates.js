// ACM and Private CA: the CAs and their hierarchy (chain download), ACM certificates (status, expiry, validation
// records), requesting a private certificate from an active CA, downloading certificate + chain, revoking.
import { call } from "../api.js";
import { h, field, messages, act, table, when, section, link, select, download } from "../ui.js";

export async function render(view, params) {
  if (params[0] === "cert" && params[1]) return renderCertificate(view, params[1]);
  return renderList(view);
}

async function listAll(service, operation, key, request = {}) {
  const items = [];
  let token;
  let pages = 0;
  do {
    const page = await call(service, operation, { ...request, ...(token ? { NextToken: token } : {}) });
    items.push(...(page[key] || []));
    token = page.NextToken;
  } while (token && ++pages < 20);
  return items;
}

async function renderList(view) {
  const box = messages();
  const [cas, certs] = await Promise.all([
    listAll("acm-pca", "ListCertificateAuthorities", "CertificateAuthorities", { MaxResults: 50 }),
    listAll("acm", "ListCertificates", "CertificateSummaryList", { MaxItems: 50 }),
  ]);
  const chainButton = (ca) => {
    if (ca.Status !== "ACTIVE" && ca.Status !== "EXPIRED" && ca.Status !== "DISABLED") return "";
    const b = h("button", { type: "button", class: "secondary", text: "Download CA chain" });
    b.setAttribute("aria-label", `Download CA chain of ${ca.CertificateAuthorityConfiguration?.Subject?.CommonName || ca.Arn}`);
    b.addEventListener("click", () => act(b, box, async () => {
      const r = await call("acm-pca", "GetCertificateAuthorityCertificate", { CertificateAuthorityArn: ca.Arn });
      download("ca-chain.pem", [r.Certificate, r.CertificateChain].filter(Boolean).join("\n"));
    }));
    return b;
  };
  const tree = await hierarchy(cas);
  view.replaceChildren(
    h("h1", { text: "Certificates" }),
    box,
    requestForm(cas.filter((c) => c.Status === "ACTIVE")),
    section("ACM certificates", table(`${certs.length} certificates`, [
      { title: "Domain", cell: (c) => link(`#/certificates/cert/${encodeURIComponent(c.CertificateArn)}`, c.DomainName) },
      { title: "Type", cell: (c) => c.Type || "" },
      { title: "Status", cell: (c) => c.Status || "" },
      { title: "In use", cell: (c) => (c.InUse ? "yes" : "no") },
      { title: "Expires", cell: (c) => when(c.NotAfter) },
    ], certs)),
    section("Private certificate authorities", table(`${cas.length} CAs`, [
      { title: "Subject", cell: (c) => c.CertificateAuthorityConfiguration?.Subject?.CommonName || "" },
      { title: "Type", cell: (c) => c.Type },
      { title: "Status", cell: (c) => c.Status },
      { title: "Key algorithm", cell: (c) => c.CertificateAuthorityConfiguration?.KeyAlgorithm || "" },
      { title: "Expires", cell: (c) => when(c.NotAfter) },
      { title: "ARN", cell: (c) => c.Arn },
      { title: "Chain", cell: chainButton },
    ], cas)),
    tree,
  );
}

function requestForm(active) {
  const box = messages();
  if (active.length === 0) {
    return section("Request a private certificate", h("p", { text: "No active private CA in this region." }));
  }
  const domain = h("input", { name: "domain-name", required: true, placeholder: "service.internal.example" });
  const sans = h("input", { name: "alternative-names", placeholder: "api.internal.example, *.internal.example" });
  const ca = select(active.map((c) => [c.Arn, `${c.CertificateAuthorityConfiguration?.Subject?.CommonName || "CA"} (${c.Arn.split("/").pop()})`]), active[0].Arn, { name: "certificate-authority" });
  const keyAlgorithm = select(["RSA_2048", "EC_prime256v1", "EC_secp384r1", "RSA_3072", "RSA_4096"], "RSA_2048", { name: "key-algorithm" });
  const submit = h("button", { type: "submit", text: "Request certificate" });
  const form = h("form", {}, field("Domain name", domain), field("Other names (comma-separated)", sans),
    h("div", { class: "row" }, field("Certificate authority", ca), field("Key algorithm", keyAlgorithm)),
    h("div", { class: "actions" }, submit), box);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(submit, box, async () => {
      const request = { DomainName: domain.value.trim(), CertificateAuthorityArn: ca.value, KeyAlgorithm: keyAlgorithm.value };
      const names = sans.value.split(",").map((s) => s.trim()).filter(Boolean);
      if (names.length) request.SubjectAlternativeNames = [domain.value.trim(), ...names];
      const { CertificateArn } = await call("acm", "RequestCertificate", request);
      location.hash = `#/certificates/cert/${encodeURIComponent(CertificateArn)}`;
    });
  });
  return section("Request a private certificate", form);
}

async function renderCertificate(view, arn) {
  const box = messages();
  const { Certificate: c } = await call("acm", "DescribeCertificate", { CertificateArn: arn });
  const facts = h("dl", { class: "facts" });
  const fact = (k, v) => v !== undefined && v !== "" && facts.append(h("dt", { text: k }), h("dd", { text: String(v) }));
  fact("ARN", c.CertificateArn);
  fact("Status", c.Status);
  fact("Type", c.Type);
  fact("Domain", c.DomainName);
  fact("Other names", (c.SubjectAlternativeNames || []).join(", "));
  fact("Issuer", c.Issuer);
  fact("Certificate authority", c.CertificateAuthorityArn);
  fact("Key algorithm", c.KeyAlgorithm);
  fact("Not before", when(c.NotBefore));
  fact("Not after", when(c.NotAfter));
  fact("Serial", c.Serial);
  if (c.FailureReason) fact("Failure reason", c.FailureReason);
  const refresh = h("button", { type: "button", class: "secondary", text: "Refresh status" });
  refresh.addEventListener("click", () => act(refresh, box, () => renderCertificate(view, arn)));
  const chain = h("button", { type: "button", text: "Download certificate and chain" });
  chain.disabled = c.Status !== "ISSUED";
  chain.addEventListener("click", () => act(chain, box, async () => {
    const r = await call("acm", "GetCertificate", { CertificateArn: arn });
    download(`${c.DomainName.replace(/[^A-Za-z0-9.-]/g, "_")}-chain.pem`, [r.Certificate, r.CertificateChain].filter(Boolean).join("\n"));
    box.ok("Certificate and chain downloaded.");
  }));
  if (c.RevokedAt) fact("Revoked", `${when(c.RevokedAt)} (${c.RevocationReason || "UNSPECIFIED"})`);
  const reason = select(REVOCATION_REASONS, "UNSPECIFIED", { name: "revocation-reason" });
  const revoke = h("button", { type: "button", class: "danger", text: "Revoke certificate" });
  revoke.addEventListener("click", () => act(revoke, box, async () => {
    await call("acm", "RevokeCertificate", { CertificateArn: arn, RevocationReason: reason.value });
    await renderCertificate(view, arn);
    view.querySelector(".messages")?.replaceChildren(h("p", { class: "ok", text: "Certificate revoked." }));
  }));
  const revocation = c.Status === "ISSUED" && c.Type === "PRIVATE"
    ? section("Revoke", h("p", { text: "The issuing CA lists a revoked certificate in its CRL and answers for it over OCSP when those are configured." }),
      h("div", { class: "row" }, field("Reason", reason)), h("div", { class: "actions" }, revoke))
    : "";
  const validation = (c.DomainValidationOptions || []).filter((o) => o.ResourceRecord);
  // A private certificate is issued in the background: show progress and look again until it settles.
  const pending = c.Status === "PENDING_VALIDATION" && c.Type === "PRIVATE";
  const progress = pending
    ? h("p", { class: "progress" }, h("progress", { "aria-label": "Issuing the certificate" }), " Issuing… checking again every 2 seconds.")
    : "";
  if (pending) {
    const hash = location.hash;
    setTimeout(() => {
      if (view.isConnected && location.hash === hash) renderCertificate(view, arn).catch((err) => box.error(err));
    }, 2000);
  }
  view.replaceChildren(
    h("p", {}, link("#/certificates", "← All certificates")),
    h("h1", { text: c.DomainName }),
    box,
    section("Certificate", facts, progress, h("div", { class: "actions" }, chain, refresh)),
    validation.length ? section("Validation records", table("DNS records to create", [
      { title: "Domain", cell: (o) => o.DomainName },
      { title: "Name", cell: (o) => o.ResourceRecord.Name },
      { title: "Type", cell: (o) => o.ResourceRecord.Type },
      { title: "Value", cell: (o) => o.ResourceRecord.Value },
      { title: "Status", cell: (o) => o.ValidationStatus || "" },
    ], validation)) : "",
    revocation,
  );
}

const REVOCATION_REASONS = ["UNSPECIFIED", "KEY_COMPROMISE", "CA_COMPROMISE", "AFFILIATION_CHANGED", "SUPERSEDED",
  "CESSATION_OF_OPERATION", "PRIVILEGE_WITHDRAWN", "A_A_COMPROMISE"].map((r) => [r, r.toLowerCase().replaceAll("_", " ")]);

const firstPem = (text) => (text || "").match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0]?.replace(/\s+/g, "") || "";

// The CA hierarchy: a CA's parent is the CA whose certificate is the first of its chain (GetCertificateAuthority-
// Certificate gives both); CAs without a certificate yet (PENDING_CERTIFICATE) are shown as roots of their own.
async function hierarchy(cas) {
  const withCert = cas.filter((c) => ["ACTIVE", "DISABLED", "EXPIRED"].includes(c.Status));
  const certs = await Promise.all(withCert.map((c) => call("acm-pca", "GetCertificateAuthorityCertificate", { CertificateAuthorityArn: c.Arn })
    .then((r) => [c.Arn, firstPem(r.Certificate), firstPem(r.CertificateChain)]).catch(() => [c.Arn, "", ""])));
  const byCert = new Map(certs.filter(([, cert]) => cert).map(([arn, cert]) => [cert, arn]));
  const parent = new Map(certs.map(([arn, , chain]) => [arn, chain ? byCert.get(chain) : undefined]));
  const children = new Map();
  for (const ca of cas) {
    const p = parent.get(ca.Arn);
    if (p && p !== ca.Arn) children.set(p, [...(children.get(p) || []), ca]);
  }
  const label = (ca) => `${ca.CertificateAuthorityConfiguration?.Subject?.CommonName || ca.Arn} — ${ca.Type.toLowerCase()}, ${ca.Status.toLowerCase()}`;
  const seen = new Set();
  const node = (ca) => {
    seen.add(ca.Arn);
    const kids = (children.get(ca.Arn) || []).filter((k) => !seen.has(k.Arn));
    return h("li", {}, label(ca), kids.length ? h("ul", {}, kids.map(node)) : null);
  };
  const roots = cas.filter((ca) => !parent.get(ca.Arn) || parent.get(ca.Arn) === ca.Arn);
  return section("CA hierarchy", roots.length ? h("ul", { class: "tree", "aria-label": "CA hierarchy" }, roots.map(node)) : h("p", { text: "No private CAs." }));
}
