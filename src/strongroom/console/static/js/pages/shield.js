// AWS Shield: the Shield Advanced subscription, protections, and the attacks timeline — ListAttacks drawn as attacks
// in progress over time (uPlot, as the WAF page) with the list beside it; an attack's page is DescribeAttack:
// counters, vectors, top contributors and mitigations. Attacks are listed without a subscription, as on AWS.
import { call } from "../api.js";
import { h, messages, act, table, when, section, link, pre } from "../ui.js";
import uPlot from "../../vendor/uplot/uPlot.esm.js";

export async function render(view, params) {
  if (params[0] === "attack" && params[1]) return renderAttack(view, params[1]);
  return renderOverview(view);
}

async function all(operation, request, key) {
  const items = [];
  let next;
  do {
    const page = await call("shield", operation, { ...request, ...(next ? { NextToken: next } : {}) });
    items.push(...(page[key] || []));
    next = (page[key] || []).length ? page.NextToken : undefined;
  } while (next);
  return items;
}

async function renderOverview(view) {
  const box = messages();
  const { SubscriptionState: state } = await call("shield", "GetSubscriptionState", {});
  const attacks = (await all("ListAttacks", { MaxResults: 100 }, "AttackSummaries")).sort((a, b) => b.StartTime - a.StartTime);
  let protections;
  if (state === "ACTIVE") {
    protections = section("Protections", table("Protected resources", [
      { title: "Name", cell: (p) => p.Name },
      { title: "Resource", cell: (p) => p.ResourceArn },
      { title: "Automatic response", cell: (p) => p.ApplicationLayerAutomaticResponseConfiguration?.Status || "DISABLED" },
      { title: "Protection ID", cell: (p) => p.Id },
    ], await all("ListProtections", { MaxResults: 100 }, "Protections")));
  } else {
    const subscribe = h("button", { type: "button", text: "Subscribe to Shield Advanced" });
    subscribe.addEventListener("click", () => act(subscribe, box, async () => {
      await call("shield", "CreateSubscription", {});
      await renderOverview(view);
    }));
    protections = section("Protections", h("p", {
      id: "not-subscribed",
      text: "This account has no Shield Advanced subscription: protections, protection groups and automatic " +
        "application-layer mitigation need one (on AWS it is a one-year commitment with a monthly fee).",
    }), h("div", { class: "actions" }, subscribe));
  }
  view.replaceChildren(
    h("h1", { text: "AWS Shield" }),
    box,
    h("p", {}, "Shield Advanced subscription: ", h("span", { class: "badge", id: "subscription", text: state })),
    section("Attacks timeline", ...timeline(attacks)),
    section("Attacks", table(`${attacks.length} attacks (newest first)`, [
      { title: "Start", cell: (a) => link(`#/shield/attack/${encodeURIComponent(a.AttackId)}`, when(a.StartTime)) },
      { title: "End", cell: (a) => (a.EndTime ? when(a.EndTime) : "ongoing") },
      { title: "Resource", cell: (a) => a.ResourceArn },
      { title: "Vectors", cell: (a) => (a.AttackVectors || []).map((v) => v.VectorType).join(", ") },
    ], attacks)),
    protections,
  );
}

/** Attacks in progress per time step, from the first attack's start to the last one's end (the server's times,
 * not the browser's clock, which may differ from a test server's). */
function timeline(attacks) {
  if (!attacks.length) return [h("p", { id: "no-attacks", text: "No attacks detected." })];
  const now = Date.now() / 1000;
  const start = Math.min(...attacks.map((a) => a.StartTime));
  const ongoing = attacks.filter((a) => !a.EndTime).length;
  const end = Math.max(...attacks.map((a) => a.EndTime || Math.max(now, a.StartTime)));
  const step = end - start <= 6 * 3600 ? 60 : 3600;
  const xs = [];
  // ten steps either side, so a short attack is seen against the quiet around it
  for (let t = Math.floor(start / step) * step - 10 * step; t <= end + 10 * step; t += step) xs.push(t);
  // an ongoing attack is in progress up to the chart's right edge
  const ys = xs.map((t) => attacks.filter((a) => a.StartTime < t + step && (a.EndTime ?? Infinity) >= t).length);
  const noun = attacks.length === 1 ? "attack" : "attacks";
  const summary = `${attacks.length} ${noun} from ${when(start)}` + (ongoing ? `, ${ongoing} ongoing` : ` to ${when(end)}`);
  const holder = h("div", { class: "chart", role: "img", "aria-label": `Attacks in progress over time: ${summary}.` });
  const width = Math.max(300, Math.min(1000, (document.getElementById("main")?.clientWidth || 900) - 80));
  queueMicrotask(() => new uPlot({
    width,
    height: 220,
    series: [{}, { label: "Attacks in progress", stroke: "#a4141c", fill: "rgba(164, 20, 28, 0.15)", width: 2, paths: uPlot.paths.stepped({ align: 1 }) }],
    axes: [{}, { label: "attacks", incrs: [1, 2, 5, 10, 20, 50] }],
    scales: { y: { range: [0, Math.max(...ys) + 1] } },
  }, [xs, ys], holder));
  return [h("p", { id: "attack-summary", text: `${summary} (per ${step === 60 ? "minute" : "hour"}).` }), holder];
}

const figure = (v) => (v === undefined || v === null ? "" : Number.isInteger(v) ? String(v) : v.toFixed(2));

function counters(list) {
  return table("Counters", [
    { title: "Name", cell: (c) => c.Name },
    { title: "Sum", cell: (c) => figure(c.Sum) },
    { title: "Max", cell: (c) => figure(c.Max) },
    { title: "Average", cell: (c) => figure(c.Average) },
    { title: "Unit", cell: (c) => c.Unit || "" },
  ], list || []);
}

async function renderAttack(view, id) {
  const { Attack: attack } = await call("shield", "DescribeAttack", { AttackId: id });
  const properties = (attack.AttackProperties || []).map((p) => section(
    `Top contributors: ${p.AttackPropertyIdentifier} (${p.AttackLayer})`,
    table(`Total ${p.Total ?? ""} ${p.Unit || ""}`, [
      { title: "Contributor", cell: (c) => c.Name },
      { title: "Value", cell: (c) => String(c.Value) },
    ], p.TopContributors || []),
  ));
  view.replaceChildren(
    h("p", {}, link("#/shield", "← All attacks")),
    h("h1", { text: `Attack ${attack.AttackId}` }),
    section("Details", h("dl", { class: "facts" },
      h("dt", { text: "Resource" }), h("dd", { text: attack.ResourceArn }),
      h("dt", { text: "Start" }), h("dd", { text: when(attack.StartTime) }),
      h("dt", { text: "End" }), h("dd", { text: attack.EndTime ? when(attack.EndTime) : "ongoing" }),
      h("dt", { text: "Vectors" }), h("dd", { text: (attack.SubResources || []).flatMap((s) => (s.AttackVectors || []).map((v) => v.VectorType)).join(", ") }),
      h("dt", { text: "Mitigations" }), h("dd", { text: (attack.Mitigations || []).map((m) => m.MitigationName).join(", ") || "none" }),
    )),
    section("Attack counters", counters(attack.AttackCounters)),
    ...properties,
    section("DescribeAttack JSON", pre(JSON.stringify(attack, null, 2), "The attack as the API returns it")),
  );
}
