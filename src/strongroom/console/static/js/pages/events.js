// EventBridge: event buses, their rules (pattern or schedule, state), a rule's targets; enable/disable a rule.
import { call } from "../api.js";
import { h, field, messages, act, table, section, select, pre } from "../ui.js";

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
      ], targets.Targets || [])));
  };
  bus.addEventListener("change", () => act(bus, box, async () => { rules.length = 0; next = undefined; detail.replaceChildren(); await load(); }));
  more.addEventListener("click", () => act(more, box, load));
  await load();
  view.replaceChildren(h("h1", { text: "EventBridge rules" }), box,
    section("Rules", field("Event bus", bus), rulesArea, more), detail);
}
