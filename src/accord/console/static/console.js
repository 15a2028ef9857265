"use strict";
// The accord console: reads the console's own JSON API (/api/...) and draws the page.
(() => {
  const POLL_MS = 2000;
  const PALETTE = ["#2457c5", "#8e44ad", "#16a085", "#d35400", "#2c3e50", "#c0392b", "#7f8c8d"];
  const state = { services: [], colours: {}, token: "", documents: {}, view: "", traceId: "", traceSpans: 0 };

  // -- helpers ---------------------------------------------------------------------------
  const h = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "style") node.style.cssText = value;  // CSSOM: allowed by the page's CSP
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== false) node.append(child);
    }
    return node;
  };
  const svg = (tag, attrs = {}, ...children) => {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    for (const child of children) node.append(child);
    return node;
  };
  const $ = (selector) => document.querySelector(selector);
  const getJSON = async (url, options) => {
    const answer = await fetch(url, options);
    const body = await answer.json();
    if (!answer.ok) throw new Error(body.detail || answer.statusText);
    return body;
  };
  const dash = "–";
  const fixed = (value, digits, unit = "") => (value === null || value === undefined ? dash : value.toFixed(digits) + unit);
  const millis = (ms) => (ms === null || ms === undefined ? dash : ms.toFixed(ms < 10 ? 2 : ms < 100 ? 1 : 0) + " ms");
  const percent = (value) => (value === null || value === undefined ? dash : (100 * value).toFixed(1) + " %");
  const colour = (service) => {
    if (!(service in state.colours)) {
      state.colours[service] = PALETTE[Object.keys(state.colours).length % PALETTE.length];
    }
    return state.colours[service];
  };
  const randomId = () => (crypto.randomUUID ? crypto.randomUUID()
    : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join(""));

  // -- services --------------------------------------------------------------------------
  const healthBadge = (health) => h("span", { class: `badge ${health.replace(" ", "-")}` }, health);

  const renderServices = (data) => {
    $("#project").textContent = `· ${data.project}`;
    const body = $("#services tbody");
    body.replaceChildren(...data.services.map((s) => h("tr", { "data-service": s.name },
      h("td", {}, h("a", { href: `#api/${s.name}`, title: "its contracts, with try it" }, h("strong", {}, s.name))),
      h("td", { class: "health" }, healthBadge(s.health), s.detail ? h("div", { class: "hint" }, s.detail) : null),
      h("td", { class: "version" }, (s.versions || []).join(" · ") || dash,
        s.label && s.label !== "working" ? h("div", { class: "hint" }, `release ${s.label}`) : null,
        Object.entries(s.instances || {}).map(([v, i]) => h("div", { class: "hint instance" },
          `also ${v} (pid ${i.pid || dash}, ${i.ready ? "ready" : "starting"})`))),
      h("td", { class: "num rate" }, fixed(s.rate, 2)),
      h("td", { class: "num errors" + (s.error_rate ? " bad" : "") }, percent(s.error_rate)),
      h("td", { class: "num p99" }, millis(s.p99_ms)),
      h("td", { class: "num requests" }, s.requests === null || s.requests === undefined ? dash : String(s.requests)),
      h("td", { class: "mono" }, s.pid ? String(s.pid) : dash),
      h("td", { class: "mono" }, s.url),
    )));
  };

  const pollServices = async () => {
    try {
      const data = await getJSON("/api/services");
      state.services = data.services;
      data.services.forEach((s) => colour(s.name));
      renderServices(data);
      $("#live").classList.remove("stale");
      if (!$("#api-services").children.length) renderServiceList();
    } catch (error) {
      $("#live").classList.add("stale");
    }
  };

  // -- map -------------------------------------------------------------------------------
  const layers = (nodes, edges, deps) => {
    const callers = Object.fromEntries(nodes.map((n) => [n, new Set()]));
    for (const e of edges) callers[e.target] && callers[e.target].add(e.source);
    for (const [name, list] of Object.entries(deps)) {
      for (const dep of list) callers[dep] && callers[dep].add(name);
    }
    const layer = {};
    const depth = (n, seen) => {
      if (n in layer) return layer[n];
      if (seen.has(n)) return 0;
      seen.add(n);
      let d = 0;
      for (const c of callers[n] || []) d = Math.max(d, depth(c, seen) + 1);
      seen.delete(n);
      return (layer[n] = d);
    };
    nodes.forEach((n) => depth(n, new Set()));
    return layer;
  };

  const renderMap = (data) => {
    const deps = Object.fromEntries(state.services.map((s) => [s.name, s.depends_on || []]));
    const health = Object.fromEntries(state.services.map((s) => [s.name, s.health]));
    const layer = layers(data.nodes, data.edges, deps);
    const columns = {};
    for (const n of data.nodes) (columns[layer[n]] = columns[layer[n]] || []).push(n);
    const W = 170, H = 54, GX = 150, GY = 36;
    const count = Object.keys(columns).length || 1;
    const tallest = Math.max(1, ...Object.values(columns).map((c) => c.length));
    const width = count * W + (count - 1) * GX + 40;
    const height = tallest * H + (tallest - 1) * GY + 40;
    const at = {};
    for (const [col, names] of Object.entries(columns)) {
      const offset = (height - (names.length * H + (names.length - 1) * GY)) / 2;
      names.forEach((n, i) => { at[n] = { x: 20 + col * (W + GX), y: offset + i * (H + GY) }; });
    }
    const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "service map" });
    root.append(svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "10", refY: "5",
      markerWidth: "8", markerHeight: "8", orient: "auto-start-reverse" }, svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#8a96a8" }))));
    for (const e of data.edges) {
      const a = at[e.source], b = at[e.target];
      if (!a || !b) continue;
      const forward = b.x > a.x;
      const x1 = forward ? a.x + W : a.x, y1 = a.y + H / 2;
      const x2 = forward ? b.x : b.x + W, y2 = b.y + H / 2;
      const mid = (x1 + x2) / 2;
      const label = `${e.calls} call${e.calls === 1 ? "" : "s"}` + (e.errors ? `, ${e.errors} failed` : "");
      root.append(svg("g", { class: "edge" + (e.errors ? " failing" : ""), "data-edge": `${e.source}->${e.target}` },
        svg("path", { d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`, "marker-end": "url(#arrow)" }),
        // Near the arrow's head, on the side away from the curve: the label never crosses it.
        svg("text", { x: forward ? x2 - 62 : x2 + 62, y: y2 > y1 ? y2 + 18 : y2 - 8, "text-anchor": "middle" }, document.createTextNode(label))));
    }
    for (const n of data.nodes) {
      const p = at[n];
      const fill = { ready: "#eaf6ee", "not ready": "#fff4e0", down: "#fdeceb" }[health[n]] || "#f1f3f6";
      const stroke = { ready: "#23864a", "not ready": "#a86a00", down: "#c0392b" }[health[n]] || "#8a96a8";
      root.append(svg("g", { class: "node", "data-node": n },
        svg("rect", { x: p.x, y: p.y, width: W, height: H, rx: 8, fill, stroke }),
        svg("text", { x: p.x + 14, y: p.y + 23 }, document.createTextNode(n)),
        svg("text", { x: p.x + 14, y: p.y + 41, class: "sub" }, document.createTextNode(health[n] || "not in this project"))));
    }
    const host = $("#map");
    host.replaceChildren(root);
    if (!data.edges.length) host.append(h("p", { class: "hint" }, "No calls between services in the traces yet."));
  };

  const pollMap = async () => {
    try { renderMap(await getJSON("/api/map")); } catch (error) { $("#map").textContent = error.message; }
  };

  // -- API reference ---------------------------------------------------------------------
  const renderServiceList = () => {
    $("#api-services").replaceChildren(...state.services.map((s) =>
      h("li", {}, h("a", { href: `#api/${s.name}`, "data-service": s.name }, s.name))));
  };

  const tokenHint = () => (state.token ? "sent with the token" : "needs a token: log in above or paste one");
  const TOKEN_KEY = "accord-console-token";  // kept for this tab only (sessionStorage)
  const setToken = (token, from) => {
    state.token = token.trim();
    sessionStorage.setItem(TOKEN_KEY, state.token);
    $("#token").value = state.token;
    $("#token-state").textContent = state.token ? `token set${from ? " from " + from : ""}` : "no token";
    document.querySelectorAll(".token-hint").forEach((node) => { node.textContent = tokenHint(); });
  };

  const resolver = (doc) => (node) => {
    let guard = 0;
    while (node && node.$ref && guard++ < 32) {
      node = node.$ref.replace(/^#\//, "").split("/").reduce((at, key) => at && at[key], doc);
    }
    return node || {};
  };

  const example = (resolve, schema, depth = 0) => {
    schema = resolve(schema);
    if (depth > 6) return null;
    if ("example" in schema) return schema.example;
    if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
    if ("default" in schema) return schema.default;
    if (Array.isArray(schema.enum)) return schema.enum[0];
    const union = schema.anyOf || schema.oneOf;
    if (union) return example(resolve, union.map(resolve).find((s) => s.type !== "null") || union[0], depth + 1);
    const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
    if (type === "object" || schema.properties) {
      const required = new Set(schema.required || []);
      const out = {};
      for (const [name, prop] of Object.entries(schema.properties || {})) {
        if (required.has(name) || depth === 0) out[name] = example(resolve, prop, depth + 1);
      }
      return out;
    }
    if (type === "array") return [example(resolve, schema.items || {}, depth + 1)];
    if (type === "integer" || type === "number") return schema.minimum !== undefined ? schema.minimum : 1;
    if (type === "boolean") return false;
    if (schema.format === "email") return "someone@example.com";
    if (schema.format === "date-time") return new Date().toISOString();
    return "string";
  };

  const typeOf = (resolve, schema) => {
    if (!schema) return "";
    if (schema.$ref) return schema.$ref.split("/").pop();
    const union = schema.anyOf || schema.oneOf;
    if (union) return union.map((s) => typeOf(resolve, s)).join(" | ");
    if (schema.type === "array") return typeOf(resolve, schema.items) + "[]";
    return Array.isArray(schema.type) ? schema.type.join(" | ") : schema.type || "any";
  };

  const fieldsTable = (resolve, schema) => {
    const body = resolve(schema);
    const required = new Set(body.required || []);
    const rows = Object.entries(body.properties || {}).map(([name, prop]) => h("tr", {},
      h("td", { class: "mono" }, name, required.has(name) ? h("span", { class: "bad" }, " *") : null),
      h("td", { class: "mono muted" }, typeOf(resolve, prop)),
      h("td", {}, resolve(prop).description || "")));
    if (!rows.length) return null;
    return h("table", { class: "grid" }, h("thead", {}, h("tr", {}, h("th", {}, "field"), h("th", {}, "type"), h("th", {}, "about"))), h("tbody", {}, rows));
  };

  const problemView = (body) => {
    const rows = Object.entries(body).filter(([k]) => !["title", "type"].includes(k)).map(([k, v]) =>
      h("tr", {}, h("td", { class: "mono muted" }, k), h("td", { class: "mono" }, typeof v === "string" ? v : JSON.stringify(v))));
    return h("div", { class: "problem" }, h("div", { class: "title" }, body.title || "problem"), h("table", {}, h("tbody", {}, rows)));
  };

  const answerView = (answer, onToken) => {
    const isProblem = (answer.headers["content-type"] || "").startsWith("application/problem+json") && answer.json;
    const text = answer.json !== null && answer.json !== undefined ? JSON.stringify(answer.json, null, 2) : answer.body;
    let tokenNote = null;
    if (answer.status < 300 && answer.json && typeof answer.json.access_token === "string") {
      onToken(answer.json.access_token);
      tokenNote = h("span", { class: "ok token-taken" }, "token kept for the next requests");
    }
    return h("div", { class: "answer" },
      h("div", { class: "head" },
        h("span", { class: "status " + (answer.status < 400 ? "ok" : "bad") }, String(answer.status)),
        h("span", { class: "muted" }, `${answer.duration_ms.toFixed(1)} ms`),
        answer.trace_id ? h("span", {}, "trace ", h("a", { class: "trace-link mono", href: `#traces/${answer.trace_id}` }, answer.trace_id)) : null,
        tokenNote),
      isProblem ? problemView(answer.json) : null,
      h("pre", { class: "answer-body" }, text || "(no body)"));
  };

  const operationView = (service, doc, path, method, op) => {
    const resolve = resolver(doc);
    const params = (op.parameters || []).map(resolve);
    const scopes = [...new Set((op.security || []).flatMap((s) => Object.values(s).flat()))];
    const secured = (op.security || []).length > 0;
    const bodySchema = op.requestBody && ((op.requestBody.content || {})["application/json"] || {}).schema;
    const inputs = {};
    const fields = params.map((p) => {
      const value = p.name.toLowerCase() === "idempotency-key" ? randomId() : (p.schema && "default" in p.schema ? String(p.schema.default) : "");
      inputs[`${p.in}:${p.name}`] = h("input", { name: p.name, "data-in": p.in, value, spellcheck: "false" });
      return h("label", {}, h("span", {}, h("span", { class: "mono" }, p.name), h("span", { class: "hint" }, p.in + (p.required ? ", required" : ""))), inputs[`${p.in}:${p.name}`]);
    });
    const textarea = bodySchema ? h("textarea", { class: "body-input", spellcheck: "false" }, JSON.stringify(example(resolve, bodySchema), null, 2)) : null;
    const result = h("div", { class: "result" });
    const sendIt = async (event) => {
      event.preventDefault();
      let url = path;
      const headers = {};
      const query = new URLSearchParams();
      for (const [key, input] of Object.entries(inputs)) {
        const where = key.split(":")[0];
        if (!input.value) continue;
        if (where === "path") url = url.replace(`{${input.name}}`, encodeURIComponent(input.value));
        else if (where === "query") query.append(input.name, input.value);
        else if (where === "header") headers[input.name] = input.value;
      }
      if (query.toString()) url += "?" + query.toString();
      if (state.token && secured) headers.authorization = `Bearer ${state.token}`;
      result.replaceChildren(h("p", { class: "muted" }, "Sending…"));
      try {
        const answer = await fetch("/api/try", { method: "POST", headers: { "content-type": "application/json" },
          body: JSON.stringify({ service, method: method.toUpperCase(), path: url, headers, body: textarea ? textarea.value : null }) });
        const data = await answer.json();
        if (!answer.ok) { result.replaceChildren(h("div", { class: "answer" }, problemView(data))); return; }
        result.replaceChildren(answerView(data, (token) => setToken(token, `${method.toUpperCase()} ${path}`)));
        if (inputs["header:idempotency-key"]) inputs["header:idempotency-key"].value = randomId();
      } catch (error) {
        result.replaceChildren(h("p", { class: "bad" }, String(error)));
      }
    };
    const errors = Object.entries(op.responses || {}).filter(([code]) => Number(code) >= 400);
    return h("details", { class: "op", "data-op": `${method.toUpperCase()} ${path}` },
      h("summary", {}, h("span", { class: `method ${method.toUpperCase()}` }, method.toUpperCase()),
        h("span", { class: "path" + (op.deprecated ? " deprecated" : "") }, path),
        h("span", { class: "summary" }, op.summary || op.operationId || ""),
        scopes.map((s) => h("span", { class: "scope" }, s))),
      h("div", { class: "body" },
        op.description ? h("p", {}, op.description) : null,
        bodySchema ? [h("h4", {}, "Request body"), fieldsTable(resolve, bodySchema)] : null,
        errors.length ? [h("h4", {}, "Errors"), h("table", { class: "grid" }, h("thead", {}, h("tr", {}, h("th", { class: "status-col" }, "status"), h("th", {}, "when"))), h("tbody", {}, errors.map(([code, r]) =>
          h("tr", {}, h("td", { class: "mono" }, code), h("td", {}, resolve(r).description || "")))))] : null,
        h("form", { class: "try", onsubmit: sendIt },
          h("h4", {}, "Try it", h("span", { class: "hint" + (secured ? " token-hint" : "") }, secured ? tokenHint() : "no token needed")),
          fields, textarea, h("div", {}, h("button", { type: "submit", class: "send" }, "Send")), result)));
  };

  const showReference = async (service) => {
    document.querySelectorAll("#api-services a").forEach((a) => a.classList.toggle("active", a.dataset.service === service));
    const host = $("#api-reference");
    if (!service) { host.replaceChildren(h("p", { class: "muted" }, "Choose a service.")); return; }
    host.replaceChildren(h("p", { class: "muted" }, `Reading ${service}'s contracts…`));
    try {
      const data = state.documents[service] || (state.documents[service] = await getJSON(`/api/documents/${service}`));
      host.replaceChildren(...data.documents.map(({ document: doc }) => h("div", { class: "document", "data-version": doc.info.version },
        h("div", { class: "doc-head" }, h("h2", {}, `${doc.info.title} `, h("span", { class: "muted" }, doc.info.version)),
          doc.info.description ? h("p", {}, doc.info.description) : null),
        Object.entries(doc.paths || {}).flatMap(([path, item]) => Object.entries(item)
          .filter(([m]) => ["get", "post", "put", "patch", "delete"].includes(m))
          .map(([m, op]) => operationView(service, doc, path, m, op))))));
    } catch (error) {
      delete state.documents[service];
      host.replaceChildren(h("p", { class: "bad" }, error.message));
    }
  };

  // -- traces ----------------------------------------------------------------------------
  const started = (ns) => new Date(ns / 1e6).toLocaleTimeString();
  const loadTraces = async () => {
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
  const showTrace = async (id) => {
    const host = $("#trace-detail");
    state.traceId = id || "";
    state.traceSpans = 0;
    if (!id) { host.hidden = true; return; }
    host.hidden = false;
    host.replaceChildren(h("p", { class: "muted" }, `Looking for trace ${id}… (spans arrive within a few seconds)`));
    await refreshTrace();
  };

  const refreshTrace = async () => {
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

  // -- flags and releases ----------------------------------------------------------------
  const loadFlags = async () => {
    const data = await getJSON("/api/flags");
    $("#flags-folder").textContent = `${data.folder} · this process's environment: ${data.current}`;
    $("#flags").replaceChildren(...data.environments.map((env) => h("div", { class: "env", "data-env": env.env },
      h("h3", {}, env.env, h("span", { class: "hint" }, env.file)),
      env.error ? h("p", { class: "bad" }, env.error) : h("table", { class: "grid fixed" },
        h("thead", {}, h("tr", {}, h("th", {}, "flag"), h("th", {}, "state"), h("th", {}, "who gets what"), h("th", {}, "variants"))),
        h("tbody", {}, env.flags.map((f) => h("tr", { "data-flag": f.key },
          h("td", { class: "mono" }, f.key), h("td", {}, f.state),
          h("td", {}, f.summary),
          h("td", { class: "mono" }, Object.entries(f.variants).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join("  ")))))))));
    for (const [id, url] of [["#configuration", "/api/configuration"], ["#rollouts", "/api/rollouts"]]) {
      const part = await getJSON(url);
      const body = $(`${id} .body`);
      if (!part.available) body.replaceChildren(h("p", { class: "muted not-available" }, `Not available: ${part.reason}.`));
      else if (part.rollouts) body.replaceChildren(rolloutTable(part.rollouts));
      else body.replaceChildren(h("pre", {}, JSON.stringify(part, null, 2)));
    }
  };

  const rolloutTable = (records) => {
    if (!records.length) return h("p", { class: "muted" }, "No rollout has run.");
    return h("table", { class: "grid" },
      h("thead", {}, h("tr", {}, ["service", "strategy", "stable → candidate", "phase", "step", "weights", "reason"].map((c) => h("th", {}, c)))),
      h("tbody", {}, records.map((r) => h("tr", { "data-rollout": r.service },
        h("td", {}, h("strong", {}, r.service)), h("td", {}, r.strategy || dash),
        h("td", { class: "mono" }, `${r.stable || "?"} → ${r.candidate || "?"}`),
        h("td", {}, h("span", { class: `badge ${r.in_progress ? "not-ready" : "ready"}` }, r.phase || "?")),
        h("td", { class: "num" }, String(r.step ?? dash)),
        h("td", { class: "mono" }, Object.entries(r.weights || {}).map(([k, v]) => `${k} ${v}%`).join(", ") || dash),
        h("td", {}, r.reason || "")))));
  };

  // -- routing ---------------------------------------------------------------------------
  const route = async () => {
    const [view, arg] = (location.hash.replace(/^#/, "") || "overview").split("/");
    const name = ["overview", "api", "traces", "flags"].includes(view) ? view : "overview";
    state.view = name;
    document.querySelectorAll("main > .view").forEach((v) => { v.hidden = v.id !== `view-${name}`; });
    document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("active", a.dataset.view === name));
    if (name === "overview") await pollMap();
    if (name === "api") { if (!$("#api-services").children.length) renderServiceList(); await showReference(arg || (state.services[0] || {}).name); }
    if (name === "traces") { await showTrace(arg); await loadTraces(); }
    if (name === "flags") await loadFlags();
  };

  setToken(sessionStorage.getItem(TOKEN_KEY) || "", "earlier in this tab");
  $("#token").addEventListener("input", (e) => setToken(e.target.value, "the field"));
  $("#trace-open").addEventListener("submit", (e) => {
    e.preventDefault();
    location.hash = `#traces/${$("#trace-id").value.trim().toLowerCase()}`;
  });
  window.addEventListener("hashchange", route);
  setInterval(async () => {
    await pollServices();
    if (state.view === "overview") await pollMap();
    if (state.view === "traces") {
      if (state.traceId) await refreshTrace();
      await loadTraces().catch(() => {});
    }
  }, POLL_MS);
  pollServices().then(route);
})();
