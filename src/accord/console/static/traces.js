// Recent traces, and one trace as a waterfall (read again while its spans arrive).

import { state, h, svg, $, getJSON, dash, fixed, millis, percent, colour, randomId } from "./dom.js";

const started = (ns) => new Date(ns / 1e6).toLocaleTimeString();
export const loadTraces = async () => {
  const data = await getJSON("/api/traces?last=40");
  $("#traces tbody").replaceChildren(...data.traces.map((t) => h("tr", { class: "clickable", "data-trace": t.trace_id,
    onclick: () => { location.hash = `#traces/${t.trace_id}`; } },
    h("td", { class: "mono" }, h("a", { href: `#traces/${t.trace_id}` }, t.trace_id.slice(0, 16))),
    h("td", {}, started(t.start_ns)), h("td", {}, t.root_name),
    h("td", {}, t.services.map((s) => h("span", { class: "chip", style: `background:${colour(s)}` }, s))),
    h("td", { class: "num" }, String(t.span_count)), h("td", { class: "num" }, (t.duration_ns / 1e6).toFixed(1)),
    h("td", {}, h("span", { class: `badge ${t.status}` }, t.status === "UNSET" ? "–" : t.status)))));
};

// Services export their spans in batches: an open trace is read again while it grows.
export const showTrace = async (id) => {
  const host = $("#trace-detail");
  state.traceId = id || "";
  state.traceSpans = 0;
  if (!id) { host.hidden = true; return; }
  host.hidden = false;
  host.replaceChildren(h("p", { class: "muted" }, `Looking for trace ${id}… (spans arrive within a few seconds)`));
  await refreshTrace();
};

export const refreshTrace = async () => {
  const id = state.traceId;
  const host = $("#trace-detail");
  let data;
  try { data = await getJSON(`/api/traces/${id}`); } catch (error) {
    if (!state.traceSpans) host.replaceChildren(h("p", { class: "muted" }, `${error.message}; looking again…`));
    return;
  }
  if (id !== state.traceId || data.spans.length === state.traceSpans) return;
  state.traceSpans = data.spans.length;
  const total = Math.max(...data.spans.map((s) => s.start_ms + s.duration_ms), 0.001);
  const services = [...new Set(data.spans.map((s) => s.service))];
  const rows = data.spans.map((s) => {
    const detail = h("div", { class: "attrs", hidden: true }, h("table", {}, h("tbody", {},
      h("tr", {}, h("td", { class: "muted" }, "kind"), h("td", {}, s.kind)),
      h("tr", {}, h("td", { class: "muted" }, "span"), h("td", { class: "mono" }, s.span_id)),
      Object.entries(s.attributes).map(([k, v]) => h("tr", {}, h("td", { class: "muted mono" }, k), h("td", { class: "mono" }, String(v)))))));
    const row = h("div", { class: "row", "data-service": s.service, onclick: () => { detail.hidden = !detail.hidden; } },
      h("div", { class: "name", style: `padding-left:${s.depth * 16}px`, title: s.name },
        s.orphan ? h("span", { class: "hint" }, "(parent not in files) ") : null, s.name,
        s.status === "ERROR" && s.message ? h("div", { class: "error" }, s.message) : null),
      h("div", {}, h("span", { class: "chip", style: `background:${colour(s.service)}` }, s.service)),
      h("div", { class: "dur" }, `${s.duration_ms.toFixed(2)} ms`),
      h("div", { class: "track" }, h("div", { class: `bar ${s.status}`, style:
        `left:${(100 * s.start_ms / total).toFixed(3)}%;width:${Math.max(0.3, 100 * s.duration_ms / total).toFixed(3)}%;background:${colour(s.service)}` })));
    return [row, detail];
  });
  host.replaceChildren(h("div", { class: "waterfall", id: "waterfall", "data-trace": data.trace_id },
    h("h2", {}, "Trace ", h("span", { class: "mono" }, data.trace_id)),
    h("p", { class: "meta" }, `${data.spans.length} spans · ${services.join(", ")} · ${total.toFixed(1)} ms · click a span for its attributes`),
    rows.flat()));
};
