// IAM: users, roles and customer managed policies, the policy simulator (SimulatePrincipalPolicy), and the policy
// editor: create a policy, edit it as a new default version, attach and detach it — each sent as typed, so the
// server's own validation (MalformedPolicyDocument, LimitExceeded) answers.
import { query, members, xmlText } from "../api.js";
import { h, field, messages, act, table, when, section, select, link } from "../ui.js";

async function listAll(action, listName, params = {}) {
  const items = [];
  let marker;
  let pages = 0;
  do {
    const doc = await query("iam", action, { ...params, MaxItems: "100", ...(marker ? { Marker: marker } : {}) });
    items.push(...members(doc, listName));
    marker = xmlText(doc, "IsTruncated") === "true" ? xmlText(doc, "Marker") : undefined;
  } while (marker && ++pages < 20);
  return items;
}

export async function render(view, params) {
  if (params[0] === "policy" && params[1]) return renderPolicy(view, params[1]);
  const [users, roles, policies] = await Promise.all([
    listAll("ListUsers", "Users"),
    listAll("ListRoles", "Roles"),
    listAll("ListPolicies", "Policies", { Scope: "Local" }),
  ]);
  view.replaceChildren(
    h("h1", { text: "IAM" }),
    simulator(users, roles),
    createPolicyForm(),
    section("Users", table(`${users.length} users`, [
      { title: "Name", cell: (u) => u.UserName },
      { title: "Path", cell: (u) => u.Path },
      { title: "ARN", cell: (u) => u.Arn },
      { title: "Created", cell: (u) => when(u.CreateDate) },
    ], users)),
    section("Roles", table(`${roles.length} roles`, [
      { title: "Name", cell: (r) => r.RoleName },
      { title: "ARN", cell: (r) => r.Arn },
      { title: "Max session (s)", cell: (r) => r.MaxSessionDuration || "" },
      { title: "Created", cell: (r) => when(r.CreateDate) },
    ], roles)),
    section("Customer managed policies", table(`${policies.length} policies`, [
      { title: "Name", cell: (p) => link(`#/iam/policy/${encodeURIComponent(p.Arn)}`, p.PolicyName) },
      { title: "Attachments", cell: (p) => p.AttachmentCount },
      { title: "Default version", cell: (p) => p.DefaultVersionId },
      { title: "ARN", cell: (p) => p.Arn },
    ], policies)),
  );
}

function simulator(users, roles) {
  const box = messages();
  const principals = [...users.map((u) => [u.Arn, `user ${u.UserName}`]), ...roles.map((r) => [r.Arn, `role ${r.RoleName}`])];
  if (principals.length === 0) return "";
  const principal = select(principals, principals[0][0], { name: "sim-principal" });
  const actions = h("input", { name: "sim-actions", value: "kms:Encrypt, secretsmanager:GetSecretValue" });
  const resource = h("input", { name: "sim-resource", value: "*" });
  const run = h("button", { type: "submit", text: "Simulate" });
  const results = h("div", {});
  const form = h("form", {}, field("Principal", principal), field("Actions (comma-separated)", actions),
    field("Resource ARN", resource), h("div", { class: "actions" }, run), box, results);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(run, box, async () => {
      const params = { PolicySourceArn: principal.value };
      actions.value.split(",").map((a) => a.trim()).filter(Boolean).forEach((a, i) => { params[`ActionNames.member.${i + 1}`] = a; });
      params["ResourceArns.member.1"] = resource.value.trim() || "*";
      const doc = await query("iam", "SimulatePrincipalPolicy", params);
      const rows = members(doc, "EvaluationResults");
      results.replaceChildren(table("Simulation results", [
        { title: "Action", cell: (r) => r.EvalActionName },
        { title: "Resource", cell: (r) => r.EvalResourceName },
        { title: "Decision", cell: (r) => r.EvalDecision },
        { title: "Matched statements", cell: (r) => (r.MatchedStatements instanceof Element ? Array.from(r.MatchedStatements.getElementsByTagName("SourcePolicyId"), (e) => e.textContent).join(", ") : "") },
      ], rows));
    });
  });
  return section("Policy simulator", form);
}

const EXAMPLE_POLICY = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:DescribeKey", Resource: "*" }] };

function createPolicyForm() {
  const box = messages();
  const name = h("input", { name: "policy-name", required: true });
  const editor = h("textarea", { name: "policy-document", rows: "10", spellcheck: "false" });
  editor.value = JSON.stringify(EXAMPLE_POLICY, null, 2);
  const create = h("button", { type: "submit", text: "Create policy" });
  const form = h("form", {}, field("Policy name", name), field("Policy document (JSON)", editor), h("div", { class: "actions" }, create), box);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(create, box, async () => {
      const doc = await query("iam", "CreatePolicy", { PolicyName: name.value.trim(), PolicyDocument: editor.value });
      location.hash = `#/iam/policy/${encodeURIComponent(xmlText(doc, "Arn"))}`;
    });
  });
  return section("Create a customer managed policy", form);
}

function pretty(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

async function renderPolicy(view, arn) {
  const box = messages();
  const policy = (await query("iam", "GetPolicy", { PolicyArn: arn })).getElementsByTagName("Policy")[0];
  const attr = (name) => policy.getElementsByTagName(name)[0]?.textContent || "";
  const defaultVersion = attr("DefaultVersionId");
  const [versionDoc, versionsDoc, entitiesDoc, users, roles] = await Promise.all([
    query("iam", "GetPolicyVersion", { PolicyArn: arn, VersionId: defaultVersion }),
    query("iam", "ListPolicyVersions", { PolicyArn: arn }),
    query("iam", "ListEntitiesForPolicy", { PolicyArn: arn }),
    listAll("ListUsers", "Users"),
    listAll("ListRoles", "Roles"),
  ]);
  const reload = async (message) => {
    await renderPolicy(view, arn);
    view.querySelector(".messages").replaceChildren(h("p", { class: "ok", text: message }));
  };
  // GetPolicyVersion returns the document URL-encoded (RFC 3986), as AWS does
  const editor = h("textarea", { name: "policy-version-document", rows: "14", spellcheck: "false" });
  editor.value = pretty(decodeURIComponent(xmlText(versionDoc, "Document")));
  const save = h("button", { type: "button", text: "Save as new default version" });
  save.addEventListener("click", () => act(save, box, async () => {
    await query("iam", "CreatePolicyVersion", { PolicyArn: arn, PolicyDocument: editor.value, SetAsDefault: "true" });
    await reload("Saved as the new default version.");
  }));
  const attached = [
    ...members(entitiesDoc, "PolicyUsers").map((u) => ({ kind: "user", name: u.UserName })),
    ...members(entitiesDoc, "PolicyRoles").map((r) => ({ kind: "role", name: r.RoleName })),
  ];
  const detach = (entity) => {
    const b = h("button", { type: "button", class: "secondary", text: "Detach", "aria-label": `Detach from ${entity.kind} ${entity.name}` });
    b.addEventListener("click", () => act(b, box, async () => {
      const [action, key] = entity.kind === "user" ? ["DetachUserPolicy", "UserName"] : ["DetachRolePolicy", "RoleName"];
      await query("iam", action, { PolicyArn: arn, [key]: entity.name });
      await reload(`Detached from ${entity.kind} ${entity.name}.`);
    }));
    return b;
  };
  const target = select([...users.map((u) => [`user:${u.UserName}`, `user ${u.UserName}`]), ...roles.map((r) => [`role:${r.RoleName}`, `role ${r.RoleName}`])], "", { name: "attach-to" });
  const attach = h("button", { type: "button", text: "Attach" });
  attach.addEventListener("click", () => act(attach, box, async () => {
    const [kind, name] = target.value.split(/:(.*)/s);
    const [action, key] = kind === "user" ? ["AttachUserPolicy", "UserName"] : ["AttachRolePolicy", "RoleName"];
    await query("iam", action, { PolicyArn: arn, [key]: name });
    await reload(`Attached to ${kind} ${name}.`);
  }));
  view.replaceChildren(
    h("p", {}, link("#/iam", "← IAM")),
    h("h1", { text: `Policy ${attr("PolicyName")}` }),
    box,
    h("dl", { class: "facts" }, [["ARN", arn], ["Default version", defaultVersion], ["Attachments", attr("AttachmentCount")], ["Created", when(attr("CreateDate"))], ["Updated", when(attr("UpdateDate"))]]
      .flatMap(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })])),
    section("Policy document", field("Policy document (JSON)", editor, "Saving creates a new version and makes it the default (at most five versions are kept)."), h("div", { class: "actions" }, save)),
    section("Versions", table("Policy versions", [
      { title: "Version", cell: (v) => v.VersionId },
      { title: "Default", cell: (v) => (v.IsDefaultVersion === "true" ? "yes" : "") },
      { title: "Created", cell: (v) => when(v.CreateDate) },
    ], members(versionsDoc, "Versions"))),
    section("Attached to", table("Users and roles with this policy", [
      { title: "Kind", cell: (e) => e.kind },
      { title: "Name", cell: (e) => e.name },
      { title: "", cell: (e) => detach(e) },
    ], attached), h("div", { class: "row" }, field("Attach to", target)), h("div", { class: "actions" }, attach)),
  );
}
