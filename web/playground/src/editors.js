// editors.js wraps CodeMirror 6: an editable SQL editor for the model's raw
// code and read-only viewers for compiled SQL, whose relations are marked as
// dev or production (and, in the side-by-side view, as differing).
import { basicSetup, minimalSetup } from "codemirror";
import { EditorView, Decoration, keymap } from "@codemirror/view";
import { EditorState, StateEffect, StateField, Compartment } from "@codemirror/state";
import { sql, PostgreSQL, StandardSQL } from "@codemirror/lang-sql";
import { indentWithTab } from "@codemirror/commands";

const theme = EditorView.theme({
  "&": { fontSize: "13px", height: "100%" },
  ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.5" },
  ".cm-content": { padding: "8px 0" },
  ".cm-gutters": { background: "var(--code-gutter)", borderRight: "1px solid var(--line)", color: "var(--muted)" },
});

const dialect = new Compartment();

/** sqlEditor makes the editable buffer; onChange gets the text after each edit. */
export function sqlEditor(parent, onChange, label) {
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
      ],
    }),
  });
  return {
    view,
    get text() {
      return view.state.doc.toString();
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
