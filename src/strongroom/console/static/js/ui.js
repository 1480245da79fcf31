// Small DOM helpers: elements built with properties (never innerHTML from data), tables, alerts, downloads.

export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

let fieldCounter = 0;

/** A labelled form control. */
export function field(label, control, hint) {
  const id = control.id || `f${++fieldCounter}`;
  control.id = id;
  const hintEl = hint ? h("p", { class: "hint", id: `${id}-hint`, text: hint }) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: id, text: label }), control, hintEl);
}

export function select(options, value, props = {}) {
  return h(
    "select",
    props,
    options.map((o) => {
      const [v, label] = Array.isArray(o) ? o : [o, o];
      return h("option", { value: v, selected: v === value, text: label });
    }),
  );
}

/** The area where a page reports an error (AWS's code and message) or a result; read out by screen readers. */
export function messages() {
  const box = h("div", { class: "messages", role: "status", "aria-live": "polite" });
  box.error = (err) => {
    box.replaceChildren(h("p", { class: "error", role: "alert" }, h("strong", { text: err.code || "Error" }), ": ", err.message));
  };
  box.ok = (text) => box.replaceChildren(h("p", { class: "ok", text }));
  box.clear = () => box.replaceChildren();
  return box;
}

/** Run an action from a button: disabled while it runs, errors to `box`. */
export async function act(button, box, action) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    box?.clear();
    return await action();
  } catch (err) {
    if (box) box.error(err);
    else throw err;
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

export function table(caption, columns, rows) {
  // The wrapper scrolls sideways on a narrow screen: focusable, so the keyboard can scroll it too (axe-core's
  // scrollable-region-focusable), and named by the table's caption.
  return h(
    "div",
    { class: "table-wrap", tabindex: "0", role: "group", "aria-label": caption },
    h(
      "table",
      {},
      h("caption", { text: caption }),
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", text: c.title })))),
      h(
        "tbody",
        {},
        rows.length === 0
          ? h("tr", {}, h("td", { colspan: String(columns.length), class: "empty", text: "None." }))
          : rows.map((row) => h("tr", {}, columns.map((c) => h("td", {}, c.cell(row))))),
      ),
    ),
  );
}

export function when(value) {
  if (value === undefined || value === null || value === "") return "";
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return date.toISOString().replace("T", " ").replace(/\.\d{3}Z$/, " UTC");
}

export function download(filename, text, type = "application/x-pem-file") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = h("a", { href: url, download: filename, class: "visually-hidden", text: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function link(href, text) {
  return h("a", { href, text });
}

export function section(title, ...children) {
  return h("section", { class: "panel", "aria-label": title }, h("h2", { text: title }), ...children);
}

export function pre(text, label) {
  return h("pre", { tabindex: "0", "aria-label": label || "JSON", text });
}

/** An indeterminate progress bar with its text (what the page is waiting for). */
export function progress(label, text) {
  return h("p", { class: "progress" }, h("progress", { "aria-label": label }), ` ${text}`);
}

/**
 * Run `step` every `every` ms while it answers true, the page still shows `anchor`, and at most `times` times: how a
 * page follows something the server finishes in the background (a replication, a delivery).
 */
export function poll(anchor, step, every = 2000, times = 90) {
  let n = 0;
  let shown = false; // a page still being built is not in the document yet: wait for it; one taken away ends this
  const tick = async () => {
    n += 1;
    if (!anchor.isConnected) {
      if (!shown && n < times) setTimeout(tick, every);
      return;
    }
    shown = true;
    let again = false;
    try {
      again = await step();
    } catch {
      again = false;
    }
    if (again && n < times) setTimeout(tick, every);
  };
  setTimeout(tick, every);
}
