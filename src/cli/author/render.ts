/**
 * How `kclguard eval` shows an OfflineResult: text for people, or the same data as YAML/JSON
 * for scripts. The structured form is stable: CI jobs parse it.
 */
import type { OfflineResult, PolicyReport } from './offline-engine.js';
import { dumpYaml } from './yaml-output.js';

export type OutputFormat = 'text' | 'yaml' | 'json';

/** The document `--output yaml|json` prints. */
export function resultDocument(result: OfflineResult, withTrace: boolean): Record<string, unknown> {
  return {
    allowed: result.allowed,
    ...(result.status ? { status: result.status } : {}),
    policies: result.policies.map((p) => ({
      policy: p.policy,
      kind: p.kind,
      mode: p.mode,
      phase: p.phase,
      result: p.result,
      ...(p.action ? { failureAction: p.action } : {}),
      ...(p.validationActions ? { validationActions: p.validationActions } : {}),
      ...(p.recovery ? { recovery: p.recovery } : {}),
      ...(p.reason ? { reason: p.reason } : {}),
      ...(p.printed ? { printed: p.printed } : {}),
      ...(p.logs ? { logs: p.logs } : {}),
    })),
    patch: result.patch,
    ...(result.object ? { object: result.object } : {}),
    warnings: result.warnings,
    auditAnnotations: result.auditAnnotations,
    ...(withTrace ? { trace: result.trace } : {}),
  };
}

function indent(text: string, prefix: string): string {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n');
}

/** What each validationAction does with a violation, as the API server would see it. */
const ACTION_EFFECTS: Readonly<Record<string, string>> = {
  Deny: 'denies the request',
  Warn: 'adds a warning',
  Audit: 'adds an audit annotation',
};

function policyLine(p: PolicyReport): string {
  if (p.result === 'failed') {
    const chosenBy = p.recovery && 'failed' in p.recovery ? ', recovery program failed' : p.recovery ? ', chosen by the recovery program' : '';
    return `${p.policy}: failed (failureAction ${p.action ?? 'abort'}${chosenBy})`;
  }
  if (p.result === 'violated' && p.validationActions) {
    return `${p.policy}: violated (validationActions ${p.validationActions.join(', ')}: ${p.validationActions.map((a) => ACTION_EFFECTS[a] ?? a).join(', ')})`;
  }
  return `${p.policy}: ${p.result.replace('_', ' ')}`;
}

export function renderText(result: OfflineResult, withTrace: boolean): string {
  const out: string[] = [];
  if (withTrace) {
    out.push('trace:', ...result.trace.map((t) => `  ${t}`), '');
  }
  out.push('policies:');
  for (const p of result.policies) {
    out.push(`  ${policyLine(p)}`);
    if (p.reason) out.push(`    reason: ${p.reason}`);
    if (p.printed) out.push('    print():', indent(p.printed, '      | '));
    if (p.logs) out.push('    log:', ...p.logs.map((line) => `      | ${line}`));
  }
  out.push('');
  out.push(
    result.allowed
      ? `decision: allowed${result.patch.length > 0 ? ` with a patch of ${result.patch.length} operation(s)` : ''}`
      : `decision: denied (${result.status?.code ?? ''} ${result.status?.reason ?? ''}): ${result.status?.message ?? ''}`,
  );
  for (const w of result.warnings) out.push(`warning: ${w}`);
  for (const [k, v] of Object.entries(result.auditAnnotations)) out.push(`audit annotation: ${k}=${v}`);
  if (result.patch.length > 0) out.push('', 'patch:', indent(dumpYaml(result.patch), '  '));
  if (result.object) out.push('', 'object:', indent(dumpYaml(result.object), '  '));
  return `${out.join('\n')}\n`;
}

export function renderResult(result: OfflineResult, format: OutputFormat, withTrace: boolean): string {
  if (format === 'text') return renderText(result, withTrace);
  const doc = resultDocument(result, withTrace);
  return format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : dumpYaml(doc);
}
