// The trace view: no chart, so a bundle of its own without Vega.
export { default } from "../trace_view.js";
