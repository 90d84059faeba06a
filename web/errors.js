// Every failure the API reports is a DbtdeferError: a thrown Error that is
// also plain data ({code, message, location}), so it survives postMessage and
// JSON.stringify unchanged. Codes are stable; messages are for people.

export class DbtdeferError extends Error {
  /**
   * @param {string} code stable machine-readable code, e.g. "ref.not_found"
   * @param {string} message
   * @param {object} [location] {file, uniqueId, offset, line, column, suggestion}
   */
  constructor(code, message, location = {}) {
    super(message);
    this.name = "DbtdeferError";
    this.code = code;
    this.location = location ?? {};
  }

  toJSON() {
    return { code: this.code, message: this.message, location: this.location };
  }

  /** fromData rebuilds an error that crossed a worker boundary or came from Go. */
  static fromData(d) {
    return new DbtdeferError(d?.code ?? "internal.error", d?.message ?? String(d), d?.location ?? {});
  }
}

/** unwrap decodes a wasm answer envelope's text: its ok value, or its error thrown. */
export function unwrap(text) {
  const env = JSON.parse(text);
  if (env.error) throw DbtdeferError.fromData(env.error);
  return env.ok;
}

/** closest returns the candidate nearest to name (edit distance), or "". */
export function closest(name, candidates) {
  let best = "";
  let bestD = Math.floor(name.length / 2) + 2;
  for (const c of candidates) {
    const d = levenshtein(name.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}

function levenshtein(a, b) {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
