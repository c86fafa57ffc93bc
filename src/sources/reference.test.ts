import { describe, expect, it } from '@jest/globals';
import { SourceError } from './errors.js';
import { formatReference, isLoopbackHost, parseOciReference } from './reference.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

function code(text: string): string | undefined {
  try {
    parseOciReference(text);
    return undefined;
  } catch (error) {
    return (error as SourceError).code;
  }
}

describe('oci:// references', () => {
  it.each([
    ['oci://ghcr.io/kcl-lang/set-annotations', { registry: 'ghcr.io', repository: 'kcl-lang/set-annotations' }],
    ['oci://ghcr.io/kcl-lang/k8s:1.31', { registry: 'ghcr.io', repository: 'kcl-lang/k8s', tag: '1.31' }],
    ['oci://127.0.0.1:5000/policies/deny@' + DIGEST, { registry: '127.0.0.1:5000', repository: 'policies/deny', digest: DIGEST }],
    ['oci://localhost:5000/a/b_c/d-e:v1.0@' + DIGEST, { registry: 'localhost:5000', repository: 'a/b_c/d-e', tag: 'v1.0', digest: DIGEST }],
    ['oci://[::1]:5000/x', { registry: '[::1]:5000', repository: 'x' }],
    ['oci://Registry.Example.com/x', { registry: 'registry.example.com', repository: 'x' }],
  ])('%s', (text, expected) => {
    expect(parseOciReference(text)).toEqual(expected);
    expect(parseOciReference(formatReference(parseOciReference(text)))).toEqual(expected);
  });

  it.each([
    'ghcr.io/kcl-lang/x',
    'oci://',
    'oci://ghcr.io',
    'oci://ghcr.io/',
    'oci://ghcr.io/UPPER',
    'oci://ghcr.io/a//b',
    'oci://ghcr.io/../etc',
    'oci://ghcr.io/x:bad/tag',
    'oci://ghcr.io/x:-tag',
    'oci://ghcr.io/x@sha256:abc',
    'oci://ghcr.io/x@md5:' + 'a'.repeat(32),
    'oci://host:99999/x',
    'oci://exa mple.com/x',
    'oci://ghcr.io/x\n',
    `oci://ghcr.io/${'a'.repeat(300)}`,
    'oci://user:pass@host/x',
  ])('refuses %j with S1001', (text) => {
    expect(code(text)).toBe('S1001');
  });

  it('knows loopback hosts (where plain HTTP may be allowed)', () => {
    expect(['localhost', '127.0.0.1', '127.1.2.3', '::1'].every(isLoopbackHost)).toBe(true);
    expect(['10.0.0.1', '169.254.169.254', 'example.com', '127.0.0.1.nip.io'].some(isLoopbackHost)).toBe(false);
  });
});
