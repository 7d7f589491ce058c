// The evaluation table: no chart, so a bundle of its own without Vega.
export { default } from "../eval_table.js";
