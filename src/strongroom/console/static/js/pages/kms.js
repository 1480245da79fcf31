// KMS: keys with filters, create (every key spec), a key's page: state, rotation, deletion, aliases, key policy
// editor (the server validates the policy), and a try-it panel (encrypt/decrypt, sign/verify, MAC).
import { call, toBase64, fromBase64 } from "../api.js";
import { h, field, select, messages, act, table, when, section, link } from "../ui.js";
import { importPanel, replicasPanel } from "./kms_more.js";

const KEY_SPECS = ["SYMMETRIC_DEFAULT", "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384",
  "ECC_NIST_P521", "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512", "SM2",
  "ML_DSA_44", "ML_DSA_65", "ML_DSA_87", "ML_KEM_512", "ML_KEM_768", "ML_KEM_1024"];
const USAGES = ["ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT", "ENCAPSULATE_DECAPSULATE"];
const STATES = ["", "Enabled", "Disabled", "PendingDeletion", "PendingImport", "Unavailable"];
// The usage a spec defaults to in the form (the server still decides what is valid).
function defaultUsage(spec) {
  if (spec === "SYMMETRIC_DEFAULT") return "ENCRYPT_DECRYPT";
  if (spec.startsWith("HMAC")) return "GENERATE_VERIFY_MAC";
  if (spec.startsWith("ML_KEM")) return "ENCAPSULATE_DECAPSULATE";
  return "SIGN_VERIFY";
}

export async function render(view, params) {
  if (params[0]) return renderKey(view, params[0]);
  return renderList(view);
}

// A key the signed-in principal may list but not describe (a key policy denying it, a key being deleted by another
// call) is shown by its id with what the error says, instead of failing the whole page.
async function describeAll(ids) {
  return Promise.all(ids.map((id) => call("kms", "DescribeKey", { KeyId: id })
    .then((r) => r.KeyMetadata)
    .catch((err) => ({ KeyId: id, KeyState: `(${err.code || "error"})`, KeyManager: "" }))));
}

async function renderList(view) {
  const box = messages();
  const aliases = {};
  let aliasMarker;
  do {
    const page = await call("kms", "ListAliases", aliasMarker ? { Marker: aliasMarker } : {});
    for (const a of page.Aliases || []) if (a.TargetKeyId) (aliases[a.TargetKeyId] ||= []).push(a.AliasName);
    aliasMarker = page.Truncated ? page.NextMarker : undefined;
  } while (aliasMarker);
  const keys = [];
  const text = h("input", { type: "search", name: "filter" });
  const state = select(STATES.map((s) => [s, s || "Any state"]), "", { name: "state" });
  const spec = select([["", "Any key spec"], ...KEY_SPECS.map((s) => [s, s])], "", { name: "spec" });
  const managerSel = select([["CUSTOMER", "Customer managed"], ["AWS", "AWS managed"], ["", "Both"]], "CUSTOMER", { name: "manager" });
  const listArea = h("div", {});
  const more = h("button", { type: "button", class: "secondary", text: "Load more keys", hidden: true });
  let marker;

  const draw = () => {
    const q = text.value.trim().toLowerCase();
    const shown = keys.filter((k) =>
      (!state.value || k.KeyState === state.value) &&
      (!spec.value || k.KeySpec === spec.value) &&
      (!managerSel.value || k.KeyManager === managerSel.value) &&
      (!q || [k.KeyId, k.Description, ...(aliases[k.KeyId] || [])].join(" ").toLowerCase().includes(q)));
    listArea.replaceChildren(
      table(`${shown.length} of ${keys.length} loaded keys`, [
        { title: "Aliases", cell: (k) => (aliases[k.KeyId] || []).join(", ") },
        { title: "Key ID", cell: (k) => link(`#/kms/${encodeURIComponent(k.KeyId)}`, k.KeyId) },
        { title: "State", cell: (k) => k.KeyState },
        { title: "Key spec", cell: (k) => k.KeySpec },
        { title: "Usage", cell: (k) => k.KeyUsage },
        { title: "Description", cell: (k) => k.Description || "" },
        { title: "Created", cell: (k) => when(k.CreationDate) },
      ], shown),
    );
    return shown.length;
  };
  const load = async () => {
    const page = await call("kms", "ListKeys", marker ? { Limit: 50, Marker: marker } : { Limit: 50 });
    keys.push(...(await describeAll((page.Keys || []).map((k) => k.KeyId))));
    marker = page.Truncated ? page.NextMarker : undefined;
    more.hidden = !marker;
    draw();
  };
  // A filter that matches none of the loaded keys goes on to the next pages (at most 20 more, 1,000 keys) until one
  // matches: the list is paged by ListKeys, the filter would otherwise only ever see its first page.
  let searching = false;
  const searchOn = async () => {
    if (searching) return;
    searching = true;
    try {
      for (let n = 0; n < 20 && marker && draw() === 0; n++) await load();
    } finally {
      searching = false;
    }
  };
  for (const control of [state, spec, managerSel]) control.addEventListener("input", draw);
  text.addEventListener("input", () => { if (draw() === 0 && marker) act(more, box, searchOn); });
  more.addEventListener("click", () => act(more, box, load));
  await load();
  view.replaceChildren(
    h("h1", { text: "KMS keys" }),
    box,
    createForm(view),
    section("Keys",
      h("div", { class: "row" }, field("Filter by ID, alias or description", text), field("State", state),
        field("Key spec", spec), field("Managed by", managerSel)),
      listArea, more),
  );
}

function createForm(view) {
  const box = messages();
  const spec = select(KEY_SPECS, "SYMMETRIC_DEFAULT", { name: "key-spec" });
  const usage = select(USAGES, "ENCRYPT_DECRYPT", { name: "key-usage" });
  spec.addEventListener("change", () => { usage.value = defaultUsage(spec.value); });
  const description = h("input", { name: "description" });
  const alias = h("input", { name: "alias", placeholder: "alias/my-key" });
  const multi = h("input", { type: "checkbox", name: "multi-region" });
  const origin = select([["AWS_KMS", "KMS (generated)"], ["EXTERNAL", "External (import key material)"]], "AWS_KMS", { name: "origin" });
  const submit = h("button", { type: "submit", text: "Create key" });
  const form = h("form", {},
    h("div", { class: "row" }, field("Key spec", spec), field("Key usage", usage)),
    field("Description", description),
    field("Alias (optional)", alias),
    field("Key material origin", origin),
    h("div", { class: "field" }, h("label", {}, multi, " Multi-Region key")),
    h("div", { class: "actions" }, submit), box);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(submit, box, async () => {
      const request = { KeySpec: spec.value, KeyUsage: usage.value, Description: description.value };
      if (multi.checked) request.MultiRegion = true;
      if (origin.value !== "AWS_KMS") request.Origin = origin.value;
      const created = (await call("kms", "CreateKey", request)).KeyMetadata;
      if (alias.value.trim()) await call("kms", "CreateAlias", { AliasName: alias.value.trim(), TargetKeyId: created.KeyId });
      location.hash = `#/kms/${encodeURIComponent(created.KeyId)}`;
    });
  });
  return section("Create a key", form);
}

async function renderKey(view, keyId) {
  const meta = (await call("kms", "DescribeKey", { KeyId: keyId })).KeyMetadata;
  const id = meta.KeyId;
  const reload = () => renderKey(view, id);
  const box = messages();
  const button = (label, action, cls) => {
    const b = h("button", { type: "button", class: cls, text: label });
    b.addEventListener("click", () => act(b, box, async () => { await action(); await reload(); }));
    return b;
  };
  const actions = h("div", { class: "actions" });
  const customer = meta.KeyManager === "CUSTOMER";
  if (customer && meta.KeyState === "Enabled") actions.append(button("Disable key", () => call("kms", "DisableKey", { KeyId: id }), "secondary"));
  if (customer && meta.KeyState === "Disabled") actions.append(button("Enable key", () => call("kms", "EnableKey", { KeyId: id })));
  if (customer && meta.KeyState === "PendingDeletion") {
    actions.append(button("Cancel key deletion", () => call("kms", "CancelKeyDeletion", { KeyId: id })));
  } else if (customer) {
    const days = h("input", { type: "number", min: "7", max: "30", value: "30", name: "pending-days" });
    actions.append(field("Waiting period (days)", days),
      button("Schedule key deletion", () => call("kms", "ScheduleKeyDeletion", { KeyId: id, PendingWindowInDays: Number(days.value) }), "danger"));
  }
  const facts = h("dl", { class: "facts" });
  const fact = (k, v) => v !== undefined && v !== "" && facts.append(h("dt", { text: k }), h("dd", { text: String(v) }));
  fact("ARN", meta.Arn);
  fact("State", meta.KeyState);
  fact("Key spec", meta.KeySpec);
  fact("Key usage", meta.KeyUsage);
  fact("Managed by", meta.KeyManager);
  fact("Origin", meta.Origin);
  fact("Description", meta.Description);
  fact("Created", when(meta.CreationDate));
  if (meta.DeletionDate) fact("Deletion date", when(meta.DeletionDate));
  if (meta.MultiRegion) fact("Multi-Region", "yes");

  view.replaceChildren(
    h("p", {}, link("#/kms", "← All keys")),
    h("h1", { text: `Key ${id}` }),
    box,
    section("Configuration", facts, actions),
    importPanel(meta, reload),
    replicasPanel(meta, reload),
    await rotationPanel(meta, reload),
    await aliasPanel(meta, reload),
    await policyPanel(meta),
    await grantsPanel(meta, reload),
    tryItPanel(meta),
  );
}

async function rotationPanel(meta, reload) {
  if (meta.KeySpec !== "SYMMETRIC_DEFAULT" || meta.Origin !== "AWS_KMS") return "";
  const box = messages();
  let status;
  try {
    status = await call("kms", "GetKeyRotationStatus", { KeyId: meta.KeyId });
  } catch (err) {
    box.error(err);
    return section("Key rotation", box);
  }
  const days = h("input", { type: "number", min: "90", max: "2560", value: String(status.RotationPeriodInDays || 365), name: "rotation-days" });
  const toggle = h("button", { type: "button", text: status.KeyRotationEnabled ? "Disable automatic rotation" : "Enable automatic rotation" });
  toggle.addEventListener("click", () => act(toggle, box, async () => {
    if (status.KeyRotationEnabled) await call("kms", "DisableKeyRotation", { KeyId: meta.KeyId });
    else await call("kms", "EnableKeyRotation", { KeyId: meta.KeyId, RotationPeriodInDays: Number(days.value) });
    await reload();
  }));
  const now = h("button", { type: "button", class: "secondary", text: "Rotate now" });
  now.addEventListener("click", () => act(now, box, async () => {
    await call("kms", "RotateKeyOnDemand", { KeyId: meta.KeyId });
    box.ok("On-demand rotation started.");
  }));
  const rotations = await call("kms", "ListKeyRotations", { KeyId: meta.KeyId }).catch(() => ({ Rotations: [] }));
  return section("Key rotation",
    h("p", { text: status.KeyRotationEnabled ? `Automatic rotation every ${status.RotationPeriodInDays} days; next ${when(status.NextRotationDate)}.` : "Automatic rotation is off." }),
    h("div", { class: "row" }, field("Rotation period (days)", days), toggle, now), box,
    table("Completed rotations", [
      { title: "Date", cell: (r) => when(r.RotationDate) },
      { title: "Type", cell: (r) => r.RotationType },
    ], rotations.Rotations || []));
}

async function aliasPanel(meta, reload) {
  const box = messages();
  const mine = (await call("kms", "ListAliases", { KeyId: meta.KeyId })).Aliases || [];
  const name = h("input", { name: "new-alias", placeholder: "alias/name" });
  const add = h("button", { type: "button", text: "Add alias" });
  add.addEventListener("click", () => act(add, box, async () => {
    await call("kms", "CreateAlias", { AliasName: name.value.trim(), TargetKeyId: meta.KeyId });
    await reload();
  }));
  return section("Aliases",
    table("Aliases of this key", [
      { title: "Alias", cell: (a) => a.AliasName },
      { title: "", cell: (a) => {
        const del = h("button", { type: "button", class: "secondary", text: `Delete ${a.AliasName}` });
        del.addEventListener("click", () => act(del, box, async () => { await call("kms", "DeleteAlias", { AliasName: a.AliasName }); await reload(); }));
        return del;
      } },
    ], mine),
    h("div", { class: "row" }, field("New alias", name), add), box);
}

async function policyPanel(meta) {
  const box = messages();
  const { Policy } = await call("kms", "GetKeyPolicy", { KeyId: meta.KeyId, PolicyName: "default" });
  let pretty = Policy;
  try { pretty = JSON.stringify(JSON.parse(Policy), null, 2); } catch { /* shown as stored */ }
  const editor = h("textarea", { name: "key-policy", rows: "16", spellcheck: "false" });
  editor.value = pretty;
  const save = h("button", { type: "button", text: "Save key policy" });
  save.addEventListener("click", () => act(save, box, async () => {
    // sent as typed: the server's own validation answers (MalformedPolicyDocumentException with AWS's text)
    await call("kms", "PutKeyPolicy", { KeyId: meta.KeyId, PolicyName: "default", Policy: editor.value });
    box.ok("Key policy saved.");
  }));
  return section("Key policy", field("Policy document (JSON)", editor), h("div", { class: "actions" }, save), box);
}

function tryItPanel(meta) {
  const box = messages();
  const input = h("textarea", { name: "try-input", rows: "3" });
  const output = h("textarea", { name: "try-output", rows: "3", readonly: true });
  const buttons = h("div", { class: "actions" });
  const extras = [];
  const op = (label, action) => {
    const b = h("button", { type: "button", text: label });
    b.addEventListener("click", () => act(b, box, async () => { output.value = await action(input.value); }));
    buttons.append(b);
  };
  const usage = meta.KeyUsage;
  if (usage === "ENCRYPT_DECRYPT") {
    const algorithm = (meta.EncryptionAlgorithms || [])[meta.KeySpec === "SYMMETRIC_DEFAULT" ? 0 : (meta.EncryptionAlgorithms || []).length - 1];
    op("Encrypt", async (text) => (await call("kms", "Encrypt", { KeyId: meta.KeyId, Plaintext: toBase64(text), EncryptionAlgorithm: algorithm })).CiphertextBlob);
    op("Decrypt", async (b64) => fromBase64((await call("kms", "Decrypt", { KeyId: meta.KeyId, CiphertextBlob: b64.trim(), EncryptionAlgorithm: algorithm })).Plaintext));
  } else if (usage === "SIGN_VERIFY") {
    const algorithm = (meta.SigningAlgorithms || [])[0];
    const signature = h("textarea", { name: "try-signature", rows: "2" });
    op("Sign", async (text) => {
      signature.value = (await call("kms", "Sign", { KeyId: meta.KeyId, Message: toBase64(text), MessageType: "RAW", SigningAlgorithm: algorithm })).Signature;
      return `Signed with ${algorithm}.`;
    });
    op("Verify", async (text) => {
      const r = await call("kms", "Verify", { KeyId: meta.KeyId, Message: toBase64(text), MessageType: "RAW", Signature: signature.value.trim(), SigningAlgorithm: algorithm });
      return r.SignatureValid ? "Signature is valid." : "Signature is not valid.";
    });
    extras.push(field("Signature (base64)", signature));
  } else if (usage === "GENERATE_VERIFY_MAC") {
    const algorithm = (meta.MacAlgorithms || [])[0];
    op("Generate MAC", async (text) => (await call("kms", "GenerateMac", { KeyId: meta.KeyId, Message: toBase64(text), MacAlgorithm: algorithm })).Mac);
  } else {
    return "";
  }
  return section("Try it", field("Input (text, or base64 ciphertext to decrypt)", input), ...extras, buttons, field("Output", output), box);
}

async function grantsPanel(meta, reload) {
  const box = messages();
  const grants = [];
  let marker;
  do {
    const page = await call("kms", "ListGrants", { KeyId: meta.KeyId, Limit: 100, ...(marker ? { Marker: marker } : {}) });
    grants.push(...(page.Grants || []));
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  const grantee = h("input", { name: "grantee", placeholder: "arn:aws:iam::111122223333:role/app" });
  const operations = h("input", { name: "grant-operations", value: "Encrypt, Decrypt" });
  const add = h("button", { type: "button", text: "Create grant" });
  add.addEventListener("click", () => act(add, box, async () => {
    const ops = operations.value.split(",").map((o) => o.trim()).filter(Boolean);
    await call("kms", "CreateGrant", { KeyId: meta.KeyId, GranteePrincipal: grantee.value.trim(), Operations: ops });
    await reload();
  }));
  return section("Grants",
    table("Grants on this key", [
      { title: "Grant ID", cell: (g) => g.GrantId },
      { title: "Grantee", cell: (g) => g.GranteePrincipal || "" },
      { title: "Operations", cell: (g) => (g.Operations || []).join(", ") },
      { title: "Created", cell: (g) => when(g.CreationDate) },
      { title: "", cell: (g) => {
        const b = h("button", { type: "button", class: "secondary", text: "Revoke" });
        b.setAttribute("aria-label", `Revoke grant ${g.GrantId}`);
        b.addEventListener("click", () => act(b, box, async () => { await call("kms", "RevokeGrant", { KeyId: meta.KeyId, GrantId: g.GrantId }); await reload(); }));
        return b;
      } },
    ], grants),
    h("div", { class: "row" }, field("Grantee principal", grantee), field("Operations (comma-separated)", operations), add), box);
}
