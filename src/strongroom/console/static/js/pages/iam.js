// IAM: users, roles and customer managed policies, and the policy simulator (SimulatePrincipalPolicy).
import { query, members, xmlText } from "../api.js";
import { h, field, messages, act, table, when, section, select } from "../ui.js";

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

export async function render(view) {
  const [users, roles, policies] = await Promise.all([
    listAll("ListUsers", "Users"),
    listAll("ListRoles", "Roles"),
    listAll("ListPolicies", "Policies", { Scope: "Local" }),
  ]);
  view.replaceChildren(
    h("h1", { text: "IAM" }),
    simulator(users, roles),
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
      { title: "Name", cell: (p) => p.PolicyName },
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
