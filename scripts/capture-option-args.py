#!/usr/bin/env python3
"""Captures how the reference KCL gives `-D name=value` arguments to option(), for a table of
values (test/cli/fixtures/option-args/inputs.txt, one value per line), into
test/cli/fixtures/option-args/golden.json. src/kcl/option-args.ts is tested against it.

The reference parses a -D value in two steps. Its command line (kcl_driver's
parse_key_value_pair, ported below from the reference's source because kcl-lib does not expose
its CLI) turns the text into JSON text; its runtime (kcl-lib 0.13.2, run here) reads that JSON
into the value option() returns. The golden holds, per input, the YAML the reference printed for
`v = option("k")` and `t = typeof(v)`.

Usage: scripts/capture-option-args.py [--check]
"""
import json
import os
import re
import sys

from kcl_reference import ensure_reference

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "test", "cli", "fixtures", "option-args")
PROGRAM = 'v = option("k")\nt = typeof(v)\n'
NAME_CONSTANTS = {"True": "true", "False": "false", "None": "null", "Undefined": "null"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def looks_like_scientific(text):
    parts = re.split(r"[eE]", text.strip())
    if len(parts) != 2:
        return False
    return bool(re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)", parts[0])) and bool(re.fullmatch(r"[+-]?\d+", parts[1]))


def reject_constant(name):
    raise ValueError(name)  # serde_json has no NaN / Infinity


def cli_json(value):
    """The reference CLI's val_to_json: the JSON text it hands to the runtime."""
    try:
        parsed = json.loads(value, parse_constant=reject_constant)
        is_json = True
    except ValueError:
        is_json = False
    if is_json:
        if isinstance(parsed, (int, float)) and not isinstance(parsed, bool) and looks_like_scientific(value):
            return json.dumps(value)
        return value
    if value.strip() in NAME_CONSTANTS:
        return NAME_CONSTANTS[value.strip()]
    # Number and string literals pass as they are and read back as strings; so does the rest.
    return json.dumps(value)


def main(argv):
    ensure_reference(__file__)
    import kcl_lib.api as api

    with open(os.path.join(FIXTURES, "inputs.txt"), encoding="utf-8") as f:
        inputs = [line.rstrip("\n") for line in f if line.rstrip("\n") != ""]
    workdir = os.path.join(FIXTURES, ".work")
    os.makedirs(workdir, exist_ok=True)
    main_k = os.path.join(workdir, "main.k")
    with open(main_k, "w", encoding="utf-8") as f:
        f.write(PROGRAM)
    cases = []
    try:
        for value in inputs:
            args = api.ExecProgramArgs(
                work_dir=workdir, k_filename_list=[main_k], args=[api.Argument(name="k", value=cli_json(value))]
            )
            try:
                result = api.API().exec_program(args)
                output = ANSI.sub("", result.err_message) if result.err_message else result.yaml_result
            except Exception as error:  # noqa: BLE001 - the reference raises its diagnostics
                output = "error: " + ANSI.sub("", str(error)).strip().splitlines()[0]
            cases.append({"input": value, "yaml": output})
    finally:
        os.remove(main_k)
        os.rmdir(workdir)
    text = json.dumps({"program": PROGRAM, "cases": cases}, indent=2, ensure_ascii=False) + "\n"
    golden = os.path.join(FIXTURES, "golden.json")
    old = open(golden, encoding="utf-8").read() if os.path.exists(golden) else None
    if "--check" in argv:
        print("capture-option-args: " + ("up to date" if old == text else "golden.json would change"))
        return 0 if old == text else 1
    with open(golden, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"capture-option-args: {len(cases)} cases written")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
