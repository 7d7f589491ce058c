// A Vega-Lite line chart whose data is streamed: new points are inserted into the running view
// and points that left the window removed, so the chart is never rebuilt per update.
import embed from "vega-embed";
import { changeset } from "vega";

export async function streamChart(container, spec) {
  const result = await embed(container, spec, { actions: false, renderer: "svg" });
  const view = result.view;
  let lastSeq = -1;
  return {
    view,
    update(points, key = "seq") {
      const fresh = points.filter((p) => p[key] > lastSeq);
      const minSeq = points.length ? points[0][key] : Infinity;
      if (!fresh.length && minSeq <= lastSeq) return 0;
      if (fresh.length) lastSeq = fresh[fresh.length - 1][key];
      view.change("points", changeset().insert(fresh).remove((d) => d[key] < minSeq)).run();
      return fresh.length;
    },
    finalize() { result.finalize(); },
  };
}
