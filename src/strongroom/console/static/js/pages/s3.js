// S3: buckets, a bucket's objects by prefix (paginated), upload choosing the server-side encryption, download, an
// object's details (encryption, replication status, version), the bucket's default encryption, its policy (edited
// here: the server's own validation answers) and replication configuration.
import { s3, s3Xml, qs } from "../api.js";
import { h, field, messages, act, table, when, section, link, select, download } from "../ui.js";
import { versioningPanel, deleteObjectButton, deleteBucketPanel, followReplication } from "./s3_more.js";

const tag = (el, name) => el.getElementsByTagName(name)[0]?.textContent || "";

export async function render(view, params) {
  if (params[0]) return renderBucket(view, params[0], params[1] || "");
  return renderBuckets(view);
}

async function renderBuckets(view) {
  const box = messages();
  const doc = await s3Xml("GET", "", "", { query: qs({ "max-buckets": 1000 }) });
  const buckets = Array.from(doc.getElementsByTagName("Bucket"), (b) => ({ name: tag(b, "Name"), created: tag(b, "CreationDate"), region: tag(b, "BucketRegion") }));
  const name = h("input", { name: "bucket-name", required: true });
  const create = h("button", { type: "submit", text: "Create bucket" });
  const form = h("form", {}, field("Bucket name", name), h("div", { class: "actions" }, create), box);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(create, box, async () => {
      await s3("PUT", name.value.trim());
      location.hash = `#/s3/${encodeURIComponent(name.value.trim())}`;
    });
  });
  view.replaceChildren(h("h1", { text: "S3 buckets" }), section("Create a bucket", form),
    section("Buckets", table(`${buckets.length} buckets`, [
      { title: "Name", cell: (b) => link(`#/s3/${encodeURIComponent(b.name)}`, b.name) },
      { title: "Region", cell: (b) => b.region },
      { title: "Created", cell: (b) => when(b.created) },
    ], buckets)));
}

async function optional(promise, missing) {
  try {
    return await promise;
  } catch (err) {
    if (missing.includes(err.code)) return null;
    return err;
  }
}

async function renderBucket(view, bucket, prefix) {
  const box = messages();
  const details = h("div", { id: "object-details" });
  const objects = [];
  const folders = [];
  const listArea = h("div", {});
  const more = h("button", { type: "button", class: "secondary", text: "Load more objects", hidden: true });
  let token;
  const load = async () => {
    const doc = await s3Xml("GET", bucket, "", { query: qs({ "list-type": 2, delimiter: "/", prefix, "max-keys": 100, "continuation-token": token }) });
    objects.push(...Array.from(doc.getElementsByTagName("Contents"), (c) => ({ key: tag(c, "Key"), size: tag(c, "Size"), modified: tag(c, "LastModified") })));
    folders.push(...Array.from(doc.getElementsByTagName("CommonPrefixes"), (c) => tag(c, "Prefix")));
    token = tag(doc, "IsTruncated") === "true" ? tag(doc, "NextContinuationToken") : undefined;
    more.hidden = !token;
    listArea.replaceChildren(
      table("Folders", [{ title: "Prefix", cell: (p) => link(`#/s3/${encodeURIComponent(bucket)}/${encodeURIComponent(p)}`, p) }], folders),
      table(`${objects.length} objects`, [
        { title: "Key", cell: (o) => o.key },
        { title: "Size (bytes)", cell: (o) => o.size },
        { title: "Last modified", cell: (o) => when(o.modified) },
        { title: "", cell: (o) => {
          const more = h("button", { type: "button", class: "secondary", text: "Details" });
          more.setAttribute("aria-label", `Details of ${o.key}`);
          more.addEventListener("click", () => act(more, box, async () => {
            const head = await s3("HEAD", bucket, o.key);
            details.replaceChildren(objectDetails(o.key, head.headers));
            details.querySelector("h3")?.focus();
            followReplication(details, bucket, o.key, head.headers, objectDetails);
          }));
          const b = h("button", { type: "button", class: "secondary", text: "Download" });
          b.setAttribute("aria-label", `Download ${o.key}`);
          b.addEventListener("click", () => act(b, box, async () => {
            const response = await s3("GET", bucket, o.key);
            const sse = response.headers.get("x-amz-server-side-encryption");
            download(o.key.split("/").pop(), await response.blob(), response.headers.get("content-type") || "application/octet-stream");
            box.ok(`Downloaded ${o.key}${sse ? ` (stored with ${sse})` : ""}.`);
          }));
          return h("div", { class: "actions" }, more, b, deleteObjectButton(bucket, o.key, box, () => renderBucket(view, bucket, prefix)));
        } },
      ], objects));
  };
  more.addEventListener("click", () => act(more, box, load));
  await load();

  const file = h("input", { type: "file", name: "upload-file" });
  const key = h("input", { name: "upload-key", value: prefix });
  const sse = select([["", "Bucket default"], ["AES256", "SSE-S3 (AES256)"], ["aws:kms", "SSE-KMS"]], "", { name: "sse" });
  const kmsKey = h("input", { name: "sse-kms-key", placeholder: "key ID, ARN or alias (empty: aws/s3)" });
  const upload = h("button", { type: "submit", text: "Upload" });
  const form = h("form", {}, field("File", file), field("Object key", key, "Defaults to the prefix followed by the file's name."),
    h("div", { class: "row" }, field("Server-side encryption", sse), field("KMS key", kmsKey)), h("div", { class: "actions" }, upload));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(upload, box, async () => {
      const chosen = file.files[0];
      if (!chosen) throw Object.assign(new Error("Choose a file to upload."), { code: "NoFile" });
      const objectKey = key.value && !key.value.endsWith("/") ? key.value : `${key.value}${chosen.name}`;
      const headers = { "content-type": chosen.type || "application/octet-stream" };
      if (sse.value) headers["x-amz-server-side-encryption"] = sse.value;
      if (sse.value === "aws:kms" && kmsKey.value.trim()) headers["x-amz-server-side-encryption-aws-kms-key-id"] = kmsKey.value.trim();
      const response = await s3("PUT", bucket, objectKey, { body: new Uint8Array(await chosen.arrayBuffer()), headers });
      await renderBucket(view, bucket, prefix);
      view.querySelector(".messages").replaceChildren(h("p", { class: "ok", text: `Uploaded ${objectKey} (${response.headers.get("x-amz-server-side-encryption") || "encrypted"}).` }));
    });
  });

  const [encryption, policy, replication] = await Promise.all([
    optional(s3Xml("GET", bucket, "", { query: "encryption" }), ["ServerSideEncryptionConfigurationNotFoundError"]),
    optional(s3("GET", bucket, "", { query: "policy" }).then((r) => r.text()), ["NoSuchBucketPolicy"]),
    optional(s3Xml("GET", bucket, "", { query: "replication" }), ["ReplicationConfigurationNotFoundError"]),
  ]);
  const shown = (value, none, render) => (value === null ? h("p", { text: none }) : value instanceof Error ? h("p", { class: "error", role: "alert", text: `${value.code}: ${value.message}` }) : render(value));
  let policyText = policy;
  try { policyText = JSON.stringify(JSON.parse(policy), null, 2); } catch { /* as stored */ }
  const crumbs = [["", bucket]];
  let acc = "";
  for (const part of prefix.split("/").filter(Boolean)) { acc += `${part}/`; crumbs.push([acc, part]); }
  view.replaceChildren(
    h("p", {}, link("#/s3", "← All buckets")),
    h("h1", { text: bucket }),
    h("nav", { "aria-label": "Prefix" }, h("ol", { class: "crumbs" }, crumbs.map(([p, label]) => h("li", {}, link(`#/s3/${encodeURIComponent(bucket)}${p ? `/${encodeURIComponent(p)}` : ""}`, label))))),
    box,
    section(prefix ? `Objects under ${prefix}` : "Objects", listArea, more, details),
    section("Upload", form),
    section("Default encryption", shown(encryption, "No default encryption configuration (objects are encrypted with SSE-S3).", (doc) =>
      h("p", { text: `${tag(doc, "SSEAlgorithm")}${tag(doc, "KMSMasterKeyID") ? ` with ${tag(doc, "KMSMasterKeyID")}` : ""}${tag(doc, "BucketKeyEnabled") === "true" ? ", S3 Bucket Key" : ""}` }))),
    policy instanceof Error ? section("Bucket policy", shown(policy, "", () => "")) : policyEditor(view, bucket, prefix, policy === null ? null : policyText),
    section("Replication", shown(replication, "No replication configuration.", (doc) => table("Replication rules", [
      { title: "Rule", cell: (r) => tag(r, "ID") },
      { title: "Status", cell: (r) => tag(r, "Status") },
      { title: "Destination", cell: (r) => tag(r, "Bucket") },
    ], Array.from(doc.getElementsByTagName("Rule"))))),
    await versioningPanel(bucket, prefix, () => renderBucket(view, bucket, prefix)),
    deleteBucketPanel(bucket),
  );
}

// What HeadObject tells about one object: how it is encrypted, replicated and versioned.
const DETAILS = [
  ["Server-side encryption", "x-amz-server-side-encryption"],
  ["KMS key", "x-amz-server-side-encryption-aws-kms-key-id"],
  ["S3 Bucket Key", "x-amz-server-side-encryption-bucket-key-enabled"],
  ["Customer-provided key (SSE-C)", "x-amz-server-side-encryption-customer-algorithm"],
  ["Replication status", "x-amz-replication-status"],
  ["Version ID", "x-amz-version-id"],
  ["Storage class", "x-amz-storage-class"],
  ["Object Lock mode", "x-amz-object-lock-mode"],
  ["Retain until", "x-amz-object-lock-retain-until-date"],
  ["Legal hold", "x-amz-object-lock-legal-hold"],
  ["ETag", "etag"],
  ["Content type", "content-type"],
  ["Size (bytes)", "content-length"],
  ["Last modified", "last-modified"],
];

function objectDetails(key, headers) {
  const rows = DETAILS.filter(([, name]) => headers.get(name) !== null).map(([label, name]) => [label, headers.get(name)]);
  if (!headers.get("x-amz-replication-status")) rows.push(["Replication status", "not replicated (no rule applied)"]);
  return h("div", { class: "panel" }, h("h3", { tabindex: "-1", text: `Object ${key}` }),
    h("dl", { class: "facts" }, rows.flatMap(([label, value]) => [h("dt", { text: label }), h("dd", { text: value })])));
}

// The bucket policy, edited as JSON and sent as typed: the server answers MalformedPolicy with AWS's text.
function policyEditor(view, bucket, prefix, current) {
  const box = messages();
  const editor = h("textarea", { name: "bucket-policy", rows: "14", spellcheck: "false" });
  editor.value = current ?? JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*",
      Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } }],
  }, null, 2);
  const save = h("button", { type: "button", text: "Save bucket policy" });
  save.addEventListener("click", () => act(save, box, async () => {
    await s3("PUT", bucket, "", { query: "policy", body: editor.value, headers: { "content-type": "application/json" } });
    remove.hidden = false;
    box.ok("Bucket policy saved.");
  }));
  const remove = h("button", { type: "button", class: "secondary", text: "Delete bucket policy", hidden: current === null });
  remove.addEventListener("click", () => act(remove, box, async () => {
    await s3("DELETE", bucket, "", { query: "policy" });
    await renderBucket(view, bucket, prefix);
    view.querySelector("[name=bucket-policy]")?.closest("section")?.querySelector(".messages")?.replaceChildren(
      h("p", { class: "ok", text: "Bucket policy deleted." }));
  }));
  const hint = current === null ? "No bucket policy yet: the text below is an example, saved only when you choose to." : undefined;
  return section("Bucket policy", field("Bucket policy (JSON)", editor, hint), h("div", { class: "actions" }, save, remove), box);
}
