// One bundle for every widget that draws with Vega, so the Vega runtime ships once in the
// package. Each widget class names itself in its `_widget` trait; this picks its render.
import dashboard from "../dashboard.js";
import experimentView from "../experiment_view.js";
import optimizationChart from "../optimization_chart.js";

export const WIDGETS = {
  dashboard,
  experiment_view: experimentView,
  optimization_chart: optimizationChart,
};

export function widgetFor(name) {
  const widget = WIDGETS[name];
  if (!widget) throw new Error(`dspex_nb charts bundle: no widget named ${JSON.stringify(name)}`);
  return widget;
}

export default {
  render(context) {
    return widgetFor(context.model.get("_widget")).render(context);
  },
};
