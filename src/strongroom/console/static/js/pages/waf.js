// AWS WAF: web ACLs, a web ACL's rules, its sampled requests, and allowed / blocked / counted over time as a chart
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
  view.replaceChildren(h("h1", { text: "AWS WAF web ACLs" }), section("Web ACLs", field("Scope", scopeSelect),
    table(`${acls.length} web ACLs`, [
      { title: "Name", cell: (a) => link(`#/waf/${scope}/${encodeURIComponent(a.Name)}/${a.Id}`, a.Name) },
      { title: "Description", cell: (a) => a.Description || "" },
      { title: "ARN", cell: (a) => a.ARN },
    ], acls)));
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
  const { WebACL: acl } = await call("wafv2", "GetWebACL", { Name: name, Scope: scope, Id: id });
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
