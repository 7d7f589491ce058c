// The batch progress view: no chart, so a bundle of its own without Vega.
export { default } from "../batch_view.js";
