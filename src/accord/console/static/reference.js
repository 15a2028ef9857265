// Each contract as a reference, with a "try it" form sent through /api/try.

import { state, h, svg, $, getJSON, dash, fixed, millis, percent, colour, randomId } from "./dom.js";

export const renderServiceList = () => {
  $("#api-services").replaceChildren(...state.services.map((s) =>
    h("li", {}, h("a", { href: `#api/${s.name}`, "data-service": s.name }, s.name))));
};

const tokenHint = () => (state.token ? "sent with the token" : "needs a token: log in above or paste one");
export const TOKEN_KEY = "accord-console-token";  // kept for this tab only (sessionStorage)
export const setToken = (token, from) => {
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

export const showReference = async (service) => {
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
