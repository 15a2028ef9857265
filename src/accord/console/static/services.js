// The services table, read from /api/services every 2 s.

import { state, h, svg, $, getJSON, dash, fixed, millis, percent, colour, randomId } from "./dom.js";

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

export const pollServices = async () => {
  try {
    const data = await getJSON("/api/services");
    state.services = data.services;
    data.services.forEach((s) => colour(s.name));
    renderServices(data);
    $("#live").classList.remove("stale");
  } catch (error) {
    $("#live").classList.add("stale");
  }
};
