// AWS WAF: web ACLs (created here), a web ACL's rules (edited here), its sampled requests, and allowed / blocked /
// counted over time as a chart
// (uPlot, vendored from npm in vendor/uplot/). The chart is drawn from GetSampledRequests (weighted samples per
// minute over the last three hours, the longest window AWS samples), which is what the server records; there is no
// CloudWatch metrics API to read exact counts from.
import { call } from "../api.js";
import { h, field, messages, act, table, when, section, link, select } from "../ui.js";
import uPlot from "../../vendor/uplot/uPlot.esm.js";

const SERIES = [["ALLOW", "Allowed", "#1d6b33"], ["BLOCK", "Blocked", "#a4141c"], ["COUNT", "Counted", "#0b4f8a"],
  ["CAPTCHA", "CAPTCHA", "#8a5a00"], ["CHALLENGE", "Challenge", "#5b3d8a"]];
const WINDOW_SECONDS = 3 * 3600;

export async function render(view, params) {
  if (params[0] && params[1] && params[2]) return renderAcl(view, params[0], params[1], params[2]);
  return renderList(view, params[0] || "REGIONAL");
}

async function renderList(view, scope) {
  const acls = [];
  let marker;
  do {
    const page = await call("wafv2", "ListWebACLs", { Scope: scope, Limit: 100, ...(marker ? { NextMarker: marker } : {}) });
    acls.push(...(page.WebACLs || []));
    marker = (page.WebACLs || []).length ? page.NextMarker : undefined;
  } while (marker);
  const scopeSelect = select([["REGIONAL", "Regional"], ["CLOUDFRONT", "CloudFront"]], scope, { name: "scope" });
  scopeSelect.addEventListener("change", () => { location.hash = `#/waf/${scopeSelect.value}`; });
  view.replaceChildren(h("h1", { text: "AWS WAF web ACLs" }), createForm(scope), section("Web ACLs", field("Scope", scopeSelect),
    table(`${acls.length} web ACLs`, [
      { title: "Name", cell: (a) => link(`#/waf/${scope}/${encodeURIComponent(a.Name)}/${a.Id}`, a.Name) },
      { title: "Description", cell: (a) => a.Description || "" },
      { title: "ARN", cell: (a) => a.ARN },
    ], acls)));
}

// A new web ACL with no rules yet (added in its rule editor): its name doubles as its CloudWatch metric name.
function createForm(scope) {
  const box = messages();
  const name = h("input", { name: "acl-name", required: true });
  const description = h("input", { name: "acl-description" });
  const action = select([["Allow", "Allow"], ["Block", "Block"]], "Allow", { name: "acl-default-action" });
  const create = h("button", { type: "submit", text: "Create web ACL" });
  const form = h("form", {}, h("div", { class: "row" }, field("Web ACL name", name), field("Default action", action)),
    field("Description (optional)", description), h("div", { class: "actions" }, create), box);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(create, box, async () => {
      const { Summary } = await call("wafv2", "CreateWebACL", {
        Name: name.value.trim(), Scope: scope, DefaultAction: { [action.value]: {} }, Rules: [],
        ...(description.value.trim() ? { Description: description.value.trim() } : {}),
        VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: name.value.trim() },
      });
      location.hash = `#/waf/${scope}/${encodeURIComponent(Summary.Name)}/${Summary.Id}`;
    });
  });
  return section(`Create a ${scope === "CLOUDFRONT" ? "CloudFront" : "regional"} web ACL`, form);
}

// The web ACL's default action and rules, edited as JSON (the shape of UpdateWebACL's Rules) and saved with the
// lock token it was read with: a concurrent change answers WAFOptimisticLockException, an invalid rule the
// server's WAFInvalidParameterException — both shown as the server words them.
function ruleEditor(view, scope, acl, lockToken) {
  const box = messages();
  const editor = h("textarea", { name: "acl-rules", rows: "18", spellcheck: "false" });
  editor.value = JSON.stringify(acl.Rules || [], null, 2);
  const action = select([["Allow", "Allow"], ["Block", "Block"]], Object.keys(acl.DefaultAction || { Allow: {} })[0], { name: "acl-default" });
  const save = h("button", { type: "button", text: "Save rules" });
  save.addEventListener("click", () => act(save, box, async () => {
    let rules;
    try {
      rules = JSON.parse(editor.value);
    } catch (err) {
      throw Object.assign(new Error(`The rules are not valid JSON: ${err.message}`), { code: "InvalidJSON" });
    }
    await call("wafv2", "UpdateWebACL", {
      Name: acl.Name, Scope: scope, Id: acl.Id, LockToken: lockToken, DefaultAction: { [action.value]: acl.DefaultAction?.[action.value] || {} },
      Rules: rules, VisibilityConfig: acl.VisibilityConfig, ...(acl.Description ? { Description: acl.Description } : {}),
    });
    await renderAcl(view, scope, acl.Name, acl.Id);
    view.querySelector("[name=acl-rules]")?.closest("section")?.querySelector(".messages")?.replaceChildren(
      h("p", { class: "ok", text: "Rules saved." }));
  }));
  return section("Edit rules", field("Default action", action),
    field("Rules (JSON, as in UpdateWebACL)", editor, "Each rule: Name, Priority, Statement, Action or OverrideAction, VisibilityConfig. Byte strings are base64."),
    h("div", { class: "actions" }, save), box);
}

function describeAction(rule) {
  if (rule.Action) return Object.keys(rule.Action)[0];
  if (rule.OverrideAction) return `override: ${Object.keys(rule.OverrideAction)[0]}`;
  return "";
}

async function samplesOf(acl, scope) {
  // now to the millisecond: a sample stamped in this second is newer than the second's start
  const end = Date.now() / 1000;
  const metrics = [acl.VisibilityConfig?.MetricName, ...(acl.Rules || []).map((r) => r.VisibilityConfig?.MetricName)].filter(Boolean);
  const pages = await Promise.all(metrics.map((metric) => call("wafv2", "GetSampledRequests", {
    WebAclArn: acl.ARN, RuleMetricName: metric, Scope: scope, MaxItems: 500,
    TimeWindow: { StartTime: end - WINDOW_SECONDS + 1, EndTime: end },
  }).then((r) => (r.SampledRequests || []).map((s) => ({ ...s, metric })))));
  return pages.flat().sort((a, b) => b.Timestamp - a.Timestamp);
}

function chart(samples) {
  const minute = (t) => Math.floor(t / 60) * 60;
  const now = minute(Date.now() / 1000);
  const xs = [];
  for (let t = now - WINDOW_SECONDS + 60; t <= now; t += 60) xs.push(t);
  const index = new Map(xs.map((t, i) => [t, i]));
  const ys = SERIES.map(() => xs.map(() => 0));
  const totals = SERIES.map(() => 0);
  for (const s of samples) {
    const i = index.get(minute(s.Timestamp));
    const k = SERIES.findIndex(([action]) => action === s.Action);
    if (i === undefined || k < 0) continue;
    ys[k][i] += s.Weight || 1;
    totals[k] += s.Weight || 1;
  }
  const summary = SERIES.map(([, label], k) => `${label}: ${totals[k]}`).join(", ");
  const holder = h("div", { class: "chart", role: "img", "aria-label": `Sampled requests per minute, last 3 hours. ${summary}.` });
  const width = Math.max(300, Math.min(1000, (document.getElementById("main")?.clientWidth || 900) - 80));
  // drawn after the holder is in the page (uPlot measures its container)
  queueMicrotask(() => new uPlot({
    width,
    height: 260,
    series: [{}, ...SERIES.map(([, label, stroke]) => ({ label, stroke, width: 2 }))],
    axes: [{}, { label: "requests / min" }],
  }, [xs, ...ys], holder));
  return [h("p", { id: "waf-totals", text: `Sampled in the last 3 hours — ${summary}.` }), holder];
}

async function renderAcl(view, scope, name, id) {
  const box = messages();
  const { WebACL: acl, LockToken: lockToken } = await call("wafv2", "GetWebACL", { Name: name, Scope: scope, Id: id });
  const samples = await samplesOf(acl, scope);
  const refresh = h("button", { type: "button", class: "secondary", text: "Refresh samples" });
  refresh.addEventListener("click", () => act(refresh, box, () => renderAcl(view, scope, name, id)));
  view.replaceChildren(
    h("p", {}, link(`#/waf/${scope}`, "← All web ACLs")),
    h("h1", { text: `Web ACL ${acl.Name}` }),
    box,
    section("Allowed, blocked and counted over time", ...chart(samples), h("div", { class: "actions" }, refresh)),
    section("Rules", h("p", { text: `Default action: ${Object.keys(acl.DefaultAction || {})[0] || ""}; capacity ${acl.Capacity ?? ""} WCUs.` }),
      table("Rules by priority", [
        { title: "Priority", cell: (r) => String(r.Priority) },
        { title: "Name", cell: (r) => r.Name },
        { title: "Action", cell: (r) => describeAction(r) },
        { title: "Statement", cell: (r) => Object.keys(r.Statement || {})[0] || "" },
        { title: "Metric", cell: (r) => r.VisibilityConfig?.MetricName || "" },
      ], [...(acl.Rules || [])].sort((a, b) => a.Priority - b.Priority))),
    ruleEditor(view, scope, acl, lockToken),
    section("Sampled requests", table(`${samples.length} samples (newest first)`, [
      { title: "Time", cell: (s) => when(s.Timestamp) },
      { title: "Action", cell: (s) => s.Action },
      { title: "Metric", cell: (s) => s.metric },
      { title: "Client", cell: (s) => s.Request?.ClientIP || "" },
      { title: "Request", cell: (s) => `${s.Request?.Method || ""} ${s.Request?.URI || ""}` },
      { title: "Weight", cell: (s) => String(s.Weight) },
      { title: "Labels", cell: (s) => (s.Labels || []).map((l) => l.Name).join(", ") },
    ], samples.slice(0, 100))),
  );
}
