// Bundle each widget entry (src/*.js) into one self-contained ES module in the Python package,
// so that no widget loads anything from a CDN. Deterministic: CI rebuilds and diffs the result.
import { build } from "esbuild";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const entries = readdirSync("src").filter((f) => f.endsWith(".js"));
await build({
  entryPoints: entries.map((f) => join("src", f)),
  outdir: "../dspex_nb/widgets/static",
  bundle: true,
  format: "esm",
  minify: true,
  legalComments: "none",
  target: "es2020",
  logLevel: "warning",
});
console.log(`built ${entries.length} widget bundles: ${entries.join(", ")}`);
