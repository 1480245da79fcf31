// S3, a bucket's page continued: versioning on/off (PutBucketVersioning), the object versions and delete markers
// (ListObjectVersions, paginated with key-marker / version-id-marker; a version downloaded or permanently deleted),
// deleting an object (a delete marker when versioning is on), deleting the bucket (the server's BucketNotEmpty shown),
// and an object's replication followed every 2 seconds while it is PENDING.
import { s3, s3Xml, qs } from "../api.js";
import { h, messages, act, table, when, section, download, progress, poll } from "../ui.js";

const tag = (el, name) => el.getElementsByTagName(name)[0]?.textContent || "";
const XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";

export async function versioningPanel(bucket, prefix, rerender) {
  const box = messages();
  const doc = await s3Xml("GET", bucket, "", { query: "versioning" });
  const status = tag(doc, "Status"); // "" (never enabled), Enabled or Suspended
  const turn = (to) => {
    const b = h("button", { type: "button", class: to === "Enabled" ? "" : "secondary", text: to === "Enabled" ? "Enable versioning" : "Suspend versioning" });
    b.addEventListener("click", () => act(b, box, async () => {
      const body = `<VersioningConfiguration xmlns="${XMLNS}"><Status>${to}</Status></VersioningConfiguration>`;
      await s3("PUT", bucket, "", { query: "versioning", body, headers: { "content-type": "application/xml" } });
      await rerender();
    }));
    return b;
  };
  const panel = section("Versioning",
    h("p", { id: "versioning-status", text: status ? `Versioning is ${status.toLowerCase()}.` : "Versioning has never been enabled on this bucket." }),
    h("div", { class: "actions" }, status === "Enabled" ? turn("Suspended") : turn("Enabled")), box);
  if (status) panel.append(await versionsList(bucket, prefix, rerender));
  return panel;
}

async function versionsList(bucket, prefix, rerender) {
  const box = messages();
  const rows = [];
  const area = h("div", {});
  const more = h("button", { type: "button", class: "secondary", text: "Load more versions", hidden: true });
  let keyMarker;
  let versionMarker;
  const load = async () => {
    const doc = await s3Xml("GET", bucket, "", { query: qs({ versions: "", prefix, "max-keys": 100, "key-marker": keyMarker, "version-id-marker": versionMarker }) });
    for (const el of Array.from(doc.documentElement.children)) {
      if (el.tagName !== "Version" && el.tagName !== "DeleteMarker") continue;
      rows.push({ marker: el.tagName === "DeleteMarker", key: tag(el, "Key"), id: tag(el, "VersionId"), latest: tag(el, "IsLatest") === "true", modified: tag(el, "LastModified"), size: tag(el, "Size") });
    }
    // by key, the latest first, then newest first (a response may group its versions before its delete markers)
    rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : Number(b.latest) - Number(a.latest) || b.modified.localeCompare(a.modified)));
    const truncated = tag(doc, "IsTruncated") === "true";
    keyMarker = truncated ? tag(doc, "NextKeyMarker") : undefined;
    versionMarker = truncated ? tag(doc, "NextVersionIdMarker") : undefined;
    more.hidden = !truncated;
    area.replaceChildren(table(`${rows.length} versions and delete markers`, [
      { title: "Key", cell: (v) => v.key },
      { title: "Version ID", cell: (v) => v.id },
      { title: "Kind", cell: (v) => (v.marker ? "delete marker" : "version") + (v.latest ? " (latest)" : "") },
      { title: "Size (bytes)", cell: (v) => (v.marker ? "" : v.size) },
      { title: "Last modified", cell: (v) => when(v.modified) },
      { title: "", cell: (v) => {
        const actions = h("div", { class: "actions" });
        if (!v.marker) {
          const get = h("button", { type: "button", class: "secondary", text: "Download", "aria-label": `Download version ${v.id} of ${v.key}` });
          get.addEventListener("click", () => act(get, box, async () => {
            const response = await s3("GET", bucket, v.key, { query: qs({ versionId: v.id }) });
            download(v.key.split("/").pop(), await response.blob(), response.headers.get("content-type") || "application/octet-stream");
            box.ok(`Downloaded version ${v.id} of ${v.key}.`);
          }));
          actions.append(get);
        }
        const del = h("button", { type: "button", class: "danger", text: v.marker ? "Remove delete marker" : "Delete version", "aria-label": `${v.marker ? "Remove delete marker" : "Permanently delete version"} ${v.id} of ${v.key}` });
        del.addEventListener("click", () => act(del, box, async () => {
          await s3("DELETE", bucket, v.key, { query: qs({ versionId: v.id }) });
          await rerender();
        }));
        actions.append(del);
        return actions;
      } },
    ], rows));
  };
  more.addEventListener("click", () => act(more, box, load));
  await load();
  return h("div", { id: "object-versions" }, h("h3", { text: prefix ? `Versions under ${prefix}` : "Object versions" }), area, more, box);
}

/** The Delete button of an object's row: DELETE without a version (a delete marker when versioning is on). */
export function deleteObjectButton(bucket, key, box, rerender) {
  const b = h("button", { type: "button", class: "danger", text: "Delete", "aria-label": `Delete ${key}` });
  b.addEventListener("click", () => act(b, box, async () => {
    const response = await s3("DELETE", bucket, key);
    const marker = response.headers.get("x-amz-delete-marker") === "true";
    await rerender();
    document.querySelector(".messages")?.replaceChildren(h("p", { class: "ok", text: marker ? `Deleted ${key}: a delete marker now hides its versions.` : `Deleted ${key}.` }));
  }));
  return b;
}

export function deleteBucketPanel(bucket) {
  const box = messages();
  const b = h("button", { type: "button", class: "danger", text: "Delete bucket" });
  b.addEventListener("click", () => act(b, box, async () => {
    // S3 refuses a bucket that holds objects or versions (BucketNotEmpty), shown as the server words it
    await s3("DELETE", bucket);
    location.hash = "#/s3";
  }));
  return section("Delete bucket", h("p", { text: "Only an empty bucket (no objects, versions or delete markers) can be deleted." }), h("div", { class: "actions" }, b), box);
}

/** Follow an object's replication while HeadObject says PENDING: a progress line, then the new details. */
export function followReplication(holder, bucket, key, headers, render) {
  if (headers.get("x-amz-replication-status") !== "PENDING") return;
  const line = progress("Replicating", "Replication pending… checking again every 2 seconds.");
  holder.append(line);
  poll(line, async () => {
    const head = await s3("HEAD", bucket, key);
    if (head.headers.get("x-amz-replication-status") === "PENDING") return true;
    holder.replaceChildren(render(key, head.headers));
    return false;
  });
}
