#!/usr/bin/env python3
"""(Re)writes the goldens of the KCL conformance corpus from the reference implementation.

Every case is test/conformance/<feature>/<case>/main.k. The reference (PyPI kcl-lib, pinned in
scripts/install-kcl-reference.sh) runs it and this script writes exactly one of:

  stdout.golden  what `kcl run` prints on success: print() output, then the YAML
  stderr.golden  the diagnostic, ANSI colours stripped, the case's path shown as `main.k`

Optional inputs beside main.k:
  options.json   JSON object; each entry becomes `-D name=<json>` (read with option("name"))
  settings.json  JSON object with any of sort_keys, show_hidden, disable_none (booleans)

A case whose directory also holds a kcl.mod, other .k files or subdirectories is a package case
and runs the way `kcl run DIR` runs a package: every .k file of the directory except *_test.k
(or kcl.mod's [profile] entries), the directory as the work dir, and kcl.mod [dependencies]
given to the reference as external packages the way its CLI resolves them: `path = ...`
relative to the case, other dependencies from `vendor/<name>_<version>` in the case.

Usage:
  scripts/regen-goldens.py                 # every case
  scripts/regen-goldens.py strings/ schema # only cases whose path contains one of the filters
  scripts/regen-goldens.py --check         # rewrite nothing; exit 1 if any golden would change
  scripts/regen-goldens.py --verbose       # name each case before running it

The reference runs in this process: a case that crashes it (unbounded recursion overflows its
native stack) ends the whole run, and --verbose shows which case it was. Such behaviour cannot
have a golden; our recursion guardrail is tested by the evaluator's own tests.

Run it with any python3: it installs the reference if needed and re-executes itself inside the
reference's venv. Goldens are committed; tests never need Python.
"""
import json
import os
import re
import subprocess
import sys

from kcl_reference import ensure_reference

SCRIPTS_DIR = os.path.dirname(os.path.abspath(__file__))
CORPUS_DIR = os.path.join(os.path.dirname(SCRIPTS_DIR), "test", "conformance")
SETTINGS = ("sort_keys", "show_hidden", "disable_none")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
CONFLICT_ADDRESS = re.compile(r'(conflicting values between "[^"\n]*" and )\d{9,}')


CASE_FILES = {"main.k", "stdout.golden", "stderr.golden", "options.json", "settings.json"}


def find_cases(filters):
    cases = []
    for root, dirs, files in os.walk(CORPUS_DIR):
        if "main.k" in files:
            # The modules of a package case belong to it, even when one has its own main.k.
            dirs[:] = []
            rel = os.path.relpath(root, CORPUS_DIR).replace(os.sep, "/")
            if not filters or any(f in rel for f in filters):
                cases.append(rel)
    return sorted(cases)


def is_package_case(case_dir):
    for entry in os.scandir(case_dir):
        if entry.is_dir() or entry.name == "kcl.mod":
            return True
        if entry.name.endswith(".k") and entry.name not in CASE_FILES:
            return True
    return False


def read_kcl_mod(case_dir):
    path = os.path.join(case_dir, "kcl.mod")
    if not os.path.exists(path):
        return {}
    import tomllib

    with open(path, "rb") as f:
        return tomllib.load(f)


def package_inputs(api, case_dir):
    """The main files and external packages of a package case, as `kcl run DIR` finds them."""
    mod = read_kcl_mod(case_dir)
    entries = mod.get("profile", {}).get("entries")
    if entries:
        files = [os.path.join(case_dir, e) for e in entries]
    else:
        files = sorted(
            os.path.join(case_dir, n)
            for n in os.listdir(case_dir)
            if n.endswith(".k") and not n.endswith("_test.k") and os.path.isfile(os.path.join(case_dir, n))
        )
    # Like the reference's CLI: every dependency, transitive ones too, becomes an external package;
    # the main package's own entry for a name wins.
    roots = {}
    pending = [(case_dir, mod)]
    while pending:
        pkg_dir, pkg_mod = pending.pop(0)
        for name, dep in pkg_mod.get("dependencies", {}).items():
            if name in roots:
                continue
            if isinstance(dep, dict) and "path" in dep:
                root = os.path.normpath(os.path.join(pkg_dir, dep["path"]))
            else:
                version = dep if isinstance(dep, str) else dep.get("version") or dep.get("tag")
                root = os.path.join(case_dir, "vendor", f"{name}_{version}")
            roots[name] = root
            pending.append((root, read_kcl_mod(root)))
    external = [api.ExternalPkg(pkg_name=name, pkg_path=root) for name, root in roots.items()]
    return files, external


def read_json(path):
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        value = json.load(f)
    if not isinstance(value, dict):
        raise ValueError(f"{path}: must hold a JSON object")
    return value


def normalise_error(text, case_dir):
    text = ANSI.sub("", text)
    # The reference prints absolute paths; goldens must not depend on the checkout location.
    text = text.replace(os.path.join(case_dir, "main.k"), "main.k")
    text = text.replace(case_dir + os.sep, "")
    text = text.replace(case_dir, ".")
    # A conflict with a value the reference cannot show names that value's memory address, which
    # changes on every run: the golden keeps a placeholder instead.
    text = CONFLICT_ADDRESS.sub(r"\1<address>", text)
    # The reference's advertisement of its package index is not part of the diagnostic.
    lines = [line.rstrip() for line in text.strip("\n").splitlines() if not line.startswith("suggestion: browse more packages")]
    return "\n".join(lines) + "\n"


def run_case(api, case_dir):
    options = read_json(os.path.join(case_dir, "options.json"))
    settings = read_json(os.path.join(case_dir, "settings.json"))
    unknown = set(settings) - set(SETTINGS)
    if unknown:
        raise ValueError(f"{case_dir}/settings.json: unknown settings {sorted(unknown)}")
    files, external = package_inputs(api, case_dir) if is_package_case(case_dir) else ([os.path.join(case_dir, "main.k")], [])
    args = api.ExecProgramArgs(
        work_dir=case_dir,
        k_filename_list=files,
        external_pkgs=external,
        args=[api.Argument(name=k, value=json.dumps(v)) for k, v in options.items()],
        **{k: bool(settings[k]) for k in SETTINGS if k in settings},
    )
    try:
        result = api.API().exec_program(args)
    except Exception as error:  # the reference raises its formatted diagnostic
        return "stderr.golden", normalise_error(str(error), case_dir)
    if result.err_message:
        return "stderr.golden", normalise_error(result.err_message, case_dir)
    yaml_text = result.yaml_result
    if yaml_text and not yaml_text.endswith("\n"):
        yaml_text += "\n"
    return "stdout.golden", result.log_message + yaml_text


def main(argv):
    ensure_reference(__file__)
    import kcl_lib.api as api

    check = "--check" in argv
    verbose = "--verbose" in argv
    filters = [a for a in argv if a not in ("--check", "--verbose")]
    cases = find_cases(filters)
    changed = []
    counts = {"stdout.golden": 0, "stderr.golden": 0}
    for rel in cases:
        case_dir = os.path.join(CORPUS_DIR, rel)
        if verbose:
            print(f"  running {rel}", file=sys.stderr, flush=True)
        name, text = run_case(api, case_dir)
        counts[name] += 1
        target = os.path.join(case_dir, name)
        other = os.path.join(case_dir, "stderr.golden" if name == "stdout.golden" else "stdout.golden")
        old = open(target, encoding="utf-8").read() if os.path.exists(target) else None
        if old != text or os.path.exists(other):
            changed.append(rel)
            if not check:
                with open(target, "w", encoding="utf-8") as f:
                    f.write(text)
                if os.path.exists(other):
                    os.remove(other)
    verb = "would change" if check else "changed"
    print(
        f"regen-goldens: {len(cases)} cases ({counts['stdout.golden']} stdout, "
        f"{counts['stderr.golden']} stderr), {len(changed)} {verb}"
    )
    for rel in changed:
        print(f"  {rel}")
    return 1 if check and changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
