// Secrets Manager, a secret's page continued: its resource policy (validated by ValidateResourcePolicy, saved with
// PutResourcePolicy, deleted), deletion with a recovery window and restore, and replication to other Regions (the
// replicas' status followed every 2 seconds while one is InProgress).
import { call } from "../api.js";
import { h, field, select, messages, act, table, when, section, progress, poll } from "../ui.js";

const REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1", "ap-northeast-1"];

export async function policyPanel(secret) {
  const box = messages();
  const results = h("div", { id: "policy-validation" });
  let current;
  try {
    current = (await call("secretsmanager", "GetResourcePolicy", { SecretId: secret.ARN })).ResourcePolicy;
  } catch (err) {
    box.error(err);
    return section("Resource policy", box);
  }
  let pretty = current || "";
  try { if (pretty) pretty = JSON.stringify(JSON.parse(pretty), null, 2); } catch { /* shown as stored */ }
  const editor = h("textarea", { name: "resource-policy", rows: "12", spellcheck: "false" });
  editor.value = pretty;
  const block = h("input", { type: "checkbox", name: "block-public-policy", checked: true });
  const validate = h("button", { type: "button", class: "secondary", text: "Validate policy" });
  validate.addEventListener("click", () => act(validate, box, async () => {
    const answer = await call("secretsmanager", "ValidateResourcePolicy", { SecretId: secret.ARN, ResourcePolicy: editor.value });
    results.replaceChildren(
      h("p", { class: answer.PolicyValidationPassed ? "ok" : "error", text: answer.PolicyValidationPassed ? "Validation passed." : "Validation failed." }),
      (answer.ValidationErrors || []).length ? table("Validation errors", [
        { title: "Check", cell: (e) => e.CheckName || "" },
        { title: "Message", cell: (e) => e.ErrorMessage || "" },
      ], answer.ValidationErrors) : "",
    );
  }));
  const has = h("p", { id: "policy-state", text: current ? "This secret has a resource policy." : "This secret has no resource policy." });
  const save = h("button", { type: "button", text: "Save resource policy" });
  save.addEventListener("click", () => act(save, box, async () => {
    // sent as typed: the server answers MalformedPolicyDocumentException / PublicPolicyException in AWS's words
    await call("secretsmanager", "PutResourcePolicy", { SecretId: secret.ARN, ResourcePolicy: editor.value, BlockPublicPolicy: block.checked });
    remove.hidden = false;
    has.textContent = "This secret has a resource policy.";
    box.ok("Resource policy saved.");
  }));
  const remove = h("button", { type: "button", class: "danger", text: "Delete resource policy", hidden: !current });
  remove.addEventListener("click", () => act(remove, box, async () => {
    await call("secretsmanager", "DeleteResourcePolicy", { SecretId: secret.ARN });
    editor.value = "";
    remove.hidden = true;
    results.replaceChildren();
    has.textContent = "This secret has no resource policy.";
    box.ok("Resource policy deleted.");
  }));
  return section("Resource policy",
    has,
    field("Policy document (JSON)", editor),
    h("div", { class: "field" }, h("label", {}, block, " Block public policy (refuse a policy that grants broad access)")),
    h("div", { class: "actions" }, validate, save, remove), results, box);
}

export function deletionPanel(secret, reload) {
  const box = messages();
  if (secret.DeletedDate) {
    const restore = h("button", { type: "button", text: "Cancel deletion (restore secret)" });
    restore.addEventListener("click", () => act(restore, box, async () => {
      await call("secretsmanager", "RestoreSecret", { SecretId: secret.ARN });
      await reload();
    }));
    return section("Deletion",
      h("p", { id: "deletion-state", text: `Scheduled for deletion on ${when(secret.DeletedDate)}. Until then it can be restored; meanwhile its value cannot be read.` }),
      h("div", { class: "actions" }, restore), box);
  }
  const days = h("input", { type: "number", name: "recovery-days", min: "7", max: "30", value: "30" });
  const force = h("input", { type: "checkbox", name: "force-delete" });
  const remove = h("button", { type: "button", class: "danger", text: "Schedule deletion" });
  remove.addEventListener("click", () => act(remove, box, async () => {
    const request = { SecretId: secret.ARN };
    if (force.checked) request.ForceDeleteWithoutRecovery = true;
    else request.RecoveryWindowInDays = Number(days.value);
    await call("secretsmanager", "DeleteSecret", request);
    if (force.checked) location.hash = "#/secrets";
    else await reload();
  }));
  return section("Deletion",
    h("div", { class: "row" }, field("Recovery window (days)", days, "7 to 30 days; the secret can be restored until then."),
      h("div", { class: "field" }, h("label", {}, force, " Delete now, without recovery"))),
    h("div", { class: "actions" }, remove), box);
}

export function replicasPanel(secret, reload) {
  const box = messages();
  const statusArea = h("div", {});
  const draw = (status) => {
    const busy = status.filter((r) => r.Status === "InProgress").length;
    statusArea.replaceChildren(
      table("Replica regions", [
        { title: "Region", cell: (r) => r.Region },
        { title: "Status", cell: (r) => r.Status },
        { title: "Message", cell: (r) => r.StatusMessage || "" },
        { title: "Key", cell: (r) => r.KmsKeyId || "" },
        { title: "Last accessed", cell: (r) => when(r.LastAccessedDate) },
      ], status),
      busy ? progress("Replicating", `Replicating to ${busy} Region(s)… checking again every 2 seconds.`) : "",
    );
    return busy > 0;
  };
  const panel = section("Replicas", statusArea);
  if (draw(secret.ReplicationStatus || [])) {
    poll(panel, async () => draw((await call("secretsmanager", "DescribeSecret", { SecretId: secret.ARN })).ReplicationStatus || []));
  }
  if (secret.PrimaryRegion && secret.PrimaryRegion !== (secret.ARN.split(":")[3])) {
    panel.append(h("p", { text: `This is a replica of the secret in ${secret.PrimaryRegion}; it is read-only here.` }));
    return panel;
  }
  const region = select(REGIONS, REGIONS.find((r) => r !== secret.ARN.split(":")[3]), { name: "secret-replica-region" });
  const key = h("input", { name: "secret-replica-key", placeholder: "aws/secretsmanager" });
  const add = h("button", { type: "button", text: "Replicate secret" });
  add.addEventListener("click", () => act(add, box, async () => {
    const entry = { Region: region.value };
    if (key.value.trim()) entry.KmsKeyId = key.value.trim();
    await call("secretsmanager", "ReplicateSecretToRegions", { SecretId: secret.ARN, AddReplicaRegions: [entry] });
    await reload();
  }));
  panel.append(h("div", { class: "row" }, field("Replica Region", region), field("KMS key in that Region (optional)", key), add), box);
  return panel;
}
