// The accord console: routes between the views and polls the live ones every 2 s.

import { state, h, svg, $, getJSON, dash, fixed, millis, percent, colour, randomId } from "./dom.js";
import { pollServices } from "./services.js";
import { pollMap } from "./map.js";
import { renderServiceList, setToken, showReference, TOKEN_KEY } from "./reference.js";
import { loadTraces, showTrace, refreshTrace } from "./traces.js";
import { loadFlags } from "./flags.js";

const POLL_MS = 2000;

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
const poll = async () => {
  await pollServices();
  if (!$("#api-services").children.length) renderServiceList();
};

setInterval(async () => {
  await poll();
  if (state.view === "overview") await pollMap();
  if (state.view === "traces") {
    if (state.traceId) await refreshTrace();
    await loadTraces().catch(() => {});
  }
}, POLL_MS);
poll().then(route);
