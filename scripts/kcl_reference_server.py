#!/usr/bin/env python3
"""A long-lived process running KCL programs through the reference implementation (PyPI kcl-lib,
pinned in scripts/install-kcl-reference.sh), for the differential fuzzer (scripts/fuzz-kcl.mjs).

Usage: kcl_reference_server.py SCRATCH_DIR (a directory the caller made and removes).

Protocol: one JSON object per line on stdin, {"id": ..., "source": "<main.k text>"}; one JSON
object per line on stdout, {"id": ..., "ok": true, "output": "<print() text + YAML>"} or
{"id": ..., "ok": false, "errors": [{"code": "E2G22" | null, "kind": "TypeError",
"locations": [[line, col], ...]}]}. Runtime errors have no code (the reference prints only
`EvaluationError`), as in the conformance goldens.

A program that hangs or crashes the reference (it has no step limit, and deep recursion
overflows its native stack) takes this process with it: the caller times out, kills and
restarts it, and counts the program as one the reference could not run.
"""
import json
import os
import re
import shutil
import sys

from kcl_reference import ensure_reference

ANSI = re.compile(r"\x1b\[[0-9;]*m")
HEADER = re.compile(r"^(?:error\[(\w+)\]: (\w+)|(\w+Error))\s*$")
LOCATION = re.compile(r"-->\s+(.+?):(\d+)(?::(\d+))?")


def parse_errors(text, main_path):
    """The errors of a diagnostic text: code, kind and every location printed under it."""
    errors = []
    for line in ANSI.sub("", text).replace(main_path, "main.k").splitlines():
        header = HEADER.match(line.strip())
        if header:
            code, kind, bare = header.groups()
            errors.append({"code": code, "kind": kind or bare, "locations": []})
            continue
        at = LOCATION.search(line)
        if at and errors:
            col = int(at.group(3)) if at.group(3) else None
            errors[-1]["locations"].append([int(at.group(2)), col])
    return errors or [{"code": None, "kind": "EvaluationError", "locations": []}]


def main():
    ensure_reference(__file__)
    import kcl_lib.api as api

    # The caller (scripts/fuzz/reference.mjs) passes a scratch directory and removes it itself.
    root = sys.argv[1]
    os.chdir(root)
    service = api.API()
    for line in sys.stdin:
        request = json.loads(line)
        # A fresh directory per program: the reference caches what it compiled by file path.
        work = os.path.join(root, str(request["id"]))
        os.mkdir(work)
        main_path = os.path.join(work, "main.k")
        with open(main_path, "w", encoding="utf-8") as f:
            f.write(request["source"])
        try:
            result = service.exec_program(api.ExecProgramArgs(work_dir=work, k_filename_list=[main_path]))
            error = result.err_message
            output = result.log_message + result.yaml_result
        except Exception as e:  # the reference raises its formatted diagnostic
            error, output = str(e), ""
        reply = {"id": request["id"]}
        if error:
            reply.update(ok=False, errors=parse_errors(error, main_path))
        else:
            reply.update(ok=True, output=output)
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
