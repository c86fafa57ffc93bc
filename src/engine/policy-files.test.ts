import { describe, expect, it } from '@jest/globals';
import { definedKeys, parseRevision } from './policy-files.js';

const policy = 'apiVersion: krm.kcl.dev/v1alpha1\nkind: KCLRun\nmetadata:\n  name: p\n  namespace: a\nspec:\n  source: x = 1\n';

describe('parseRevision', () => {
  it('parses whole documents', () => {
    const revision = parseRevision('p.yaml', `${policy}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n`);
    expect(revision).toMatchObject({ kind: 'parsed', docs: [expect.any(Object), expect.any(Object)] });
    expect(revision).not.toHaveProperty('incomplete');
  });

  it('marks a revision cut off before a kind or a name as incomplete', () => {
    const cut = (marker: string): string => policy.slice(0, policy.indexOf(marker));
    expect(parseRevision('p.yaml', cut('kind:'))).toMatchObject({ incomplete: 'the document has no apiVersion or kind' });
    expect(parseRevision('p.yaml', cut('  name:'))).toMatchObject({ incomplete: 'the document (KCLRun) has no metadata.name' });
    expect(parseRevision('p.yaml', 'apiVers')).toMatchObject({ incomplete: 'the document is not a Kubernetes object' });
    expect(parseRevision('p.yaml', `${policy}---\napiVersion: v1\nkind: Namespace\n`)).toMatchObject({ incomplete: 'document 2 (Namespace) has no metadata.name' });
  });

  it('reports invalid YAML with file:line:col', () => {
    expect(parseRevision('p.yaml', 'a: [\n')).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/^p\.yaml:2:1: invalid YAML/) });
  });
});

describe('definedKeys', () => {
  it('names the policies and Namespaces of a revision, nothing else', () => {
    const { docs } = parseRevision('p.yaml', `${policy}---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: x}\n`) as { docs: readonly unknown[] };
    expect([...definedKeys(docs)]).toEqual(['KCLRun/a/p', 'Namespace//a']);
  });
});
