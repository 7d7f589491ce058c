// Bundle the widgets into self-contained ES modules in the Python package, so that no widget
// loads anything from a CDN. Each file of src/bundles/ is one bundle: the widgets that draw
// with Vega share one (anywidget loads each `_esm` on its own, so a chunk shared between
// bundles could not be imported; one bundle is how Vega ships once). Deterministic: CI
// rebuilds and diffs the result.
import { build } from "esbuild";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

const outdir = "../dspex_nb/views/widgets/static";
const entries = readdirSync("src/bundles").filter((f) => f.endsWith(".js"));
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: entries.map((f) => join("src/bundles", f)),
  outdir,
  bundle: true,
  format: "esm",
  minify: true,
  legalComments: "none",
  target: "es2020",
  logLevel: "warning",
});
console.log(`built ${entries.length} widget bundles: ${entries.join(", ")}`);
