// ExperimentView: the hypothesis and its verdict; every dependent variable per arm with its 95%
// interval (Vega-Lite); the paired deltas against the control; the examples that flipped
// between the control and an arm (filterable); and each arm's instructions and demos beside
// the control's, with the differences marked. Everything an LM wrote is set as text.
import embed from "vega-embed";
import { h, pretty } from "./lib/dom.js";
import { demoDiff, wordDiff } from "./lib/diff.js";
import { style, BASE_CSS } from "./lib/style.js";

const MAX_SHOWN = 200;
const CSS = `
.dx-exp h3 { margin: 4px 0; }
.dx-exp h4 { margin: 12px 0 4px; }
.dx-exp .verdict { display: inline-block; padding: 2px 8px; border-radius: 3px; font-weight: bold; }
.dx-exp .verdict[data-verdict="supported"] { background: #c8e6c9; color: #1b5e20; }
.dx-exp .verdict[data-verdict="not supported"] { background: #ffcdd2; color: #b71c1c; }
.dx-exp .verdict[data-verdict="inconclusive"] { background: #fff3cd; color: #7a5b00; }
.dx-exp .controls { display: flex; gap: 8px; margin: 4px 0; flex-wrap: wrap; }
.dx-exp .scroll { max-height: 360px; overflow: auto; border: 1px solid var(--jp-border-color2, #ddd); }
.dx-exp td { vertical-align: top; white-space: nowrap; }
.dx-exp table.flipped td { max-width: 320px; white-space: pre-wrap; word-break: break-word; }
.dx-exp .gained { color: #1b5e20; } .dx-exp .lost { color: #b71c1c; }
.dx-exp .diff .add { background: #c8e6c9; text-decoration: none; }
.dx-exp .diff .del { background: #ffcdd2; text-decoration: line-through; }
.dx-exp .demo.add { border-left: 3px solid #2e7d32; } .dx-exp .demo.del { border-left: 3px solid #c62828; opacity: 0.7; }
.dx-exp .sig { font-weight: bold; }
.dx-exp .wide { overflow-x: auto; max-width: 100%; }
`;

const fmt = (v, digits = 3) => (typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "–");
const signed = (v, digits = 3) => (typeof v === "number" && Number.isFinite(v) ? (v >= 0 ? "+" : "") + v.toFixed(digits) : "–");
const fmtP = (v) => (typeof v === "number" ? (v < 0.001 ? v.toExponential(1) : v.toFixed(3)) : "–");
const joined = (obj) => (obj == null ? "" : typeof obj === "object" ? Object.entries(obj).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`).join("\n") : String(obj));

// One point per (experiment, arm, variable); the label names the experiment too when there
// are several, so the arms of different experiments stay apart.
export function chartData(experiments) {
  const several = experiments.length > 1;
  return experiments.flatMap((e) => (e.points || []).map((p) => ({ ...p, label: several ? `${e.name} / ${p.arm}` : p.arm })));
}

// `variables` orders the rows (the experiment's dependent variables, primary first).
export function chartSpec(values, variables = []) {
  const y = { field: "label", type: "nominal", title: null, sort: null };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    data: { values },
    facet: { row: { field: "variable", type: "nominal", title: null, sort: variables.length ? variables : "ascending", header: { labelAngle: 0, labelAlign: "left", labelFontWeight: "bold" } } },
    spec: {
      width: 420, height: { step: 24 },
      layer: [
        { mark: { type: "rule", strokeWidth: 2 },
          encoding: { y, x: { field: "ci_low", type: "quantitative", title: null, scale: { zero: false } }, x2: { field: "ci_high" } } },
        { mark: { type: "point", filled: true, size: 70 },
          encoding: { y, x: { field: "mean", type: "quantitative" }, color: { field: "label", type: "nominal", legend: null },
            tooltip: [{ field: "label", title: "arm" }, { field: "variable" }, { field: "mean", format: ".4g" },
                      { field: "ci_low", title: "95% low", format: ".4g" }, { field: "ci_high", title: "95% high", format: ".4g" }, { field: "n" }] } },
      ],
    },
    resolve: { scale: { x: "independent", y: "independent" } },
  };
}

// The flipped examples to show: by direction ("all", "gained", "lost") and text anywhere.
export function visibleFlips(rows, { direction = "all", query = "" } = {}) {
  const q = query.trim().toLowerCase();
  return rows.filter((r) => {
    if (direction !== "all" && r.direction !== direction) return false;
    if (!q) return true;
    return [r.inputs, r.gold, r.control_output, r.arm_output, r.control_error, r.arm_error].some((v) => joined(v).toLowerCase().includes(q));
  });
}

function header(e) {
  const ds = e.dataset || {};
  return h("div", { class: "head" },
    h("h3", { text: e.name }),
    h("div", { class: "muted", text: `${e.status || ""} · ${ds.name || "dataset"}: ${ds.dev_n ?? "?"} dev examples${ds.train_n ? `, ${ds.train_n} train` : ""} · control: ${e.control}` }),
    e.hypothesis ? h("div", { class: "hypothesis" }, h("b", { text: "Hypothesis: " }), e.hypothesis) : null,
    h("div", {}, h("span", { class: "verdict", "data-verdict": e.verdict || "", text: e.verdict || "not judged" })),
    e.verdict_text ? h("pre", { class: "verdict-text", text: e.verdict_text }) : null);
}

function armsTable(e) {
  const vars = [...new Set(e.arms.flatMap((a) => Object.keys(a.variables || {})))];
  const byArm = {};
  for (const p of e.points || []) (byArm[p.arm] ||= {})[p.variable] = p;
  return h("table", { class: "arms" },
    h("tr", {}, ["arm", "status", ...vars, "models", ...e.dependent_variables].map((c) => h("th", { text: c }))),
    e.arms.map((a) => h("tr", { "data-arm": a.name },
      h("td", { text: a.name }), h("td", { text: a.status }),
      vars.map((v) => h("td", { text: pretty(a.variables?.[v] ?? "") })),
      h("td", { text: (a.models || []).join(", ") }),
      e.dependent_variables.map((v) => { const p = byArm[a.name]?.[v]; return h("td", { text: p ? `${fmt(p.mean, 4)} [${fmt(p.ci_low, 4)}, ${fmt(p.ci_high, 4)}]` : "–" }); }))));
}

function deltaTable(e) {
  if (!e.comparisons.length) return h("div", { class: "muted", text: "no comparison (an arm did not finish beside the control)" });
  return h("table", { class: "deltas" },
    h("tr", {}, ["arm vs control", "variable", "control", "arm", "delta", "95% interval", "p", "McNemar p", "n"].map((c) => h("th", { text: c }))),
    e.comparisons.flatMap((c) => c.deltas.map((d) => h("tr", { "data-arm": c.arm, "data-variable": d.variable, class: d.ci_low > 0 || d.ci_high < 0 ? "sig" : "" },
      h("td", { text: `${c.arm} vs ${c.control}` }), h("td", { text: d.variable + (d.variable === c.primary ? " (primary)" : "") }),
      h("td", { text: fmt(d.mean_a, 4) }), h("td", { text: fmt(d.mean_b, 4) }), h("td", { text: signed(d.delta, 4) }),
      h("td", { text: `[${signed(d.ci_low, 4)}, ${signed(d.ci_high, 4)}]` }), h("td", { text: d.p_text ?? fmtP(d.p_value) }),
      h("td", { text: fmtP(d.mcnemar_p) }), h("td", { text: d.n })))));
}

function flipTable(c, filters) {
  const rows = visibleFlips(c.flipped || [], filters);
  const shown = rows.slice(0, MAX_SHOWN);
  return h("div", {},
    h("div", { class: "muted count", text: `${rows.length} of ${c.flipped_total} flipped examples${rows.length > MAX_SHOWN ? ` (first ${MAX_SHOWN} shown)` : ""}` }),
    h("div", { class: "scroll" }, h("table", { class: "flipped" },
      h("thead", {}, h("tr", {}, ["#", "change", "inputs", `${c.control} output`, `${c.arm} output`, "gold"].map((t) => h("th", { text: t })))),
      h("tbody", {}, shown.map((r) => h("tr", { "data-index": r.index, "data-direction": r.direction },
        h("td", { text: r.index }), h("td", { class: r.direction, text: r.direction }),
        h("td", { text: joined(r.inputs) }),
        h("td", { text: r.control_error ? `error: ${r.control_error}` : joined(r.control_output) }),
        h("td", { text: r.arm_error ? `error: ${r.arm_error}` : joined(r.arm_output) }),
        h("td", { text: joined(r.gold) })))))));
}

function programPanel(e, c) {
  const control = e.programs[c.control] || {}, arm = e.programs[c.arm] || {};
  const names = [...new Set([...Object.keys(control), ...Object.keys(arm)])];
  return h("div", { class: "programs" }, names.map((name) => {
    const before = control[name] || { instructions: "", demos: [] }, after = arm[name] || { instructions: "", demos: [] };
    const demos = demoDiff(before.demos || [], after.demos || []);
    return h("div", { class: "predictor", "data-name": name },
      h("b", { text: `${name}: ${c.control} → ${c.arm}` }),
      h("pre", { class: "diff instructions" }, wordDiff(before.instructions, after.instructions).map((p) =>
        p.op === "same" ? p.text : h(p.op === "add" ? "ins" : "del", { class: p.op, text: p.text }))),
      h("div", { class: "muted", text: `demos: ${(before.demos || []).length} → ${(after.demos || []).length}` }),
      demos.map((d) => h("pre", { class: `demo ${d.op}`, text: `${d.op === "add" ? "+ " : d.op === "del" ? "- " : "  "}${pretty(d.demo)}` })));
  }));
}

export default {
  async render({ model, el }) {
    const state = { comparison: 0, direction: "all", query: "" };
    let chart = null;
    const draw = async () => {
      const experiments = model.get("experiments") || [];
      if (!experiments.length) { el.replaceChildren(h("div", { class: "dx muted", text: "no experiment" })); return; }
      const selected = Math.min(model.get("selected") || 0, experiments.length - 1);
      const e = experiments[selected];
      const comparison = e.comparisons[Math.min(state.comparison, Math.max(0, e.comparisons.length - 1))];
      const chartBox = h("div", { class: "chart" });
      const flipBox = h("div", {});
      const redrawFlips = () => flipBox.replaceChildren(flipTable(comparison, state));
      const picker = experiments.length > 1 ? h("select", { class: "experiment", onchange: (ev) => { model.set("selected", Number(ev.target.value)); model.save_changes(); } },
        experiments.map((x, i) => { const o = h("option", { value: i, text: `${x.name} (${x.verdict || x.status})` }); o.selected = i === selected; return o; })) : null;
      const armPicker = e.comparisons.length > 1 ? h("select", { class: "comparison", onchange: (ev) => { state.comparison = Number(ev.target.value); draw(); } },
        e.comparisons.map((c, i) => { const o = h("option", { value: i, text: `${c.arm} vs ${c.control}` }); o.selected = c === comparison; return o; })) : null;
      const direction = h("select", { class: "direction", onchange: (ev) => { state.direction = ev.target.value; redrawFlips(); } },
        ["all", "gained", "lost"].map((d) => { const o = h("option", { value: d, text: d }); o.selected = d === state.direction; return o; }));
      const search = h("input", { class: "search", type: "search", placeholder: "filter text", value: state.query, oninput: (ev) => { state.query = ev.target.value; redrawFlips(); } });
      el.replaceChildren(h("div", { class: "dx dx-exp", "data-experiment": e.id },
        style(BASE_CSS + CSS), picker, header(e), h("div", { class: "wide" }, armsTable(e)),
        h("h4", { text: experiments.length > 1 ? "Dependent variables, every experiment and arm (95% intervals)" : "Dependent variables per arm (95% intervals)" }), chartBox,
        h("h4", { text: "Paired deltas against the control" }), h("div", { class: "wide" }, deltaTable(e)),
        comparison ? [h("h4", { text: "Examples that flipped" }), h("div", { class: "controls" }, armPicker, direction, search), flipBox,
                      h("h4", { text: "Prompts: control vs arm" }), programPanel(e, comparison)] : null));
      if (comparison) redrawFlips();
      if (chart) chart.finalize();
      chart = await embed(chartBox, chartSpec(chartData(experiments), [...new Set(experiments.flatMap((x) => x.dependent_variables || []))]), { actions: false, renderer: "svg" });
      el.dataset.chartPoints = String(chart.view.data("data_0")?.length ?? 0);
    };
    await draw();
    const onChange = () => { draw(); };
    model.on("change:experiments", onChange);
    model.on("change:selected", onChange);
    return () => { model.off("change:experiments", onChange); model.off("change:selected", onChange); if (chart) chart.finalize(); };
  },
};
