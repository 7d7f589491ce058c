// BatchView: a batch in progress (dx.Parallel, module.batch): a bar, done/total, failures by
// error type, rate and time; its final state stays as the cell's record of the run.
import { h } from "./lib/dom.js";
import { fmtInt } from "./lib/format.js";
import { style, BASE_CSS } from "./lib/style.js";

const CSS = `
.dx-batch { max-width: 560px; }
.dx-batch .track { height: 8px; background: var(--jp-layout-color3, #e0e0e0); border-radius: 4px; overflow: hidden; display: flex; }
.dx-batch .ok { background: var(--jp-brand-color1, #1976d2); }
.dx-batch .bad { background: var(--jp-error-color1, #d32f2f); }
.dx-batch .line { display: flex; gap: 14px; margin: 4px 0; flex-wrap: wrap; }
`;

export function fmtDuration(seconds) {
  if (seconds == null || Number.isNaN(seconds)) return "–";
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - m * 60)} s`;
}

// The line under the bar: counts, rate, and the time left while it runs.
export function statusLine(s) {
  const parts = [`${fmtInt(s.done)} / ${fmtInt(s.total)}`];
  if (s.failures) parts.push(`${fmtInt(s.failures)} failed`);
  const rate = s.elapsed_s > 0 ? s.done / s.elapsed_s : 0;
  if (rate > 0) parts.push(`${rate.toFixed(rate < 10 ? 1 : 0)}/s`);
  parts.push(fmtDuration(s.elapsed_s));
  if (!s.finished && rate > 0 && s.done < s.total) parts.push(`about ${fmtDuration((s.total - s.done) / rate)} left`);
  if (s.finished) parts.push(s.stop_reason ? `stopped: ${s.stop_reason}` : "done");
  return parts.join(" · ");
}

export function view(s) {
  if (!s || s.total == null) return h("div", { class: "dx dx-batch muted", text: "no batch" });
  const total = Math.max(1, s.total);
  const okWidth = (100 * (s.done - (s.failures || 0))) / total;
  const badWidth = (100 * (s.failures || 0)) / total;
  const errors = Object.entries(s.error_types || {});
  return h("div", { class: "dx dx-batch" }, style(BASE_CSS + CSS),
    h("div", { class: "line" }, h("b", { text: s.module || "batch" }), h("span", { class: "muted", text: `concurrency ${s.concurrency}` })),
    h("div", { class: "track" },
      h("div", { class: "ok", style: { width: `${okWidth}%` } }),
      h("div", { class: "bad", style: { width: `${badWidth}%` } })),
    h("div", { class: "line status", text: statusLine(s) }),
    errors.length ? h("div", { class: "line errors" }, errors.map(([k, n]) => h("span", { class: "err", "data-error": k, text: `${k} × ${fmtInt(n)}` }))) : null);
}

export default {
  render({ model, el }) {
    const draw = () => el.replaceChildren(view(model.get("state")));
    draw();
    model.on("change:state", draw);
    return () => model.off("change:state", draw);
  },
};
