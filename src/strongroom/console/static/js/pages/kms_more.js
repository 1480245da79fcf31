// KMS, a key's page continued: key material import for an EXTERNAL-origin key (GetParametersForImport, the material
// wrapped in the browser with WebCrypto RSA-OAEP under the wrapping public key, ImportKeyMaterial;
// DeleteImportedKeyMaterial) and multi-Region keys (the primary and its replicas, ReplicateKey, UpdatePrimaryRegion).
import { call } from "../api.js";
import { h, field, select, messages, act, table, when, section } from "../ui.js";

const REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1", "ap-northeast-1"];
// RSA-OAEP only: it wraps up to 190 bytes under a 2048-bit key, which holds a 256-bit symmetric key or HMAC key; an
// asymmetric private key needs RSA_AES_KEY_WRAP (not offered here).
const WRAPPING = [["RSAES_OAEP_SHA_256", "SHA-256"], ["RSAES_OAEP_SHA_1", "SHA-1"]];

function b64(bytes) {
  let binary = "";
  for (const b of new Uint8Array(bytes)) binary += String.fromCharCode(b);
  return btoa(binary);
}

function unb64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** The import panel (EXTERNAL keys only): state, expiration, import and delete. */
export function importPanel(meta, reload) {
  if (meta.Origin !== "EXTERNAL") return "";
  const box = messages();
  const algorithm = select(WRAPPING.map(([a]) => a), "RSAES_OAEP_SHA_256", { name: "wrapping-algorithm" });
  const spec = select(["RSA_2048", "RSA_3072", "RSA_4096"], "RSA_2048", { name: "wrapping-key-spec" });
  const source = select([["generate", "Generate 256-bit material in this browser"], ["file", "Read it from a file (raw bytes)"]], "generate", { name: "material-source" });
  const file = h("input", { type: "file", name: "material-file" });
  const fileField = field("Key material file", file, "The raw key bytes (e.g. 32 bytes for a symmetric key); read here, never uploaded unwrapped.");
  fileField.hidden = true;
  source.addEventListener("change", () => { fileField.hidden = source.value !== "file"; });
  const expires = select([["KEY_MATERIAL_DOES_NOT_EXPIRE", "Does not expire"], ["KEY_MATERIAL_EXPIRES", "Expires at"]], "KEY_MATERIAL_DOES_NOT_EXPIRE", { name: "expiration-model" });
  const validTo = h("input", { type: "datetime-local", name: "valid-to" });
  const validToField = field("Valid to (UTC)", validTo);
  validToField.hidden = true;
  expires.addEventListener("change", () => { validToField.hidden = expires.value !== "KEY_MATERIAL_EXPIRES"; });
  const run = h("button", { type: "button", text: "Wrap and import key material" });
  run.addEventListener("click", () => act(run, box, async () => {
    let material;
    if (source.value === "file") {
      if (!file.files.length) throw { code: "NoFile", message: "Choose a key material file first." };
      material = new Uint8Array(await file.files[0].arrayBuffer());
    } else {
      material = crypto.getRandomValues(new Uint8Array(32));
    }
    const params = await call("kms", "GetParametersForImport", { KeyId: meta.KeyId, WrappingAlgorithm: algorithm.value, WrappingKeySpec: spec.value });
    const hash = WRAPPING.find(([a]) => a === algorithm.value)[1];
    const publicKey = await crypto.subtle.importKey("spki", unb64(params.PublicKey), { name: "RSA-OAEP", hash }, false, ["encrypt"]);
    const wrapped = await crypto.subtle.encrypt({ name: "RSA-OAEP" }, publicKey, material);
    material.fill(0); // the plaintext material lives only for this call
    const request = { KeyId: meta.KeyId, ImportToken: params.ImportToken, EncryptedKeyMaterial: b64(wrapped), ExpirationModel: expires.value };
    if (expires.value === "KEY_MATERIAL_EXPIRES") request.ValidTo = validTo.value ? new Date(`${validTo.value}Z`).getTime() / 1000 : null;
    const answer = await call("kms", "ImportKeyMaterial", request);
    await reload();
    document.getElementById("import-messages")?.replaceChildren(h("p", { class: "ok", text: `Key material imported${answer.KeyMaterialId ? ` (${answer.KeyMaterialId})` : ""}.` }));
  }));
  const remove = h("button", { type: "button", class: "danger", text: "Delete imported key material" });
  remove.addEventListener("click", () => act(remove, box, async () => {
    await call("kms", "DeleteImportedKeyMaterial", { KeyId: meta.KeyId });
    await reload();
  }));
  box.id = "import-messages";
  const state = meta.KeyState === "PendingImport" ? "No key material: the key is waiting for an import." : `Key material imported; ${meta.ExpirationModel === "KEY_MATERIAL_EXPIRES" ? `expires ${when(meta.ValidTo)}` : "it does not expire"}.`;
  return section("Key material (imported)",
    h("p", { id: "import-state", text: state }),
    h("div", { class: "row" }, field("Wrapping algorithm", algorithm), field("Wrapping key spec", spec)),
    field("Key material", source), fileField,
    h("div", { class: "row" }, field("Expiration", expires), validToField),
    h("div", { class: "actions" }, run, meta.KeyState !== "PendingImport" ? remove : ""), box);
}

/** The multi-Region panel: the primary, its replicas, replicate to another Region, make a replica the primary. */
export function replicasPanel(meta, reload) {
  if (!meta.MultiRegion) return "";
  const config = meta.MultiRegionConfiguration || {};
  const box = messages();
  const rows = [
    { Role: "Primary", ...(config.PrimaryKey || {}) },
    ...(config.ReplicaKeys || []).map((r) => ({ Role: "Replica", ...r })),
  ];
  const children = [
    h("p", { id: "multi-region-type", text: `This key is the ${config.MultiRegionKeyType === "PRIMARY" ? "primary key" : "replica"} of a multi-Region key.` }),
    table("Primary and replica keys", [
      { title: "Role", cell: (r) => r.Role },
      { title: "Region", cell: (r) => r.Region },
      { title: "ARN", cell: (r) => r.Arn },
    ], rows),
  ];
  if (config.MultiRegionKeyType === "PRIMARY") {
    const taken = new Set(rows.map((r) => r.Region));
    // every Region is offered: one that already holds the key answers the server's error
    const region = select(REGIONS, REGIONS.find((r) => !taken.has(r)), { name: "replica-region" });
    const replicate = h("button", { type: "button", text: "Replicate key" });
    replicate.addEventListener("click", () => act(replicate, box, async () => {
      await call("kms", "ReplicateKey", { KeyId: meta.KeyId, ReplicaRegion: region.value });
      await reload();
    }));
    const replicas = (config.ReplicaKeys || []).map((r) => r.Region);
    const primary = select(replicas.length ? replicas : [""], replicas[0] || "", { name: "new-primary-region" });
    const move = h("button", { type: "button", class: "secondary", text: "Update primary Region", disabled: !replicas.length });
    move.addEventListener("click", () => act(move, box, async () => {
      await call("kms", "UpdatePrimaryRegion", { KeyId: meta.KeyId, PrimaryRegion: primary.value });
      await reload();
    }));
    children.push(h("div", { class: "row" }, field("Replica Region", region), replicate),
      h("div", { class: "row" }, field("New primary Region", primary), move));
  }
  return section("Multi-Region keys", ...children, box);
}
