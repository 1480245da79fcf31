// Parameter Store: the hierarchy browsed by path, a parameter's value (SecureString hidden until revealed),
// history and labels (moved between versions), create.
import { call } from "../api.js";
import { h, field, messages, act, table, when, section, link, select } from "../ui.js";

const enc = (path) => encodeURIComponent(path);

export async function render(view, params) {
  const target = params[0] || "/";
  if (params[1] === "param") return renderParameter(view, target);
  return renderPath(view, target);
}

async function renderPath(view, path) {
  const box = messages();
  const base = path.endsWith("/") ? path : `${path}/`;
  const folders = new Set();
  const here = [];
  let token;
  let pages = 0;
  // Names under this path (no values): folders are the next path segment of deeper names.
  do {
    const request = { MaxResults: 50 };
    if (base !== "/") request.ParameterFilters = [{ Key: "Path", Option: "Recursive", Values: [base.slice(0, -1)] }];
    if (token) request.NextToken = token;
    const page = await call("ssm", "DescribeParameters", request);
    for (const p of page.Parameters || []) {
      const name = p.Name.startsWith("/") || base !== "/" ? p.Name : `/${p.Name}`;
      const rest = name.slice(base.length);
      if (rest.includes("/")) folders.add(base + rest.split("/")[0]);
      else here.push(p);
    }
    token = page.NextToken;
  } while (token && ++pages < 20);
  const crumbs = [["/", "/"]];
  let acc = "";
  for (const part of base.split("/").filter(Boolean)) {
    acc += `/${part}`;
    crumbs.push([acc, part]);
  }
  view.replaceChildren(
    h("h1", { text: "Parameter Store" }),
    h("nav", { "aria-label": "Path" }, h("ol", { class: "crumbs" }, crumbs.map(([p, label]) => h("li", {}, link(`#/ssm/${enc(p)}`, label))))),
    box,
    section(`Folders under ${base}`, table("Sub-paths", [
      { title: "Path", cell: (f) => link(`#/ssm/${enc(f)}`, `${f}/`) },
    ], [...folders].sort())),
    section(`Parameters in ${base}`, table("Parameters", [
      { title: "Name", cell: (p) => link(`#/ssm/${enc(p.Name)}/param`, p.Name) },
      { title: "Type", cell: (p) => p.Type },
      { title: "Version", cell: (p) => String(p.Version) },
      { title: "Last modified", cell: (p) => when(p.LastModifiedDate) },
    ], here)),
    createForm(base),
  );
}

function createForm(base) {
  const box = messages();
  const name = h("input", { name: "parameter-name", value: base === "/" ? "" : base });
  const type = select(["String", "StringList", "SecureString"], "String", { name: "parameter-type" });
  const value = h("input", { name: "parameter-value" });
  const submit = h("button", { type: "submit", text: "Create parameter" });
  const form = h("form", {}, h("div", { class: "row" }, field("Name", name), field("Type", type)), field("Value", value),
    h("div", { class: "actions" }, submit), box);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(submit, box, async () => {
      await call("ssm", "PutParameter", { Name: name.value.trim(), Type: type.value, Value: value.value });
      value.value = "";
      location.hash = `#/ssm/${enc(name.value.trim())}/param`;
    });
  });
  return section("Create a parameter", form);
}

async function renderParameter(view, name) {
  const box = messages();
  const { Parameter: p } = await call("ssm", "GetParameter", { Name: name, WithDecryption: false });
  const secure = p.Type === "SecureString";
  const valueArea = h("div", {});
  const hidden = () => valueArea.replaceChildren(h("p", { id: "parameter-value", text: secure ? "Hidden (SecureString)." : p.Value }));
  hidden();
  const reveal = h("button", { type: "button", text: "Reveal value", hidden: !secure });
  const hide = h("button", { type: "button", class: "secondary", text: "Hide value", hidden: true });
  reveal.addEventListener("click", () => act(reveal, box, async () => {
    const { Parameter } = await call("ssm", "GetParameter", { Name: name, WithDecryption: true });
    valueArea.replaceChildren(h("pre", { id: "parameter-value", tabindex: "0", "aria-label": "Parameter value", text: Parameter.Value }));
    hide.hidden = false;
    reveal.hidden = true;
    hide.focus();
  }));
  hide.addEventListener("click", () => { hidden(); hide.hidden = true; reveal.hidden = false; reveal.focus(); });
  const history = [];
  let token;
  do {
    const page = await call("ssm", "GetParameterHistory", { Name: name, WithDecryption: false, MaxResults: 50, ...(token ? { NextToken: token } : {}) });
    history.push(...(page.Parameters || []));
    token = page.NextToken;
  } while (token);
  const parent = name.includes("/") ? name.slice(0, name.lastIndexOf("/")) || "/" : "/";
  view.replaceChildren(
    h("p", {}, link(`#/ssm/${enc(parent)}`, `← ${parent}`)),
    h("h1", { text: name }),
    box,
    section("Value", h("dl", { class: "facts" },
      h("dt", { text: "Type" }), h("dd", { text: p.Type }),
      h("dt", { text: "Version" }), h("dd", { text: String(p.Version) }),
      h("dt", { text: "ARN" }), h("dd", { text: p.ARN })),
    valueArea, h("div", { class: "actions" }, reveal, hide)),
    labelPanel(name, history, () => renderParameter(view, name)),
    section("History", table("Versions", [
      { title: "Version", cell: (v) => String(v.Version) },
      { title: "Value", cell: (v) => (v.Type === "SecureString" ? "(hidden)" : v.Value) },
      { title: "Labels", cell: (v) => (v.Labels || []).join(", ") },
      { title: "Modified by", cell: (v) => v.LastModifiedUser || "" },
      { title: "Modified", cell: (v) => when(v.LastModifiedDate) },
    ], history)),
  );
}

// Labels move between versions (LabelParameterVersion moves a label already on another version): the server's
// InvalidLabels (a label it refuses: "aws"/"ssm" prefixes, a leading digit, over 100 characters) are shown.
function labelPanel(name, history, reload) {
  const box = messages();
  const versions = history.map((v) => String(v.Version)).reverse();
  const version = select(versions.map((v) => [v, `version ${v}`]), versions[0] || "", { name: "label-version" });
  const labels = h("input", { name: "labels", placeholder: "production, blue" });
  const list = () => labels.value.split(",").map((l) => l.trim()).filter(Boolean);
  const add = h("button", { type: "button", text: "Add labels" });
  add.addEventListener("click", () => act(add, box, async () => {
    const out = await call("ssm", "LabelParameterVersion", { Name: name, ParameterVersion: Number(version.value), Labels: list() });
    await reload();
    const invalid = out.InvalidLabels || [];
    const message = invalid.length ? `Labels refused: ${invalid.join(", ")}.` : `Labelled version ${out.ParameterVersion}.`;
    document.querySelector("[name=labels]")?.closest("section")?.querySelector(".messages")?.replaceChildren(
      h("p", { class: invalid.length ? "error" : "ok", role: invalid.length ? "alert" : null, text: message }));
  }));
  const remove = h("button", { type: "button", class: "secondary", text: "Remove labels" });
  remove.addEventListener("click", () => act(remove, box, async () => {
    const out = await call("ssm", "UnlabelParameterVersion", { Name: name, ParameterVersion: Number(version.value), Labels: list() });
    await reload();
    const missing = out.InvalidLabels || [];
    document.querySelector("[name=labels]")?.closest("section")?.querySelector(".messages")?.replaceChildren(
      h("p", { class: "ok", text: `Removed ${(out.RemovedLabels || []).join(", ") || "no labels"}${missing.length ? ` (not on that version: ${missing.join(", ")})` : ""}.` }));
  }));
  return section("Labels", h("div", { class: "row" }, field("Version", version), field("Labels (comma-separated)", labels)),
    h("div", { class: "actions" }, add, remove), box);
}
