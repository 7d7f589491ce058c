// Word-level difference of two texts (longest common subsequence over words and spaces), for
// showing what an optimizer changed in a prompt. Returns [{op: "same"|"add"|"del", text}].
const MAX_CELLS = 4_000_000; // beyond this, show the texts as one removal and one addition

export function tokens(text) {
  return String(text ?? "").match(/\s+|[^\s]+/g) || [];
}

export function wordDiff(before, after) {
  const a = tokens(before), b = tokens(after);
  if (a.length * b.length > MAX_CELLS) {
    return merge([...(a.length ? [{ op: "del", text: a.join("") }] : []), ...(b.length ? [{ op: "add", text: b.join("") }] : [])]);
  }
  // lengths[i][j] = LCS length of a[i:] and b[j:]
  const lengths = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i][j] = a[i] === b[j] ? lengths[i + 1][j + 1] + 1 : Math.max(lengths[i + 1][j], lengths[i][j + 1]);
    }
  }
  const out = [];
  let i = 0, j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) { out.push({ op: "same", text: a[i] }); i++; j++; }
    else if (lengths[i + 1][j] >= lengths[i][j + 1]) out.push({ op: "del", text: a[i++] });
    else out.push({ op: "add", text: b[j++] });
  }
  while (i < a.length) out.push({ op: "del", text: a[i++] });
  while (j < b.length) out.push({ op: "add", text: b[j++] });
  return merge(out);
}

// Neighbouring pieces with the same op become one.
function merge(parts) {
  const out = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (last && last.op === p.op) last.text += p.text;
    else out.push({ ...p });
  }
  return out;
}

// Demos in `after` that are not in `before` are "add"; those only in `before` are "del".
export function demoDiff(before = [], after = []) {
  const key = (d) => JSON.stringify(d, Object.keys(d).sort());
  const old = new Set(before.map(key)), now = new Set(after.map(key));
  return [
    ...after.map((d) => ({ op: old.has(key(d)) ? "same" : "add", demo: d })),
    ...before.filter((d) => !now.has(key(d))).map((d) => ({ op: "del", demo: d })),
  ];
}
