// What the GuardDuty, Macie and Inspector pages share: a service that is not enabled (and the button to enable it),
// counts per severity, the filtered and paginated list, a finding's page (key fields and its JSON) and its
// archive/suppress actions. Each service's page is an adapter (guardduty.js, macie.js, inspector.js) that makes the
// service's own API calls; this module only draws.
import { h, field, select, messages, act, table, when, section, link, pre } from "../ui.js";

const PAGE_SIZE = 25;
// The filters a service's list was last drawn with, so "← All findings" from a finding's page returns to them.
const remembered = new Map();

export async function renderFindings(view, params, adapter) {
  const state = await adapter.status();
  if (!state.enabled) return notEnabled(view, params, adapter, state);
  if (params[0] === "finding" && params[1]) return renderFinding(view, adapter, params[1]);
  return renderList(view, adapter);
}

function notEnabled(view, params, adapter, state) {
  const box = messages();
  const children = [h("p", { id: "not-enabled", text: state.message })];
  if (state.enable) {
    const button = h("button", { type: "button", text: state.enableLabel || `Enable ${adapter.service}` });
    button.addEventListener("click", () =>
      act(button, box, async () => {
        await state.enable();
        await renderFindings(view, params, adapter);
      }),
    );
    children.push(h("div", { class: "actions" }, button));
  }
  view.replaceChildren(h("h1", { text: adapter.title }), section(`${adapter.service} is not enabled`, ...children, box));
}

function severityBadge(label) {
  return h("span", { class: `severity severity-${label.toLowerCase()}`, text: label });
}

async function renderList(view, adapter) {
  const filters = { severity: "", type: "", resource: "", state: adapter.states[0][0], ...(remembered.get(adapter.id) || {}) };
  const box = messages();
  const severity = select([["", "Any severity"], ...adapter.severities.map((s) => [s, s])], filters.severity, { name: "severity" });
  const type = h("input", { name: "type", value: filters.type, spellcheck: "false" });
  const resource = h("input", { name: "resource", value: filters.resource, spellcheck: "false" });
  const stateSelect = select(adapter.states, filters.state, { name: "state" });
  const apply = h("button", { type: "submit", text: "Apply filters" });
  const form = h(
    "form",
    { class: "filters", "aria-label": "Filter findings" },
    field("Severity", severity),
    field(adapter.typeLabel, type, adapter.typeHint),
    field(adapter.resourceLabel, resource, adapter.resourceHint),
    field("Status", stateSelect),
    h("div", { class: "actions" }, apply),
  );
  const counts = h("div", { class: "cards", id: "severity-counts" });
  const list = h("div", {});
  const more = h("button", { type: "button", class: "secondary", text: "Load more", hidden: true });
  let rows = [];
  let next;

  const drawTable = () => {
    list.replaceChildren(
      table(`${rows.length}${next ? "+" : ""} findings (newest first)`, [
        { title: "Severity", cell: (f) => severityBadge(f.severity) },
        { title: "Finding", cell: (f) => link(`#/${adapter.id}/finding/${encodeURIComponent(f.id)}`, f.title) },
        { title: "Type", cell: (f) => f.type },
        { title: "Resource", cell: (f) => f.resource },
        { title: "Updated", cell: (f) => when(f.updated) },
        { title: "Status", cell: (f) => f.state },
        { title: "Action", cell: (f) => actionButtons(adapter, f, box, async (message) => { await load(true); box.ok(message); }) },
      ], rows),
    );
    more.hidden = !next;
  };
  const load = async (fresh) => {
    if (fresh) {
      rows = [];
      next = undefined;
      drawCounts(counts, adapter, filters).catch((err) => box.error(err));
    }
    const page = await adapter.list(filters, next, PAGE_SIZE);
    rows = rows.concat(page.items.map((raw) => adapter.row(raw)));
    next = page.next;
    drawTable();
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    Object.assign(filters, { severity: severity.value, type: type.value.trim(), resource: resource.value.trim(), state: stateSelect.value });
    remembered.set(adapter.id, { ...filters });
    await act(apply, box, () => load(true));
  });
  more.addEventListener("click", () => act(more, box, () => load(false)));
  await load(true);
  view.replaceChildren(
    h("h1", { text: adapter.title }),
    box,
    section("Findings by severity", counts),
    section("Findings", form, list, h("div", { class: "actions" }, more)),
    ...(adapter.extraSections ? await adapter.extraSections(box).catch((err) => [errorSection(err)]) : []),
  );
}

function errorSection(err) {
  const box = messages();
  box.error(err);
  return box;
}

async function drawCounts(holder, adapter, filters) {
  holder.replaceChildren(h("p", { text: "Counting…" }));
  const counts = await adapter.counts({ ...filters, severity: "" });
  holder.replaceChildren(
    ...adapter.severities.map((label) =>
      h("div", { class: "card", dataset: { severity: label } },
        h("span", { class: "count", text: String(counts[label] ?? 0) }),
        severityBadge(label)),
    ),
  );
}

function actionButtons(adapter, finding, box, after) {
  return h("span", { class: "row-actions" }, adapter.actions(finding.raw).map(({ label, run }) => {
    const button = h("button", { type: "button", class: "secondary", text: label, "aria-label": `${label} ${finding.title}` });
    button.addEventListener("click", () => act(button, box, async () => after(await run())));
    return button;
  }));
}

async function renderFinding(view, adapter, id, message = "") {
  const box = messages();
  if (message) box.ok(message);
  const raw = await adapter.get(id);
  if (!raw) {
    view.replaceChildren(
      h("p", {}, link(`#/${adapter.id}`, "← All findings")),
      h("h1", { text: "Finding not found" }),
      h("p", { class: "error", role: "alert", text: `No finding ${id} in this account and Region.` }),
    );
    return;
  }
  const finding = adapter.row(raw);
  const facts = [
    ["Severity", severityBadge(finding.severity)],
    ["Status", finding.state],
    ["Type", finding.type],
    ["Resource", finding.resource],
    ...adapter.facts(raw),
    ["Updated", when(finding.updated)],
    ["ID", finding.id],
  ];
  view.replaceChildren(
    h("p", {}, link(`#/${adapter.id}`, "← All findings")),
    h("h1", { text: finding.title }),
    box,
    section("Details", h("dl", { class: "facts" }, facts.flatMap(([k, v]) => [h("dt", { text: k }), h("dd", {}, v ?? "")])),
      h("div", { class: "actions" }, actionButtons(adapter, finding, box, (done) => renderFinding(view, adapter, id, done)))),
    section("Finding JSON", pre(JSON.stringify(raw, null, 2), "The finding as the API returns it")),
  );
}
