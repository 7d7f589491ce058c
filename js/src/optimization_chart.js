// OptimizationChart: each SIMBA step's candidate scores as points (shape = strategy), the
// best-so-far line, the baseline as a rule; hover shows the rule text or demo. New points are
// streamed into the running view. Below: the best program's instructions and demos, and the
// candidates with the exact rule each one added. All LM-written text is set as text.
import embed from "vega-embed";
import { changeset } from "vega";
import { h, pretty } from "./lib/dom.js";
import { style, BASE_CSS } from "./lib/style.js";

const CSS = `
.dx-opt .panels { display: flex; gap: 16px; flex-wrap: wrap; }
.dx-opt .panel { flex: 1 1 320px; min-width: 280px; }
.dx-opt .scroll { max-height: 260px; overflow: auto; }
.dx-opt .cands td { vertical-align: top; }
.dx-opt .cands td.rule { overflow-wrap: anywhere; }
`;

export function chartSpec() {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: 520, height: 200,
    layer: [
      { data: { name: "baseline" }, mark: { type: "rule", strokeDash: [4, 4], color: "#888" },
        encoding: { y: { field: "score", type: "quantitative" } } },
      { data: { name: "best" }, mark: { type: "line", color: "#2e7d32", point: false },
        encoding: { x: { field: "step", type: "quantitative" }, y: { field: "score", type: "quantitative" } } },
      { data: { name: "points" }, mark: { type: "point", filled: true, size: 70, opacity: 0.85 },
        encoding: {
          x: { field: "step", type: "quantitative", title: "step", axis: { tickMinStep: 1 } },
          y: { field: "score", type: "quantitative", title: "mini-batch score", scale: { domain: [0, 1] } },
          shape: { field: "strategy", type: "nominal" },
          color: { field: "strategy", type: "nominal", legend: { orient: "bottom" } },
          tooltip: [{ field: "program_id", title: "program" }, { field: "strategy" },
                    { field: "score", format: ".3f" }, { field: "change", title: "added" }],
        } },
    ],
  };
}

// What a candidate added, as one line of text for tooltips and the list.
export function changeText(p) {
  if (p.rules && Object.keys(p.rules).length) return Object.entries(p.rules).map(([k, v]) => `${k}: ${v}`).join(" | ");
  if (p.demos && Object.keys(p.demos).length) return Object.entries(p.demos).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(" | ");
  return p.strategy === "baseline" ? "(the unchanged program)" : "";
}

export function newItems(items, seen, key) {
  const fresh = items.filter((p) => !seen.has(key(p)));
  fresh.forEach((p) => seen.add(key(p)));
  return fresh;
}

function bestPanel(best) {
  if (!best || !best.predictors) return h("div", { class: "muted", text: "no program yet" });
  return h("div", {}, h("div", { class: "muted", text: `best program: ${best.program_id} (score ${best.score == null ? "–" : best.score.toFixed(3)})` }),
    Object.entries(best.predictors).map(([name, p]) => h("div", { class: "predictor", "data-name": name },
      h("b", { text: name }), h("pre", { class: "instructions", text: p.instructions }),
      (p.demos || []).length ? h("div", { class: "muted", text: `${p.demos.length} demos` }) : null,
      (p.demos || []).map((d) => h("pre", { class: "demo", text: pretty(d) })))));
}

function candidateList(points) {
  const rows = points.slice().sort((a, b) => b.step - a.step || b.score - a.score);
  // a table does not scroll: the box around it does (long demos wrap rather than widen it)
  return h("div", { class: "scroll" }, h("table", { class: "cands" }, h("tr", {}, ["step", "program", "strategy", "score", "added"].map((c) => h("th", { text: c }))),
    rows.map((p) => h("tr", { "data-program": p.program_id },
      h("td", { text: p.step }), h("td", { text: p.program_id }), h("td", { text: p.strategy }),
      h("td", { text: p.score == null ? "–" : p.score.toFixed(3) }), h("td", { class: "rule", text: changeText(p) })))));
}

export default {
  async render({ model, el }) {
    const chartBox = h("div", {});
    const bestBox = h("div", { class: "panel" });
    const listBox = h("div", { class: "panel" });
    const status = h("div", { class: "muted" });
    el.replaceChildren(h("div", { class: "dx dx-opt" }, style(BASE_CSS + CSS), status, chartBox, h("div", { class: "panels" }, bestBox, listBox)));
    const result = await embed(chartBox, chartSpec(), { actions: false, renderer: "svg" });
    const view = result.view;
    const seenPoints = new Set(), seenBest = new Set();
    let baselineShown = null;
    const draw = () => {
      const points = model.get("points").map((p) => ({ ...p, change: changeText(p).slice(0, 300) }));
      const freshPoints = newItems(points, seenPoints, (p) => `${p.step}/${p.program_id}`);
      const freshBest = newItems(model.get("best_line"), seenBest, (p) => p.step);
      let cs = false;
      if (freshPoints.length) { view.change("points", changeset().insert(freshPoints)); cs = true; }
      if (freshBest.length) { view.change("best", changeset().insert(freshBest)); cs = true; }
      const baseline = model.get("baseline");
      if (baseline != null && baseline !== baselineShown) {
        view.change("baseline", changeset().remove(() => true).insert([{ score: baseline }]));
        baselineShown = baseline; cs = true;
      }
      if (cs) view.run();
      el.dataset.points = String(view.data("points").length);
      status.textContent = model.get("status");
      bestBox.replaceChildren(bestPanel(model.get("best_program")));
      listBox.replaceChildren(candidateList(points));
    };
    draw();
    for (const t of ["points", "best_line", "baseline", "best_program", "status"]) model.on(`change:${t}`, draw);
    return () => { for (const t of ["points", "best_line", "baseline", "best_program", "status"]) model.off(`change:${t}`, draw); result.finalize(); };
  },
};
