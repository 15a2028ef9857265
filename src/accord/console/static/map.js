// The map of who calls whom: an SVG drawn from /api/map.

import { state, h, svg, $, getJSON, dash, fixed, millis, percent, colour, randomId } from "./dom.js";

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

export const pollMap = async () => {
  try { renderMap(await getJSON("/api/map")); } catch (error) { $("#map").textContent = error.message; }
};
