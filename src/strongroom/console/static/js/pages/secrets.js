// Secrets Manager: list (paginated), create, a secret's page: versions and staging labels, the value only on an
// explicit "Retrieve" click (and hidden again on demand), rotate now, the rotation configuration (function and
// schedule; turned off with CancelRotateSecret) and the rotation history from the CloudTrail event history.
import { call } from "../api.js";
import { h, field, messages, act, table, when, section, link, select } from "../ui.js";
import { policyPanel, deletionPanel, replicasPanel } from "./secrets_more.js";

export async function render(view, params) {
  if (params[0]) return renderSecret(view, params[0]);
  return renderList(view);
}

async function renderList(view) {
  const box = messages();
  const secrets = [];
  const listArea = h("div", {});
  const more = h("button", { type: "button", class: "secondary", text: "Load more secrets", hidden: true });
  const filter = h("input", { type: "search", name: "filter" });
  let token;
  const load = async () => {
    const request = { MaxResults: 25 };
    if (token) request.NextToken = token;
    if (filter.value.trim()) request.Filters = [{ Key: "all", Values: [filter.value.trim()] }];
    const page = await call("secretsmanager", "ListSecrets", request);
    secrets.push(...(page.SecretList || []));
    token = page.NextToken;
    more.hidden = !token;
    listArea.replaceChildren(table(`${secrets.length} secrets`, [
      { title: "Name", cell: (s) => link(`#/secrets/${encodeURIComponent(s.ARN)}`, s.Name) },
      { title: "Description", cell: (s) => s.Description || "" },
      { title: "Rotation", cell: (s) => (s.RotationEnabled ? "on" : "off") },
      { title: "Last changed", cell: (s) => when(s.LastChangedDate) },
    ], secrets));
  };
  const search = h("button", { type: "button", class: "secondary", text: "Search" });
  search.addEventListener("click", () => act(search, box, async () => { secrets.length = 0; token = undefined; await load(); }));
  more.addEventListener("click", () => act(more, box, load));
  await load();
  view.replaceChildren(h("h1", { text: "Secrets Manager" }), box, createForm(),
    section("Secrets", h("div", { class: "row" }, field("Filter (name, description, tags)", filter), search), listArea, more));
}

function createForm() {
  const box = messages();
  const name = h("input", { name: "secret-name", required: true });
  const description = h("input", { name: "secret-description" });
  const value = h("textarea", { name: "secret-value", rows: "4", spellcheck: "false" });
  const submit = h("button", { type: "submit", text: "Store secret" });
  const form = h("form", {}, field("Name", name), field("Description", description),
    field("Secret value", value, "Plain text or JSON; stored encrypted under the account's Secrets Manager key."),
    h("div", { class: "actions" }, submit), box);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(submit, box, async () => {
      const request = { Name: name.value.trim(), SecretString: value.value, ClientRequestToken: crypto.randomUUID() };
      if (description.value) request.Description = description.value;
      const created = await call("secretsmanager", "CreateSecret", request);
      value.value = "";
      location.hash = `#/secrets/${encodeURIComponent(created.ARN)}`;
    });
  });
  return section("Store a new secret", form);
}

async function renderSecret(view, secretId) {
  const box = messages();
  const secret = await call("secretsmanager", "DescribeSecret", { SecretId: secretId });
  const reload = () => renderSecret(view, secretId);
  const facts = h("dl", { class: "facts" });
  const fact = (k, v) => v !== undefined && v !== "" && facts.append(h("dt", { text: k }), h("dd", { text: String(v) }));
  fact("ARN", secret.ARN);
  fact("Description", secret.Description);
  fact("Encryption key", secret.KmsKeyId || "aws/secretsmanager");
  fact("Rotation", secret.RotationEnabled ? `every ${secret.RotationRules?.AutomaticallyAfterDays ?? "?"} days` : "off");
  fact("Rotation function", secret.RotationLambdaARN);
  fact("Last rotated", when(secret.LastRotatedDate));
  fact("Next rotation", when(secret.NextRotationDate));
  fact("Created", when(secret.CreatedDate));
  if (secret.DeletedDate) fact("Scheduled deletion", when(secret.DeletedDate));

  const versions = [];
  let token;
  do {
    const page = await call("secretsmanager", "ListSecretVersionIds", { SecretId: secretId, IncludeDeprecated: true, ...(token ? { NextToken: token } : {}) });
    versions.push(...(page.Versions || []));
    token = page.NextToken;
  } while (token);

  const valueBox = messages();
  const shown = h("div", {});
  const version = select(
    [["AWSCURRENT", "AWSCURRENT"], ["AWSPENDING", "AWSPENDING"], ["AWSPREVIOUS", "AWSPREVIOUS"],
      ...versions.map((v) => [`id:${v.VersionId}`, `version ${v.VersionId}`])], "AWSCURRENT", { name: "version" });
  const retrieve = h("button", { type: "button", text: "Retrieve secret value" });
  const hide = h("button", { type: "button", class: "secondary", text: "Hide value", hidden: true });
  retrieve.addEventListener("click", () => act(retrieve, valueBox, async () => {
    const request = { SecretId: secret.ARN };
    if (version.value.startsWith("id:")) request.VersionId = version.value.slice(3);
    else request.VersionStage = version.value;
    const value = await call("secretsmanager", "GetSecretValue", request);
    const text = value.SecretString ?? `(binary, ${value.SecretBinary?.length ?? 0} base64 characters)`;
    shown.replaceChildren(h("pre", { id: "secret-value", tabindex: "0", "aria-label": "Secret value", text }));
    hide.hidden = false;
  }));
  hide.addEventListener("click", () => { shown.replaceChildren(); hide.hidden = true; });

  const rotate = h("button", { type: "button", class: "secondary", text: "Rotate secret now" });
  rotate.addEventListener("click", () => act(rotate, box, async () => {
    await call("secretsmanager", "RotateSecret", { SecretId: secret.ARN, RotateImmediately: true, ClientRequestToken: crypto.randomUUID() });
    await reload();
  }));

  view.replaceChildren(
    h("p", {}, link("#/secrets", "← All secrets")),
    h("h1", { text: secret.Name }),
    box,
    section("Details", facts, h("div", { class: "actions" }, rotate)),
    rotationPanel(secret, reload),
    await historyPanel(secret),
    section("Secret value", h("div", { class: "row" }, field("Version", version), retrieve, hide), valueBox, shown),
    replicasPanel(secret, reload),
    section("Versions", table("Versions and staging labels", [
      { title: "Version ID", cell: (v) => v.VersionId },
      { title: "Staging labels", cell: (v) => (v.VersionStages || []).join(", ") || "(deprecated)" },
      { title: "Created", cell: (v) => when(v.CreatedDate) },
      { title: "Last accessed", cell: (v) => when(v.LastAccessedDate) },
    ], versions)),
    await policyPanel(secret),
    deletionPanel(secret, reload),
  );
}

// The rotation configuration: RotateSecret with the function and schedule (RotateImmediately false: saving does not
// rotate), CancelRotateSecret to turn it off. The server validates both (a function it cannot find, a schedule
// outside 4 hours..1000 days) and its message is shown.
function rotationPanel(secret, reload) {
  const box = messages();
  const fn = h("input", { name: "rotation-lambda", value: secret.RotationLambdaARN || "", placeholder: "arn:aws:lambda:…:function:…" });
  const rules = secret.RotationRules || {};
  const days = h("input", { name: "rotation-days", type: "number", min: "1", max: "1000", value: rules.ScheduleExpression ? "" : String(rules.AutomaticallyAfterDays ?? 30) });
  const expression = h("input", { name: "rotation-expression", value: rules.ScheduleExpression || "", placeholder: "rate(10 days) or cron(0 8 1 * ? *)" });
  const save = h("button", { type: "button", text: "Save rotation" });
  save.addEventListener("click", () => act(save, box, async () => {
    const rotationRules = expression.value.trim() ? { ScheduleExpression: expression.value.trim() } : { AutomaticallyAfterDays: Number(days.value) };
    await call("secretsmanager", "RotateSecret", { SecretId: secret.ARN, RotationLambdaARN: fn.value.trim(), RotationRules: rotationRules, RotateImmediately: false });
    await reload();
    document.querySelector("[name=rotation-lambda]")?.closest("section")?.querySelector(".messages")?.replaceChildren(h("p", { class: "ok", text: "Rotation saved." }));
  }));
  const off = h("button", { type: "button", class: "secondary", text: "Turn off rotation", hidden: !secret.RotationEnabled });
  off.addEventListener("click", () => act(off, box, async () => {
    await call("secretsmanager", "CancelRotateSecret", { SecretId: secret.ARN });
    await reload();
  }));
  return section("Rotation configuration", field("Rotation function (Lambda ARN)", fn),
    h("div", { class: "row" }, field("Every (days)", days), field("Or schedule expression", expression, "Overrides the days when set.")),
    h("div", { class: "actions" }, save, off), box);
}

const ROTATION_EVENTS = new Set(["RotateSecret", "CancelRotateSecret", "RotationStarted", "RotationSucceeded", "RotationFailed", "RotationAbandoned"]);

// What happened to the secret's rotations, newest first: the RotateSecret calls and the service's own
// RotationStarted / RotationSucceeded / RotationFailed records, as the CloudTrail event history holds them.
async function historyPanel(secret) {
  const rows = [];
  let token;
  let pages = 0;
  try {
    do {
      const page = await call("cloudtrail", "LookupEvents", {
        LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: secret.ARN }], MaxResults: 50, ...(token ? { NextToken: token } : {}),
      });
      for (const e of page.Events || []) {
        if (!ROTATION_EVENTS.has(e.EventName)) continue;
        let detail = "";
        try {
          const record = JSON.parse(e.CloudTrailEvent || "{}");
          detail = record.errorMessage || record.serviceEventDetails?.reason || "";
        } catch { /* no detail */ }
        rows.push({ time: e.EventTime, name: e.EventName, who: e.Username || "", detail });
      }
      token = page.NextToken;
    } while (token && ++pages < 10);
  } catch (err) {
    const box = messages();
    box.error(err);
    return section("Rotation history", box);
  }
  return section("Rotation history", table("Rotation events (CloudTrail)", [
    { title: "Time", cell: (r) => when(r.time) },
    { title: "Event", cell: (r) => r.name },
    { title: "By", cell: (r) => r.who },
    { title: "Detail", cell: (r) => r.detail },
  ], rows));
}
