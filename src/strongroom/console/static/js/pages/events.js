// EventBridge: event buses, their rules (pattern or schedule, state), a rule's targets; enable/disable a rule; each
// target's delivery state (delivered / pending / dead-lettered, the last failure and its reason) and the rule's
// events per minute by outcome as a chart (uPlot). AWS shows delivery as CloudWatch metrics, which Strongroom does not
// serve: the state comes from the console's signed endpoint /_strongroom/console/events-deliveries (docs/console.md).
import uPlot from "../../vendor/uplot/uPlot.esm.js";
import { call, consoleJson } from "../api.js";
import { h, field, messages, act, table, section, select, pre, when, progress, poll } from "../ui.js";
import { archivesPanel } from "./events_more.js";

const OUTCOMES = [["DELIVERED", "Delivered", "#1a7f37"], ["DEAD_LETTERED", "Failed (dead-lettered)", "#cf222e"], ["PENDING", "Pending / retrying", "#9a6700"]];

export async function render(view) {
  const box = messages();
  const buses = [];
  let token;
  do {
    const page = await call("events", "ListEventBuses", token ? { NextToken: token } : {});
    buses.push(...(page.EventBuses || []));
    token = page.NextToken;
  } while (token);
  const bus = select(buses.map((b) => b.Name), "default", { name: "event-bus" });
  const rulesArea = h("div", {});
  const detail = h("div", {});
  const more = h("button", { type: "button", class: "secondary", text: "Load more rules", hidden: true });
  const rules = [];
  let next;
  const draw = () => rulesArea.replaceChildren(table(`${rules.length} rules on ${bus.value}`, [
    { title: "Rule", cell: (r) => {
      const b = h("button", { type: "button", class: "secondary", text: r.Name });
      b.addEventListener("click", () => act(b, box, () => showRule(r)));
      return b;
    } },
    { title: "State", cell: (r) => r.State },
    { title: "Schedule", cell: (r) => r.ScheduleExpression || "" },
    { title: "Description", cell: (r) => r.Description || "" },
  ], rules));
  const load = async () => {
    const page = await call("events", "ListRules", { EventBusName: bus.value, Limit: 50, ...(next ? { NextToken: next } : {}) });
    rules.push(...(page.Rules || []));
    next = page.NextToken;
    more.hidden = !next;
    draw();
  };
  const showRule = async (rule) => {
    const [described, targets] = await Promise.all([
      call("events", "DescribeRule", { Name: rule.Name, EventBusName: bus.value }),
      call("events", "ListTargetsByRule", { Rule: rule.Name, EventBusName: bus.value }),
    ]);
    const toggle = h("button", { type: "button", text: described.State === "ENABLED" ? "Disable rule" : "Enable rule" });
    toggle.addEventListener("click", () => act(toggle, box, async () => {
      await call("events", described.State === "ENABLED" ? "DisableRule" : "EnableRule", { Name: rule.Name, EventBusName: bus.value });
      rules.length = 0;
      next = undefined;
      await load();
      await showRule(rule);
    }));
    let pattern = described.EventPattern || "";
    try { pattern = JSON.stringify(JSON.parse(pattern), null, 2); } catch { /* as stored */ }
    detail.replaceChildren(section(`Rule ${rule.Name}`,
      h("p", { text: `State: ${described.State}` }), h("div", { class: "actions" }, toggle),
      pattern ? pre(pattern, "Event pattern") : h("p", { text: `Schedule: ${described.ScheduleExpression}` }),
      table("Targets", [
        { title: "Id", cell: (t) => t.Id },
        { title: "ARN", cell: (t) => t.Arn },
        { title: "Dead-letter queue", cell: (t) => t.DeadLetterConfig?.Arn || "" },
        { title: "Retries", cell: (t) => (t.RetryPolicy ? `${t.RetryPolicy.MaximumRetryAttempts ?? ""} attempts` : "") },
      ], targets.Targets || [])),
      await deliveryPanel(rule.Name, bus.value));
  };
  const archives = h("div", {});
  const loadArchives = async () => {
    const arn = buses.find((b) => b.Name === bus.value)?.Arn;
    try {
      archives.replaceChildren(arn ? await archivesPanel(arn) : "");
    } catch (err) { // a principal that may read rules but not archives still sees its rules
      const failed = messages();
      failed.error(err);
      archives.replaceChildren(section("Archives and replays", failed));
    }
  };
  bus.addEventListener("change", () => act(bus, box, async () => {
    rules.length = 0;
    next = undefined;
    detail.replaceChildren();
    await Promise.all([load(), loadArchives()]);
  }));
  more.addEventListener("click", () => act(more, box, load));
  await Promise.all([load(), loadArchives()]);
  view.replaceChildren(h("h1", { text: "EventBridge rules" }), box,
    section("Rules", field("Event bus", bus), rulesArea, more), detail, archives);
}

// Per target: counts by state, failed attempts (retries), the last delivery and the last failure with its reason; then
// the rule's events of the last three hours per minute by outcome. Pending deliveries are followed every 2 seconds.
async function deliveryPanel(ruleName, busName) {
  const box = messages();
  const area = h("div", {});
  const panel = section("Delivery state", area, box);
  const draw = (state) => {
    const pending = state.targets.reduce((n, t) => n + t.PENDING, 0);
    area.replaceChildren(
      table("Deliveries per target", [
        { title: "Target", cell: (t) => t.targetId },
        { title: "Delivered", cell: (t) => String(t.DELIVERED) },
        { title: "Pending", cell: (t) => String(t.PENDING) },
        { title: "Dead-lettered", cell: (t) => String(t.DEAD_LETTERED) },
        { title: "Failed attempts", cell: (t) => String(t.failedAttempts) },
        { title: "Last delivery", cell: (t) => when(t.lastDelivery) || "never" },
        { title: "Last failure", cell: (t) => failure(t.lastFailure) },
      ], state.targets),
      pending ? progress("Deliveries pending", `${pending} deliveries pending or being retried… checking again every 2 seconds.`) : "",
      ...chart(state),
    );
    return pending > 0;
  };
  const load = () => consoleJson("events-deliveries", "events", { Rule: ruleName, EventBusName: busName });
  try {
    if (draw(await load())) poll(panel, async () => draw(await load()));
  } catch (err) {
    box.error(err);
  }
  return panel;
}

function failure(f) {
  if (!f) return "none";
  const parts = [`${f.error}`, `event ${f.eventId} at ${when(f.eventTime)}`, `${f.attempts} attempts`, f.state];
  if (f.deadLetterReason) parts.push(`dead-lettered: ${f.deadLetterReason}${f.deadLetterArn ? ` (queue ${f.deadLetterArn})` : ""}`);
  return h("span", { class: "failure", text: parts.join(" · ") });
}

function chart(state) {
  const step = state.BucketSeconds;
  const xs = [];
  for (let t = state.Since; t < state.Now; t += step) xs.push(t);
  const ys = OUTCOMES.map(() => xs.map(() => 0));
  const totals = OUTCOMES.map(() => 0);
  for (const bucket of state.series) {
    const i = Math.round((bucket.start - state.Since) / step);
    if (i < 0 || i >= xs.length) continue;
    OUTCOMES.forEach(([key], k) => { ys[k][i] += bucket[key] || 0; totals[k] += bucket[key] || 0; });
  }
  const summary = OUTCOMES.map(([, label], k) => `${label}: ${totals[k]}`).join(", ");
  const holder = h("div", { class: "chart", role: "img", "aria-label": `Matched events per minute by outcome, last 3 hours. ${summary}.` });
  const width = Math.max(300, Math.min(1000, (document.getElementById("main")?.clientWidth || 900) - 80));
  queueMicrotask(() => new uPlot({
    width,
    height: 240,
    series: [{}, ...OUTCOMES.map(([, label, stroke]) => ({ label, stroke, width: 2 }))],
    axes: [{}, { label: "events / min" }],
  }, [xs, ...ys], holder));
  return [h("p", { id: "delivery-totals", text: `Events matched in the last 3 hours (server time) — ${summary}.` }), holder];
}
