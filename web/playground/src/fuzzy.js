// fuzzy.js scores a query against model names: every query character must
// appear in order; contiguous runs, word starts (after _ . / -) and a match
// at the start score higher, and shorter names win ties. It is a plain loop
// over char codes so thousands of names score in a millisecond or two.

/** score returns -Infinity for no match, else a higher-is-better number and the matched positions. */
export function score(query, text, positions) {
  const q = query.toLowerCase();
  const t = text.toLowerCase();
  if (q.length === 0) return 0;
  const exact = t.indexOf(q);
  if (exact >= 0) {
    if (positions) for (let i = 0; i < q.length; i++) positions.push(exact + i);
    const boundary = exact === 0 || isSep(t.charCodeAt(exact - 1));
    return 1000 + (exact === 0 ? 300 : boundary ? 150 : 0) - t.length + (t.length === q.length ? 500 : 0);
  }
  let s = 0;
  let ti = 0;
  let run = 0;
  for (let qi = 0; qi < q.length; qi++) {
    const c = q.charCodeAt(qi);
    let found = -1;
    while (ti < t.length) {
      if (t.charCodeAt(ti) === c) {
        found = ti;
        break;
      }
      ti++;
      run = 0;
    }
    if (found < 0) return -Infinity;
    run++;
    s += 10 + run * 5;
    if (found === 0 || isSep(t.charCodeAt(found - 1))) s += 25;
    if (positions) positions.push(found);
    ti++;
  }
  return s - t.length;
}

function isSep(c) {
  return c === 95 /* _ */ || c === 46 /* . */ || c === 47 /* / */ || c === 45 /* - */ || c === 32;
}

/** search returns the best `limit` items for query, each {item, score, positions}. */
export function search(items, query, key, limit = 50) {
  const q = query.trim();
  if (!q) return items.slice(0, limit).map((item) => ({ item, score: 0, positions: [] }));
  const hits = [];
  for (const item of items) {
    const sc = score(q, key(item));
    if (sc > -Infinity) hits.push({ item, score: sc });
  }
  hits.sort((a, b) => b.score - a.score);
  return hits.slice(0, limit).map((x) => {
    const positions = [];
    score(q, key(x.item), positions);
    return { ...x, positions };
  });
}
