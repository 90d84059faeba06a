#!/usr/bin/env python3
"""Render the conformance cases with Python's Jinja2 (the oracle) and write
the golden outputs the Go tests compare against byte for byte.

Jinja2 is configured as dbt-common's get_environment does for text rendering:
a SandboxedEnvironment (dbt's MacroFuzzEnvironment subclasses it) with the do
and loopcontrols extensions, dbt's materialization/docs/test block tags, plain
Undefined, default delimiters and whitespace settings, and dbt's TEXT_FILTERS
(as_text, as_bool, as_native, as_number are str()). dbt's snapshot blocks are
extracted before Jinja runs; here a small extension renders the body in place,
which is what the Go interpreter does.

Case files (conformance/<group>.txt):

    === case_name
    --- ctx {"json": "context"}        (optional line)
    template text, any number of lines
    === next_case

The template is everything up to the next "=== " line minus the final newline
(so a template that itself ends in a newline is followed by a blank line).

Usage: gen_golden.py            rewrite conformance/<group>.golden.json
       gen_golden.py --check    exit 1 if any golden file is out of date
"""
import glob
import json
import os
import sys

import jinja2
import jinja2.ext
import jinja2.nodes
import jinja2.sandbox

HERE = os.path.dirname(os.path.abspath(__file__))
CONF = os.path.join(HERE, "conformance")


class MaterializationExtension(jinja2.ext.Extension):
    tags = ["materialization"]

    def parse(self, parser):
        node = jinja2.nodes.Macro(lineno=next(parser.stream).lineno)
        name = parser.parse_assign_target(name_only=True).name
        adapter = "default"
        node.args = []
        node.defaults = []
        while parser.stream.skip_if("comma"):
            target = parser.parse_assign_target(name_only=True)
            if target.name == "default":
                pass
            elif target.name == "adapter":
                parser.stream.expect("assign")
                adapter = parser.parse_expression().value
            elif target.name == "supported_languages":
                parser.stream.expect("assign")
                parser.parse_expression()
            else:
                raise jinja2.TemplateSyntaxError("unknown materialization argument", node.lineno)
        node.name = "materialization_{}_{}".format(name, adapter)
        node.body = parser.parse_statements(("name:endmaterialization",), drop_needle=True)
        return node


class DocumentationExtension(jinja2.ext.Extension):
    tags = ["docs"]

    def parse(self, parser):
        node = jinja2.nodes.Macro(lineno=next(parser.stream).lineno)
        docs_name = parser.parse_assign_target(name_only=True).name
        node.args = []
        node.defaults = []
        node.name = "docs_" + docs_name
        node.body = parser.parse_statements(("name:enddocs",), drop_needle=True)
        return node


class TestExtension(jinja2.ext.Extension):
    tags = ["test"]

    def parse(self, parser):
        node = jinja2.nodes.Macro(lineno=next(parser.stream).lineno)
        test_name = parser.parse_assign_target(name_only=True).name
        parser.parse_signature(node)
        node.name = "test_" + test_name
        node.body = parser.parse_statements(("name:endtest",), drop_needle=True)
        return node


class SnapshotExtension(jinja2.ext.Extension):
    tags = ["snapshot"]

    def parse(self, parser):
        next(parser.stream)
        parser.parse_assign_target(name_only=True)
        return parser.parse_statements(("name:endsnapshot",), drop_needle=True)


def text_filter(value):
    return str(value)


def make_env():
    env = jinja2.sandbox.SandboxedEnvironment(
        extensions=[
            "jinja2.ext.do",
            "jinja2.ext.loopcontrols",
            MaterializationExtension,
            DocumentationExtension,
            TestExtension,
            SnapshotExtension,
        ],
        undefined=jinja2.Undefined,
    )
    env.filters.update(
        {"as_text": text_filter, "as_bool": text_filter, "as_native": text_filter, "as_number": text_filter}
    )
    return env


def read_cases(path):
    cases = []
    name, ctx, lines = None, None, []

    def flush():
        if name is not None:
            text = "\n".join(lines)
            cases.append((name, ctx, text))

    with open(path, encoding="utf-8", newline="") as f:
        content = f.read()
        if content.endswith("\n"):
            content = content[:-1]
        for line in content.split("\n"):
            if line.startswith("=== "):
                flush()
                name, ctx, lines = line[4:].strip(), None, []
            elif name is not None and not lines and ctx is None and line.startswith("--- ctx "):
                ctx = line[len("--- ctx "):]
            elif name is not None:
                lines.append(line)
    flush()
    return cases


def render(env, template, ctx):
    try:
        context = json.loads(ctx) if ctx else {}
        return {"output": env.from_string(template).render(context)}
    except Exception as e:  # the kind of failure is recorded, not the message
        return {"error": type(e).__name__}


def main():
    check = "--check" in sys.argv[1:]
    env = make_env()
    stale = []
    for path in sorted(glob.glob(os.path.join(CONF, "*.txt"))):
        results = {}
        for name, ctx, text in read_cases(path):
            if name in results:
                sys.exit("%s: duplicate case %s" % (path, name))
            results[name] = render(env, text, ctx)
        golden = path[:-4] + ".golden.json"
        data = json.dumps(results, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        if check:
            old = open(golden, encoding="utf-8").read() if os.path.exists(golden) else ""
            if old != data:
                stale.append(golden)
        else:
            with open(golden, "w", encoding="utf-8", newline="") as f:
                f.write(data)
    if stale:
        print("out of date:", *stale, sep="\n  ")
        sys.exit(1)


if __name__ == "__main__":
    main()
