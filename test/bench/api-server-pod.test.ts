/**
 * The benches' Pod "as the API server sends it" (scripts/bench/api-server-pod.mjs): what the API
 * server and the ReplicaSet controller add, with managedFields in the FieldsV1 form the API
 * server writes, and the input left as it was.
 */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const load = (): Promise<{ asTheApiServerSendsIt(pod: Json): Json }> =>
  import(pathToFileURL(join(ROOT, 'scripts', 'bench', 'api-server-pod.mjs')).href) as Promise<{ asTheApiServerSendsIt(pod: Json): Json }>;
const fixturePod = (): Json => JSON.parse(readFileSync(join(ROOT, 'test', 'admission', 'fixtures', 'pod-create.json'), 'utf8')).request.object;

describe('asTheApiServerSendsIt', () => {
  test('adds the controller and API server fields, and leaves the input untouched', async () => {
    const { asTheApiServerSendsIt } = await load();
    const pod = fixturePod();
    const before = structuredClone(pod);
    const sent = asTheApiServerSendsIt(pod);
    expect(pod).toEqual(before);
    expect(sent.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'ReplicaSet', controller: true, name: `${pod.metadata.name}-7d4b9c8f6d` })]);
    expect(sent.metadata.generateName).toBe(`${pod.metadata.name}-7d4b9c8f6d-`);
    expect(sent.metadata.labels).toEqual({ ...pod.metadata.labels, 'pod-template-hash': '7d4b9c8f6d' });
    expect(sent.spec).toEqual(expect.objectContaining({ dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler', serviceAccountName: 'default', enableServiceLinks: true }));
    expect(sent.spec.tolerations.map((t: Json) => t.key)).toEqual(['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']);
    for (const container of sent.spec.containers) {
      expect(container).toEqual(expect.objectContaining({ imagePullPolicy: expect.any(String), terminationMessagePolicy: 'File' }));
      expect(container.volumeMounts.at(-1)).toEqual(expect.objectContaining({ mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }));
    }
    expect(sent.spec.volumes.at(-1).name).toBe(sent.spec.containers[0].volumeMounts.at(-1).name);
    // What the user wrote is still there, as written.
    expect(sent.spec.containers.map((c: Json) => c.image)).toEqual(pod.spec.containers.map((c: Json) => c.image));
  });

  test('managedFields: the controller owns the template as FieldsV1, not the API server defaults', async () => {
    const { asTheApiServerSendsIt } = await load();
    const pod = fixturePod();
    const [entry, ...others] = asTheApiServerSendsIt(pod).metadata.managedFields;
    expect(others).toEqual([]);
    expect(entry).toEqual(expect.objectContaining({ manager: 'kube-controller-manager', operation: 'Update', fieldsType: 'FieldsV1' }));
    const fields = entry.fieldsV1;
    const name = pod.spec.containers[0].name;
    const container = fields['f:spec']['f:containers'][`k:{"name":"${name}"}`];
    // A list item named by its key, with "." for the item itself and f: per member it has.
    expect(container['.']).toEqual({});
    expect(container['f:image']).toEqual({});
    expect(fields['f:metadata']['f:ownerReferences']).toBeDefined();
    expect(fields['f:metadata']['f:labels']['f:pod-template-hash']).toEqual({});
    // Defaults the API server adds after the controller's write are not the controller's fields.
    expect(fields['f:spec']['f:tolerations']).toBeUndefined();
    expect(fields['f:spec']['f:volumes']).toBeUndefined();
    expect(container['f:volumeMounts']).toBeUndefined();
    // The whole object stays plain JSON.
    expect(JSON.parse(JSON.stringify(entry))).toEqual(entry);
  });
});
