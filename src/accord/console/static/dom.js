// The console page: shared state, element builders, fetching and number formats.

const PALETTE = ["#2457c5", "#8e44ad", "#16a085", "#d35400", "#2c3e50", "#c0392b", "#7f8c8d"];
export const state = { services: [], colours: {}, token: "", documents: {}, view: "", traceId: "", traceSpans: 0 };

export const h = (tag, attrs = {}, ...children) => {
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
export const svg = (tag, attrs = {}, ...children) => {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
};
export const $ = (selector) => document.querySelector(selector);
export const getJSON = async (url, options) => {
  const answer = await fetch(url, options);
  const body = await answer.json();
  if (!answer.ok) throw new Error(body.detail || answer.statusText);
  return body;
};
export const dash = "–";
export const fixed = (value, digits, unit = "") => (value === null || value === undefined ? dash : value.toFixed(digits) + unit);
export const millis = (ms) => (ms === null || ms === undefined ? dash : ms.toFixed(ms < 10 ? 2 : ms < 100 ? 1 : 0) + " ms");
export const percent = (value) => (value === null || value === undefined ? dash : (100 * value).toFixed(1) + " %");
export const colour = (service) => {
  if (!(service in state.colours)) {
    state.colours[service] = PALETTE[Object.keys(state.colours).length % PALETTE.length];
  }
  return state.colours[service];
};
export const randomId = () => (crypto.randomUUID ? crypto.randomUUID()
  : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join(""));
