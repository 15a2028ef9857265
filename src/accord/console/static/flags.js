// Flags of every environment, configuration versions and rollouts.

import { state, h, svg, $, getJSON, dash, fixed, millis, percent, colour, randomId } from "./dom.js";

export const loadFlags = async () => {
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
  const token = state.token ? { authorization: `Bearer ${state.token}` } : {};
  for (const [id, url] of [["#configuration", "/api/configuration"], ["#rollouts", "/api/rollouts"]]) {
    const part = await getJSON(url, { headers: token });
    const body = $(`${id} .body`);
    if (!part.available) body.replaceChildren(h("p", { class: "muted not-available" }, `Not available: ${part.reason}.`));
    else if (part.rollouts) body.replaceChildren(rolloutTable(part.rollouts));
    else if (part.services) body.replaceChildren(configurationTable(part.services));
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

const configurationTable = (rows) => h("div", {},
  h("p", { class: "hint" }, "As each running service reports it (GET /admin/config), read with the token of the API page: it needs the services' admin scope."),
  h("table", { class: "grid" },
    h("thead", {}, h("tr", {}, ["service", "environment", "schema version", "hash", "generation", "applied", "state"].map((c) => h("th", {}, c)))),
    h("tbody", {}, rows.map((r) => h("tr", { "data-config": r.service },
      h("td", {}, h("strong", {}, r.service)), h("td", {}, r.env || dash),
      h("td", { class: "mono" }, r.schema_version || dash), h("td", { class: "mono" }, r.hash ? String(r.hash).slice(0, 12) : dash),
      h("td", { class: "num" }, r.generation === undefined || r.generation === null ? dash : String(r.generation)),
      h("td", {}, r.applied_at || dash),
      h("td", { class: r.state === "ok" ? "ok" : "muted" }, r.state))))));
