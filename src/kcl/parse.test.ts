import { describe, expect, it } from '@jest/globals';
import { parse } from './parse.js';
import { parseCountingReads } from './parser/test-helpers.js';

/** A validation + mutation policy of the usual shape, about 200 lines once repeated. */
const POLICY_PART = `import regex

schema Params:
    """Parameters of the policy."""
    allowedRepos: [str] = ["docker.io/library", "ghcr.io/acme"]
    minReplicas: int = 1
    maxReplicas: int = 10
    labels?: {str:str}
    check:
        0 < minReplicas <= maxReplicas, "bad replica bounds"

params: Params = option("params") or {}
_items = option("items") or []

_imageAllowed = lambda image: str -> bool {
    any repo in params.allowedRepos { image.startswith(repo + "/") }
}

_containers = lambda item {
    spec = item.spec.template.spec if item.kind == "Deployment" else item.spec
    (spec.initContainers or []) + (spec.containers or [])
}

violations = [
    "container \${c.name}: image \${c.image} is not from an allowed repository"
    for item in _items
    for c in _containers(item)
    if not _imageAllowed(c.image)
]

replicaViolations = [
    "\${item.metadata.name}: replicas \${item.spec.replicas} out of range"
    for item in _items
    if item.kind == "Deployment" and not (params.minReplicas <= item.spec.replicas <= params.maxReplicas)
]

items = [item | {
    metadata.labels: {
        **(item.metadata?.labels or {})
        "app.kubernetes.io/managed-by" = "kclguard"
        if params.labels:
            **params.labels
    }
    metadata.annotations: {"kclguard.io/checked" = "true"}
    if item.kind == "Pod":
        spec.containers = [c | {
            resources.limits: {cpu = "500m", memory = "512Mi"} if not c.resources?.limits else c.resources.limits
            imagePullPolicy = "Always" if regex.match(c.image, ":latest$") else c.imagePullPolicy
        } for c in item.spec.containers]
} for item in _items]

assert len(violations) == 0, "; ".join(violations)
`;

const POLICY = Array.from({ length: 4 }, () => POLICY_PART).join('\n');

describe('parse', () => {
  it('parses a realistic policy without diagnostics', () => {
    expect(POLICY.split('\n').length).toBeGreaterThan(200);
    const { module, diagnostics } = parse(POLICY, 'policy.k');
    expect(diagnostics).toEqual([]);
    expect(module.kind).toBe('Module');
    expect(module.filename).toBe('policy.k');
    expect(module.body.filter((s) => s.kind === 'SchemaStmt')).toHaveLength(4);
  });

  it('gives the module a span covering the file', () => {
    const { module } = parse('a = 1\nbb = 22\n', 'main.k');
    expect(module.span).toEqual({ file: 'main.k', line: 1, col: 1, endLine: 3, endCol: 1 });
  });

  it('accepts empty input and input of only comments and blank lines', () => {
    for (const src of ['', '\n\n', '# only a comment', '   \n\t\n# c\n']) {
      const { module, diagnostics } = parse(src, 'main.k');
      expect(diagnostics).toEqual([]);
      expect(module.body).toEqual([]);
    }
  });

  it('lists lexical errors before parse errors, as the reference does', () => {
    const { diagnostics } = parse('a = (1 +\nb = ]\n', 'main.k');
    expect(diagnostics.map((d) => [d.code, d.span!.line, d.span!.col])).toEqual([['E1001', 2, 5], ['E1001', 1, 8], ['E1001', 2, 5]]);
  });

  // Work is measured in tokens the parser reads, never in time (how fast it is: npm run bench:kcl).
  it('reads each token of a 200-line policy a few times, without backtracking', () => {
    const { reads, tokens, diagnostics } = parseCountingReads(POLICY, 'policy.k');
    expect(diagnostics).toEqual([]);
    // About 6 reads per token today (a token is looked at, then taken); 10 leaves room.
    expect(reads).toBeLessThan(10 * tokens);
  });

  it('scales linearly with input size', () => {
    const small = parseCountingReads(POLICY, 'p.k');
    const large = parseCountingReads(Array.from({ length: 20 }, () => POLICY).join('\n'), 'p.k');
    expect(large.tokens).toBeLessThanOrEqual(20 * small.tokens);
    expect(large.reads).toBeLessThanOrEqual(20 * small.reads);
  });
});
