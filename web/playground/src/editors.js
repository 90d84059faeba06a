// editors.js wraps CodeMirror 6: an editable SQL editor for the model's raw
// code and read-only viewers for compiled SQL, whose relations are marked as
// dev or production (and, in the side-by-side view, as differing).
import { basicSetup, minimalSetup } from "codemirror";
import { EditorView, Decoration, hoverTooltip, keymap } from "@codemirror/view";
import { EditorState, StateEffect, StateField, Compartment } from "@codemirror/state";
import { sql, PostgreSQL, StandardSQL } from "@codemirror/lang-sql";
import { indentWithTab } from "@codemirror/commands";
import { autocompletion } from "@codemirror/autocomplete";
import { linter, lintGutter } from "@codemirror/lint";

const theme = EditorView.theme({
  "&": { fontSize: "13px", height: "100%" },
  ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.5" },
  ".cm-content": { padding: "8px 0" },
  ".cm-gutters": { background: "var(--code-gutter)", borderRight: "1px solid var(--line)", color: "var(--muted)" },
});

const dialect = new Compartment();

/** sqlEditor makes the editable buffer; onChange gets the text after each edit; extra are more extensions (languageService). */
export function sqlEditor(parent, onChange, label, extra = []) {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: "",
      extensions: [
        basicSetup,
        keymap.of([indentWithTab]),
        dialect.of(sql({ dialect: PostgreSQL })),
        theme,
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ "aria-label": label, "aria-multiline": "true" }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged && !u.transactions.some((t) => t.annotation(external))) onChange(u.state.doc.toString());
        }),
        extra,
      ],
    }),
  });
  return {
    view,
    get text() {
      return view.state.doc.toString();
    },
    /** flash selects a range of the buffer and scrolls to it (a ref found from the preview). */
    flash(from, to) {
      view.dispatch({ selection: { anchor: from, head: to }, effects: EditorView.scrollIntoView(from, { y: "center" }) });
      view.focus();
    },
    set(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, annotations: external.of(true) });
    },
    setDialect(adapter) {
      view.dispatch({ effects: dialect.reconfigure(sql({ dialect: adapter === "postgres" || adapter === "redshift" ? PostgreSQL : StandardSQL })) });
    },
  };
}

import { Annotation } from "@codemirror/state";
const external = Annotation.define();

const setMarks = StateEffect.define();
const marksField = StateField.define({
  create: () => Decoration.none,
  update(deco, tr) {
    deco = deco.map(tr.changes);
    for (const e of tr.effects) if (e.is(setMarks)) deco = e.value;
    return deco;
  },
  provide: (f) => EditorView.decorations.from(f),
});

/**
 * sqlViewer makes a read-only viewer. set(text, marks) shows text and marks
 * every occurrence of each mark's text: marks = [{text, cls, title}].
 */
export function sqlViewer(parent, label) {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: "",
      extensions: [
        minimalSetup,
        EditorState.readOnly.of(true),
        EditorView.editable.of(false),
        dialect.of(sql({ dialect: PostgreSQL })),
        theme,
        EditorView.lineWrapping,
        marksField,
        EditorView.contentAttributes.of({ "aria-label": label, tabindex: "0" }),
      ],
    }),
  });
  let current = "";
  return {
    view,
    get text() {
      return current;
    },
    set(text, marks = []) {
      current = text;
      const ranges = [];
      const seen = new Set();
      // Longest first, so a relation that contains another wins.
      for (const m of [...marks].sort((a, b) => b.text.length - a.text.length)) {
        if (!m.text) continue;
        let i = text.indexOf(m.text);
        while (i >= 0) {
          let overlap = false;
          for (let k = i; k < i + m.text.length; k++) if (seen.has(k)) overlap = true;
          if (!overlap) {
            for (let k = i; k < i + m.text.length; k++) seen.add(k);
            const attributes = { "data-rel": m.text };
            if (m.title) attributes.title = m.title;
            ranges.push(Decoration.mark({ class: m.cls, attributes }).range(i, i + m.text.length));
          }
          i = text.indexOf(m.text, i + m.text.length);
        }
      }
      ranges.sort((a, b) => a.from - b.from);
      view.dispatch({
        changes: { from: 0, to: view.state.doc.length, insert: text },
        effects: setMarks.of(Decoration.set(ranges)),
      });
    },
    setDialect(adapter) {
      view.dispatch({ effects: dialect.reconfigure(sql({ dialect: adapter === "postgres" || adapter === "redshift" ? PostgreSQL : StandardSQL })) });
    },
  };
}

// ---- the language service: the engine's analyze() and complete() --------------

/** How long the editor waits after a keystroke before it asks analyze() for underlines. */
export const LINT_DELAY_MS = 200;

const KIND_TYPE = { model: "class", seed: "constant", snapshot: "class", package: "namespace", version: "enum", source: "namespace",
  table: "property", macro: "function", var: "variable", config: "keyword", materialization: "enum", function: "function" };

/**
 * languageService wires an editor to the engine (service: {analyze(text),
 * complete(text, offset), open(definition), hoverCard(call)}): completion
 * inside ref( / source( / var( / config( and at Jinja names, red and yellow
 * underlines from analyze's diagnostics, a hover card per ref, and
 * ctrl/cmd-click to open what a call names. analyze's last answer is kept
 * (service.last) for the hover card and the click.
 */
export function languageService(service) {
  let last = { text: null, res: null };
  const analysis = async (text) => {
    if (last.text === text && last.res) return last.res;
    const res = await service.analyze(text);
    last = { text, res };
    return res;
  };
  const callAt = (res, pos) => res?.calls.find((c) => c.range.start.offset <= pos && pos <= c.range.end.offset && (c.resolution || c.definition));
  service.last = () => last.res;
  return [
    autocompletion({
      override: [
        async (ctx) => {
          // Only inside {{ … }} or {% … %} (the engine would say "none" elsewhere: no call made).
          const before = ctx.state.sliceDoc(Math.max(0, ctx.pos - 2000), ctx.pos);
          const open = Math.max(before.lastIndexOf("{{"), before.lastIndexOf("{%"));
          if (!ctx.explicit && (open < 0 || Math.max(before.lastIndexOf("}}"), before.lastIndexOf("%}")) > open)) return null;
          const r = await service.complete(ctx.state.doc.toString(), ctx.pos).catch(() => null);
          if (!r || r.context === "none" || r.items.length === 0) return null;
          return {
            from: r.from.offset,
            to: r.to.offset,
            filter: false, // ranked by the engine's fuzzy match
            options: r.items.map((i) => ({ label: i.label, type: KIND_TYPE[i.kind] ?? "text", detail: i.detail, apply: i.insertText })),
          };
        },
      ],
    }),
    linter(async (view) => {
      const res = await analysis(view.state.doc.toString()).catch(() => null);
      if (!res) return [];
      const len = view.state.doc.length;
      return res.diagnostics.map((d) => {
        const from = Math.min(d.range.start.offset, len);
        const to = Math.min(Math.max(d.range.end.offset, from + 1), len);
        return {
          from: to > from ? from : Math.max(0, from - 1),
          to,
          severity: d.severity, // error, warning or info, as CodeMirror names them
          source: d.code,
          message: d.suggestion ? `${d.message} (did you mean "${d.suggestion}"?)` : d.message,
        };
      });
    }, { delay: LINT_DELAY_MS }),
    lintGutter(),
    hoverTooltip(async (view, pos) => {
      const res = await analysis(view.state.doc.toString()).catch(() => null);
      const call = callAt(res, pos);
      if (!call) return null;
      return { pos: call.range.start.offset, end: call.range.end.offset, above: true, create: () => ({ dom: service.hoverCard(call) }) };
    }, { hoverTime: 250 }),
    EditorView.domEventHandlers({
      mousedown(e, view) {
        if (!(e.ctrlKey || e.metaKey) || e.button !== 0) return false;
        const pos = view.posAtCoords({ x: e.clientX, y: e.clientY });
        const call = pos == null ? null : callAt(last.text === view.state.doc.toString() ? last.res : null, pos);
        if (!call?.definition) return false;
        e.preventDefault();
        service.open(call.definition, call);
        return true;
      },
    }),
  ];
}
