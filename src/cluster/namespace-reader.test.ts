import { describe, expect, it } from '@jest/globals';
import { StaticNamespaceLookup } from '../engine/index.js';
import { ReadThroughNamespaces, type ReadNamespace } from './namespace-reader.js';

describe('ReadThroughNamespaces', () => {
  it('answers from the informer cache without reading', async () => {
    const reads: string[] = [];
    const lookup = new ReadThroughNamespaces(new StaticNamespaceLookup([{ metadata: { name: 'a', labels: { env: 'prod' } } }]), async (name) => {
      reads.push(name);
      return undefined;
    });
    expect(lookup.get('a')).toEqual({ labels: { env: 'prod' }, annotations: {} });
    expect(reads).toEqual([]);
  });

  it('reads a Namespace the cache does not have once for concurrent requests, and remembers it briefly', async () => {
    let now = 0;
    const reads: string[] = [];
    let answer: (ns: Awaited<ReturnType<ReadNamespace>>) => void = () => undefined;
    const read: ReadNamespace = (name) => {
      reads.push(name);
      return new Promise((resolve) => (answer = resolve));
    };
    const lookup = new ReadThroughNamespaces(new StaticNamespaceLookup([]), read, () => now);
    const first = lookup.fetch('new', 1000);
    const second = lookup.fetch('new', 1000);
    answer({ metadata: { labels: { team: 'x' }, annotations: { canValidate: 'p' } } });
    expect(await first).toEqual({ labels: { team: 'x' }, annotations: { canValidate: 'p' } });
    expect(await second).toEqual({ labels: { team: 'x' }, annotations: { canValidate: 'p' } });
    expect(reads).toEqual(['new']);
    expect(lookup.get('new')).toEqual({ labels: { team: 'x' }, annotations: { canValidate: 'p' } });
    now = 60_000;
    expect(lookup.get('new')).toBeUndefined();
  });

  it('rejects when the read fails or does not answer in time', async () => {
    const refused = new Error('connection refused');
    const failing = new ReadThroughNamespaces(new StaticNamespaceLookup([]), async () => Promise.reject(refused));
    await expect(failing.fetch('x', 1000)).rejects.toBe(refused);
    const hung = new ReadThroughNamespaces(new StaticNamespaceLookup([]), () => new Promise(() => undefined));
    await expect(hung.fetch('x', 10)).rejects.toMatchObject({ name: 'AuthorizerTimeoutError' });
  });
});
