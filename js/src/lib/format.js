export function fmtMs(seconds) {
  if (seconds == null) return "–";
  const ms = seconds * 1000;
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

export function fmtInt(n) {
  if (n == null || Number.isNaN(n)) return "–";
  return Math.round(n).toLocaleString("en-US");
}

export function fmtCost(usd) {
  if (usd == null) return "–";
  if (usd === 0) return "$0";
  if (usd < 0.01) return `$${usd.toFixed(5)}`;
  return `$${usd.toFixed(2)}`;
}

export function fmtPct(fraction) {
  if (fraction == null || Number.isNaN(fraction)) return "–";
  return `${(fraction * 100).toFixed(1)}%`;
}
