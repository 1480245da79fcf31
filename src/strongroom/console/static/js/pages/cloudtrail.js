// CloudTrail event history: LookupEvents with one attribute filter and a time range, paginated, each event's JSON
// record on demand.
import { call } from "../api.js";
import { h, field, messages, act, table, when, section, select, pre } from "../ui.js";

const ATTRIBUTES = [["", "No filter"], ["Username", "User name"], ["EventName", "Event name"], ["EventSource", "Event source"],
  ["ResourceName", "Resource name"], ["ResourceType", "Resource type"], ["AccessKeyId", "Access key ID"], ["ReadOnly", "Read only"], ["EventId", "Event ID"]];

export async function render(view) {
  const box = messages();
  const attribute = select(ATTRIBUTES, "", { name: "attribute" });
  const value = h("input", { name: "attribute-value" });
  const start = h("input", { type: "datetime-local", name: "start-time" });
  const end = h("input", { type: "datetime-local", name: "end-time" });
  const search = h("button", { type: "submit", text: "Search events" });
  const more = h("button", { type: "button", class: "secondary", text: "Load more events", hidden: true });
  const results = h("div", {});
  const record = h("div", {});
  const events = [];
  let token;
  const request = () => {
    const r = { MaxResults: 50 };
    if (attribute.value && value.value.trim()) r.LookupAttributes = [{ AttributeKey: attribute.value, AttributeValue: value.value.trim() }];
    if (start.value) r.StartTime = new Date(start.value).getTime() / 1000;
    if (end.value) r.EndTime = new Date(end.value).getTime() / 1000;
    if (token) r.NextToken = token;
    return r;
  };
  const draw = () => results.replaceChildren(table(`${events.length} events`, [
    { title: "Time", cell: (e) => when(e.EventTime) },
    { title: "Event", cell: (e) => {
      const b = h("button", { type: "button", class: "secondary", text: e.EventName });
      b.setAttribute("aria-label", `Show the record of ${e.EventName} at ${when(e.EventTime)}`);
      b.addEventListener("click", () => {
        let text = e.CloudTrailEvent || "";
        try { text = JSON.stringify(JSON.parse(text), null, 2); } catch { /* as stored */ }
        record.replaceChildren(section(`Record: ${e.EventName} (${e.EventId})`, pre(text, "CloudTrail record")));
        record.querySelector("pre").focus();
      });
      return b;
    } },
    { title: "User name", cell: (e) => e.Username || "" },
    { title: "Source", cell: (e) => e.EventSource || "" },
    { title: "Resources", cell: (e) => (e.Resources || []).map((r) => r.ResourceName).join(", ") },
    { title: "Access key", cell: (e) => e.AccessKeyId || "" },
  ], events));
  const load = async () => {
    const page = await call("cloudtrail", "LookupEvents", request());
    events.push(...(page.Events || []));
    token = page.NextToken;
    more.hidden = !token;
    draw();
  };
  const form = h("form", {}, h("div", { class: "row" }, field("Lookup attribute", attribute), field("Value", value),
    field("From", start), field("To", end), search), box);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(search, box, async () => { events.length = 0; token = undefined; record.replaceChildren(); await load(); });
  });
  more.addEventListener("click", () => act(more, box, load));
  await load();
  view.replaceChildren(h("h1", { text: "CloudTrail event history" }), section("Filters", form), section("Events", results, more), record,
    await trailsPanel());
}

// The account's trails: logging on or off, where they deliver, whether digest files are written (log file
// validation), and the last delivery or its error.
async function trailsPanel() {
  const box = messages();
  let trails = [];
  try {
    trails = (await call("cloudtrail", "DescribeTrails", {})).trailList || [];
  } catch (err) {
    box.error(err);
    return section("Trails", box);
  }
  const statuses = await Promise.all(trails.map((t) => call("cloudtrail", "GetTrailStatus", { Name: t.TrailARN }).catch((err) => ({ error: err }))));
  const rows = trails.map((t, i) => ({ ...t, status: statuses[i] }));
  return section("Trails", table(`${trails.length} trails`, [
    { title: "Name", cell: (t) => t.Name },
    { title: "Logging", cell: (t) => (t.status.error ? t.status.error.code : t.status.IsLogging ? "on" : "off") },
    { title: "Bucket", cell: (t) => t.S3BucketName || "" },
    { title: "Log file validation", cell: (t) => (t.LogFileValidationEnabled ? "on (digest files)" : "off") },
    { title: "Last delivery", cell: (t) => when(t.status.LatestDeliveryTime) },
    { title: "Last digest", cell: (t) => when(t.status.LatestDigestDeliveryTime) },
    { title: "Delivery error", cell: (t) => t.status.LatestDeliveryError || t.status.LatestDigestDeliveryError || "" },
  ], rows), box);
}
