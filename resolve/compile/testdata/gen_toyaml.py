#!/usr/bin/env python3
"""Render the toyaml conformance cases with Python (the oracle) and write the
golden outputs TestToYAMLConformance compares against byte for byte.

toyaml is dbt-core's context function (core/dbt/context/base.py):

    def toyaml(value, default=None, sort_keys=False):
        try:
            return yaml.safe_dump(data=value, sort_keys=sort_keys)
        except (ValueError, yaml.YAMLError):
            return default

fromyaml and set are dbt's too, and modules.datetime is Python's datetime
module (as in dbt's modules). Templates are
rendered by Jinja2 as dbt renders text (a SandboxedEnvironment with the do
extension), so the values toyaml sees are the ones Jinja builds: literals,
filters, and the JSON context (keys in document order, ints stay ints).

Case file (toyaml.txt):

    === case_name
    --- ctx {"json": "context"}        (optional line)
    template text, any number of lines
    === next_case

The template is everything up to the next "=== " line minus the final newline.

Usage: gen_toyaml.py            rewrite toyaml.golden.json
       gen_toyaml.py --check    exit 1 if the golden file is out of date
"""
import datetime
import json
import os
import sys

import jinja2
import jinja2.ext
import jinja2.sandbox
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "toyaml.txt")
GOLDEN = os.path.join(HERE, "toyaml.golden.json")


def toyaml(value, default=None, sort_keys=False):
    try:
        return yaml.safe_dump(data=value, sort_keys=sort_keys)
    except (ValueError, yaml.YAMLError):
        return default


def fromyaml(value, default=None):
    try:
        return yaml.safe_load(value)
    except (AttributeError, ValueError, yaml.YAMLError):
        return default


def dbt_set(value, default=None):
    try:
        return set(value)
    except TypeError:
        return default


def read_cases(path):
    with open(path, encoding="utf-8") as f:
        content = f.read()
    if content.endswith("\n"):
        content = content[:-1]
    cases = []
    cur = None
    for line in content.split("\n"):
        if line.startswith("=== "):
            cur = {"name": line[4:].strip(), "ctx": None, "lines": []}
            cases.append(cur)
        elif cur is not None and not cur["lines"] and cur["ctx"] is None and line.startswith("--- ctx "):
            cur["ctx"] = line[len("--- ctx "):]
        elif cur is not None:
            cur["lines"].append(line)
    return cases


def render(case):
    env = jinja2.sandbox.SandboxedEnvironment(extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"])
    env.globals["toyaml"] = toyaml
    env.globals["fromyaml"] = fromyaml
    env.globals["set"] = dbt_set
    env.globals["modules"] = {"datetime": datetime}
    ctx = json.loads(case["ctx"]) if case["ctx"] else {}
    try:
        out = env.from_string("\n".join(case["lines"])).render(ctx)
        return {"output": out}
    except Exception as e:  # noqa: BLE001 - the error class is the golden
        return {"error": type(e).__name__}


def main():
    goldens = {}
    for case in read_cases(CASES):
        if case["name"] in goldens:
            sys.exit("duplicate case " + case["name"])
        goldens[case["name"]] = render(case)
    text = json.dumps(goldens, indent=1, ensure_ascii=True, sort_keys=True) + "\n"
    if "--check" in sys.argv:
        with open(GOLDEN, encoding="utf-8") as f:
            if f.read() != text:
                sys.exit("toyaml.golden.json is out of date (run gen_toyaml.py)")
        return
    with open(GOLDEN, "w", encoding="utf-8") as f:
        f.write(text)
    print("%d cases (PyYAML %s)" % (len(goldens), yaml.__version__))


if __name__ == "__main__":
    main()
