#!/usr/bin/env python3
"""Checks (and writes) the expectations of the example policies against the reference KCL.

Every kclguard-test.yaml below policies/ (policies/<name>/, policies/pod-security/<level>/<name>/) names a KCLRun and cases (format: docs/policy-testing.md).
For each case this script runs the policy's spec.source through the reference implementation
(PyPI kcl-lib, pinned in scripts/install-kcl-reference.sh) with the options kclguard gives a
policy -- items, params, resource_list, request -- and classifies what happened:

  mutated   the run succeeded and items[0] differs from the admitted object
  passed    the run succeeded and items[0] equals the admitted object
  violated  the run failed at an `assert` statement or inside a schema `check:` block
  failed    anything else: another runtime/type error, or output that is not one object

It then compares that with the case's `expect`:
  - the result must match;
  - for `mutated`, the case's `object` file must equal the reference's items[0]
    (with --update the file is (re)written from the reference instead);
  - for `violated` / `failed` with a `message`, the reference's diagnostic must contain it.

Usage:
  scripts/policy-expectations.py                  # verify every policy; exit 1 on a mismatch
  scripts/policy-expectations.py --update         # also (re)write the expected `object` files
  scripts/policy-expectations.py set-labels ...   # only these policy directories (by their last name)
  scripts/policy-expectations.py -v               # print the reference's verdict for each case

Run it with any python3. The reference is found as: $KCL_REFERENCE_PYTHON when that interpreter
can import kcl_lib, otherwise whatever scripts/install-kcl-reference.sh prints (it installs the
reference on first use); the script re-executes itself there. YAML is read and written with the
repository's js-yaml (through node), the same parser the jest tests use, so both sides see
exactly the same input objects.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

from kcl_reference import ensure_reference

SCRIPTS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(SCRIPTS_DIR)
POLICIES_DIR = os.path.join(REPO_DIR, "policies")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
LOCATION = re.compile(r"-->\s+(.+?):(\d+):(\d+)")
RESULTS = ("mutated", "passed", "violated", "failed")
# The reference has no `kube` module: policies that import it run with this stand-in (KCL over
# the case's lookup objects), written next to the policy as kube.k.
KUBE_STUB = os.path.join(SCRIPTS_DIR, "kube_stub.k")
OPERATIONS = ("CREATE", "UPDATE", "DELETE", "CONNECT")
POLICY_FILE = "policy.k"

# Node reads/writes YAML with js-yaml resolved from the repository, so this script needs no
# YAML library inside the reference venv and parses files exactly as the TypeScript side does.
NODE_YAML = r"""
const { createRequire } = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const yaml = createRequire(path.join(process.argv[1], 'package.json'))('js-yaml');
const request = JSON.parse(fs.readFileSync(0, 'utf8'));
let out;
if (request.load) {
  out = {};
  for (const file of request.load) {
    try {
      out[file] = yaml.loadAll(fs.readFileSync(file, 'utf8')).filter((d) => d != null);
    } catch (error) {
      process.stderr.write(`${file}: ${error.message}\n`);
      process.exit(1);
    }
  }
} else {
  out = yaml.dump(request.dump, { noRefs: true, lineWidth: -1 });
}
process.stdout.write(JSON.stringify(out));
"""


def node_yaml(request):
    done = subprocess.run(
        ["node", "-e", NODE_YAML, REPO_DIR],
        input=json.dumps(request), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    if done.returncode != 0:
        sys.exit(f"policy-expectations: {done.stderr.strip()}")
    return json.loads(done.stdout)


class YamlFiles:
    """Loads every YAML file once; a file must hold exactly one document."""

    def __init__(self):
        self.cache = {}

    def preload(self, paths):
        missing = [p for p in paths if p not in self.cache and os.path.isfile(p)]
        if missing:
            self.cache.update(node_yaml({"load": missing}))

    def one(self, path):
        if path not in self.cache:
            if not os.path.isfile(path):
                raise CaseError(f"missing file {os.path.relpath(path, REPO_DIR)}")
            self.preload([path])
        docs = self.cache[path]
        if len(docs) != 1:
            raise CaseError(f"{os.path.relpath(path, REPO_DIR)}: expected one YAML document, found {len(docs)}")
        return docs[0]


class CaseError(Exception):
    """A malformed test file or case (as opposed to a reference result that differs)."""


def build_options(policy, case, resource, old_resource, params):
    """The options kclguard gives a policy (DESIGN.md section 1), as docs/policy-testing.md fixes them."""
    operation = case.get("operation", "CREATE")
    admitted = old_resource if operation == "DELETE" else resource
    items = [admitted]
    function_config = json.loads(json.dumps(policy))
    function_config.setdefault("spec", {})["params"] = params
    api_version = admitted.get("apiVersion", "")
    group, _, version = api_version.rpartition("/")
    metadata = admitted.get("metadata") or {}
    request = {
        "uid": "kclguard-test",
        "kind": {"group": group, "version": version, "kind": admitted.get("kind", "")},
        "name": metadata.get("name", ""),
        "namespace": metadata.get("namespace", (policy.get("metadata") or {}).get("namespace", "")),
        "operation": operation,
        "userInfo": case.get("userInfo") or {"username": "kclguard-test", "groups": ["system:authenticated"]},
        "dryRun": False,
    }
    return {
        "items": items,
        "params": params,
        "resource_list": {
            "apiVersion": "config.kubernetes.io/v1",
            "kind": "ResourceList",
            "items": items,
            "functionConfig": function_config,
        },
        "request": request,
    }


def check_block_lines(source_lines):
    """1-based line numbers that lie inside a schema's `check:` block."""
    inside = set()
    block_indent = None
    for number, line in enumerate(source_lines, start=1):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if block_indent is not None:
            if not stripped or stripped.startswith("#") or indent > block_indent:
                inside.add(number)
                continue
            block_indent = None
        if stripped == "check:":
            block_indent = indent
    return inside


def assert_statements(source_lines):
    """(first line, last line, text) of every `assert` statement, continuation lines included."""
    statements = []
    number = 0
    while number < len(source_lines):
        if not re.match(r"\s*assert\b", source_lines[number]):
            number += 1
            continue
        first, depth, text = number + 1, 0, []
        while number < len(source_lines):
            line = source_lines[number]
            text.append(line)
            depth += bracket_balance(line)
            number += 1
            if depth <= 0 and not line.rstrip().endswith("\\"):
                break
        statements.append((first, number, "\n".join(text)))
    return statements


def code_chars(text, stop_at_comment=True):
    """(index, char, depth) for each character outside string literals (until a `#` comment when
    stop_at_comment); depth is the bracket nesting before the character (good enough for policy
    code)."""
    depth, quote, escaped = 0, None, False
    for index, char in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = None
            continue
        if char in "\"'":
            quote = char
            continue
        if char == "#" and stop_at_comment:
            return
        yield index, char, depth
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1


def bracket_balance(line):
    """Opening minus closing brackets outside string literals."""
    return sum(1 if char in "([{" else -1 for _, char, _ in code_chars(line) if char in "([{)]}")


STRING_LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"|\'((?:[^\'\\\n]|\\.)*)\'')
INTERPOLATION = re.compile(r"\$\{[^}]*\}")


def assert_message_text(statement_text):
    """What follows the assert condition: the text after its first top-level comma."""
    for index, char, depth in code_chars(statement_text, stop_at_comment=False):
        if char == "," and depth == 0:
            return statement_text[index + 1:]
    return ""


def message_patterns(statement_text):
    """Regexes for what each string literal of an assert statement can evaluate to."""
    patterns = []
    for match in STRING_LITERAL.finditer(statement_text):
        body = match.group(1) if match.group(1) is not None else match.group(2)
        parts = INTERPOLATION.split(body)
        literal = [re.escape(re.sub(r"\\(.)", r"\1", part)) for part in parts]
        patterns.append(re.compile(".*?".join(literal), re.DOTALL))
    return patterns


def diagnostic_messages(error_text):
    """The diagnostic without the source lines it echoes (`12 | ...`) and without locations."""
    kept = []
    for line in error_text.splitlines():
        if re.match(r"\s*\d+\s*\|", line) or LOCATION.search(line):
            continue
        kept.append(re.sub(r"^\s*\|\s?", "", line))
    return "\n".join(kept)


def is_violation(error_text, source):
    """A violation is a failing `assert` statement or `check:` condition of the policy.

    The reference reports both as a plain EvaluationError at the statement, exactly like a
    runtime error inside the condition, so the message decides: a check failure says
    "Check failed on the condition", an assert failure shows the assert's own message (which
    is matched against the statement's string literals, interpolations as wildcards).
    Syntax and compile errors (codes E1xxx/E2xxx) never are violations.
    """
    if re.search(r"error\[E[12]", error_text):
        return False
    lines = source.splitlines()
    locations = [
        int(m.group(2)) for m in LOCATION.finditer(error_text)
        if os.path.basename(m.group(1)) == POLICY_FILE
    ]
    messages = diagnostic_messages(error_text)
    checks = check_block_lines(lines)
    if "Check failed on the condition" in messages and any(n in checks for n in locations):
        return True
    for first, last, text in assert_statements(lines):
        if not any(first <= n <= last for n in locations):
            continue
        patterns = message_patterns(assert_message_text(text))
        if not patterns and not messages.strip():
            return True  # an assert without a message fails with an empty one
        if any(p.search(messages) for p in patterns):
            return True
    return False


def same(a, b):
    """Deep equality as JavaScript's isDeepStrictEqual sees parsed YAML: numbers by value
    (JSON does not keep 1 and 1.0 apart), but a bool is never a number (Python: True == 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def excerpt(text, max_lines=24):
    lines = text.strip("\n").splitlines()
    more = f"\n  ... ({len(lines) - max_lines} more lines)" if len(lines) > max_lines else ""
    return "\n".join(lines[:max_lines]) + more


def run_reference(api, source, options, kube_objects=None):
    """Returns (result, items0 or None, diagnostic text). With kube_objects, `import kube` reads them."""
    with tempfile.TemporaryDirectory(prefix="kclguard-policy-") as work_dir:
        filename = os.path.join(work_dir, POLICY_FILE)
        with open(filename, "w", encoding="utf-8") as f:
            f.write(source)
        if kube_objects is not None:
            with open(KUBE_STUB, encoding="utf-8") as stub, open(os.path.join(work_dir, "kube.k"), "w", encoding="utf-8") as f:
                f.write(stub.read())
            options = {**options, "kube_objects": kube_objects}
        args = api.ExecProgramArgs(
            work_dir=work_dir,
            k_filename_list=[filename],
            args=[api.Argument(name=k, value=json.dumps(v)) for k, v in options.items()],
        )
        try:
            result = api.API().exec_program(args)
            error = result.err_message
        except Exception as raised:  # some versions raise the formatted diagnostic
            result, error = None, str(raised)
        if error:
            text = ANSI.sub("", error).replace(work_dir + os.sep, "")
            return ("violated" if is_violation(text, source) else "failed"), None, text
    output = json.loads(result.json_result or "{}")
    items = output.get("items") if isinstance(output, dict) else None
    if not isinstance(items, list) or len(items) != 1 or not isinstance(items[0], dict):
        return "failed", None, f"output is not one object in `items`: {result.json_result!r}"
    admitted = options["items"][0]
    return ("passed" if same(items[0], admitted) else "mutated"), items[0], ""


def check_policy(api, files, policy_dir, update, verbose):
    """Returns a list of problem strings for one policy directory."""
    rel_dir = os.path.relpath(policy_dir, REPO_DIR)
    test = files.one(os.path.join(policy_dir, "kclguard-test.yaml"))
    policy_files = test.get("policies") or []
    if len(policy_files) != 1:
        return [f"{rel_dir}: policies must name exactly one file for the KCL-level check"]
    policy = files.one(os.path.join(policy_dir, policy_files[0]))
    source = (policy.get("spec") or {}).get("source")
    if not isinstance(source, str):
        return [f"{rel_dir}/{policy_files[0]}: spec.source must be a string"]
    cases = test.get("cases") or []
    files.preload([
        os.path.join(policy_dir, c[k]) for c in cases for k in ("resource", "oldResource") if c.get(k)
    ])
    problems = []
    for case in cases:
        label = f"{rel_dir}: {case.get('name')!r}"
        try:
            problems.extend(check_case(api, files, policy_dir, policy, source, case, label, update, verbose, test.get("lookups") or []))
        except CaseError as error:
            problems.append(f"{label}: {error}")
    return problems


def unpack(doc):
    """Objects of a document: a `kind: List` gives its items."""
    if isinstance(doc, dict) and str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list):
        return [o for item in doc["items"] for o in unpack(item)]
    return [doc]


def lookup_objects(files, policy_dir, policy, test_lookups, case):
    """The objects kube.get / kube.list read in a case (None when the policy declares no lookups):
    the case's `lookups` files, else the test file's, sorted by namespace then name as kclguard
    returns them."""
    if not (policy.get("spec") or {}).get("lookups"):
        return None
    paths = case["lookups"] if "lookups" in case else test_lookups
    full = [os.path.join(policy_dir, p) for p in paths]
    files.preload(full)
    objects = []
    for path in full:
        if path not in files.cache:
            raise CaseError(f"missing file {os.path.relpath(path, REPO_DIR)}")
        for doc in files.cache[path]:
            objects.extend(unpack(doc))
    key = lambda o: ((o.get("metadata") or {}).get("namespace") or "", (o.get("metadata") or {}).get("name") or "")
    return sorted(objects, key=key)


def check_case(api, files, policy_dir, policy, source, case, label, update, verbose, test_lookups=()):
    expect = case.get("expect") or {}
    wanted = expect.get("result")
    if wanted not in RESULTS:
        raise CaseError(f"expect.result must be one of {', '.join(RESULTS)}")
    operation = case.get("operation", "CREATE")
    if operation not in OPERATIONS:
        raise CaseError(f"operation must be one of {', '.join(OPERATIONS)}")
    resource = files.one(os.path.join(policy_dir, case["resource"])) if case.get("resource") else None
    old = files.one(os.path.join(policy_dir, case["oldResource"])) if case.get("oldResource") else None
    if operation == "DELETE" and old is None:
        raise CaseError("a DELETE case needs oldResource")
    if operation != "DELETE" and resource is None:
        raise CaseError("a case needs resource")
    params = case["params"] if "params" in case else (policy.get("spec") or {}).get("params", {})
    options = build_options(policy, case, resource, old, params)

    got, item, diagnostic = run_reference(api, source, options, lookup_objects(files, policy_dir, policy, test_lookups, case))
    if re.search(r"error\[E[12]", diagnostic):
        # `failed` is about running the policy on this input; the source itself must compile.
        return [f"{label}: the policy does not compile on the reference:\n{excerpt(diagnostic)}"]
    if verbose:
        tail = diagnostic.strip().splitlines()[-3:] if diagnostic else []
        print(f"  {label}: {got}" + (f"  [{' / '.join(line.strip() for line in tail)}]" if tail else ""))
    problems = []
    if got != wanted:
        problems.append(f"{label}: expected {wanted}, reference says {got}" + (f"\n{excerpt(diagnostic)}" if diagnostic else ""))
        return problems
    message = expect.get("message")
    if message is not None and message not in diagnostic:
        problems.append(f"{label}: message {message!r} not in the reference's diagnostic:\n{excerpt(diagnostic)}")
    if got == "mutated":
        if not expect.get("object"):
            raise CaseError("a mutated case needs expect.object")
        object_path = os.path.join(policy_dir, expect["object"])
        if update:
            text = node_yaml({"dump": item})
            old_text = open(object_path, encoding="utf-8").read() if os.path.exists(object_path) else None
            if old_text != text:
                with open(object_path, "w", encoding="utf-8") as f:
                    f.write(text)
                files.cache.pop(object_path, None)
                print(f"  wrote {os.path.relpath(object_path, REPO_DIR)}")
        elif not same(files.one(object_path), item):
            problems.append(
                f"{label}: {expect['object']} differs from the reference's items[0]:\n"
                + json.dumps(item, indent=2)
            )
    return problems


def policy_dirs():
    """Every directory below policies/ with a kclguard-test.yaml, relative to it: the examples
    (policies/<name>) and the packs (policies/pod-security/<level>/<name>)."""
    found = []
    for current, dirs, files in os.walk(POLICIES_DIR):
        dirs[:] = sorted(d for d in dirs if d != "resources" and not d.startswith("."))
        if "kclguard-test.yaml" in files:
            found.append(os.path.relpath(current, POLICIES_DIR))
    return sorted(found)


def main(argv):
    ensure_reference(__file__)
    import kcl_lib.api as api

    update = "--update" in argv
    verbose = "-v" in argv
    wanted = [a.rstrip("/").split("/")[-1] for a in argv if not a.startswith("-")]
    names = policy_dirs()
    if wanted:
        unknown = sorted(set(wanted) - {os.path.basename(n) for n in names})
        if unknown:
            sys.exit(f"policy-expectations: no kclguard-test.yaml in {', '.join(unknown)}")
        names = [n for n in names if os.path.basename(n) in wanted]
    files = YamlFiles()
    problems = []
    case_count = 0
    for name in names:
        policy_dir = os.path.join(POLICIES_DIR, name)
        if verbose:
            print(name)
        found = check_policy(api, files, policy_dir, update, verbose)
        case_count += len(files.one(os.path.join(policy_dir, "kclguard-test.yaml")).get("cases") or [])
        problems.extend(found)
    for problem in problems:
        print(f"MISMATCH {problem}")
    print(f"policy-expectations: {len(names)} policies, {case_count} cases, {len(problems)} mismatches")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
