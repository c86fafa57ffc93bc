/**
 * The Pod Security Standards pack of policies/pod-security as the benchmarks use it: its policy
 * files, the Pods that it admits and refuses, and the same checks as an in-tree
 * ValidatingAdmissionPolicy with CEL expressions (the floor of bench:e2e: no network hop).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';

/** The ClusterKCLRun documents of the pack (baseline and restricted: the restricted level). */
export function packPolicies(root) {
  const base = join(root, 'policies', 'pod-security');
  const docs = [];
  for (const level of ['baseline', 'restricted']) {
    for (const name of readdirSync(join(base, level)).sort()) {
      docs.push(yaml.load(readFileSync(join(base, level, name, 'policy.yaml'), 'utf8')));
    }
  }
  return docs;
}

/** A Pod that every control of the restricted level admits: what most requests look like. */
export function compliantPod(namespace, name) {
  const container = (cname, image, port) => ({
    name: cname,
    image,
    ports: [{ containerPort: port, name: 'http' }],
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
    readinessProbe: { httpGet: { path: '/ready', port } },
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
    volumeMounts: [{ name: 'cache', mountPath: '/cache' }],
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: 'bench', 'app.kubernetes.io/component': 'web' } },
    spec: {
      securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [container('web', 'registry.example.com/web:1.27', 8080), container('metrics', 'registry.example.com/metrics:0.9', 9090)],
      volumes: [{ name: 'cache', emptyDir: {} }],
    },
  };
}

/** A Pod that breaks baseline and restricted controls: every scenario with policies must refuse it. */
export function violatingPod(namespace, name) {
  const pod = compliantPod(namespace, name);
  pod.spec.hostNetwork = true;
  pod.spec.containers[0].securityContext = { privileged: true };
  return pod;
}

const SAFE_CAPABILITIES = ['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'];
const SAFE_SYSCTLS = [
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes', 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem',
];
const SELINUX_TYPES = ['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'];
const ALLOWED_VOLUMES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'image', 'persistentVolumeClaim', 'projected', 'secret'];
const list = (values) => `[${values.map((v) => `'${v}'`).join(', ')}]`;
const VALID_PROFILES = list(['RuntimeDefault', 'Localhost']);
const podSc = (path) => `object.spec.?securityContext.?${path}`;
const cSc = (path) => `c.?securityContext.?${path}`;
const probeHosts = ['livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle.?postStart', 'lifecycle.?preStop']
  .flatMap((h) => ['httpGet', 'tcpSocket'].map((k) => `c.?${h}.?${k}.?host.orValue('') == ''`))
  .join(' && ');

/** control name (as in the pack) -> CEL expression that is true when the Pod passes it. */
export const PSS_CEL = {
  'disallow-host-process': `${podSc('windowsOptions.?hostProcess')}.orValue(false) == false && variables.containers.all(c, ${cSc('windowsOptions.?hostProcess')}.orValue(false) == false)`,
  'disallow-host-namespaces': `object.spec.?hostNetwork.orValue(false) == false && object.spec.?hostPID.orValue(false) == false && object.spec.?hostIPC.orValue(false) == false`,
  'disallow-privileged-containers': `variables.containers.all(c, ${cSc('privileged')}.orValue(false) == false)`,
  'disallow-capabilities': `variables.containers.all(c, ${cSc('capabilities.?add')}.orValue([]).all(a, a in ${list(SAFE_CAPABILITIES)}))`,
  'disallow-host-path': `object.spec.?volumes.orValue([]).all(v, !has(v.hostPath))`,
  'disallow-host-ports': `variables.containers.all(c, c.?ports.orValue([]).all(p, p.?hostPort.orValue(0) == 0))`,
  'restrict-apparmor-profiles':
    `${podSc('appArmorProfile.?type')}.orValue('RuntimeDefault') in ${VALID_PROFILES} && ` +
    `variables.containers.all(c, ${cSc('appArmorProfile.?type')}.orValue('RuntimeDefault') in ${VALID_PROFILES}) && ` +
    `object.metadata.?annotations.orValue({}).all(k, !k.startsWith('container.apparmor.security.beta.kubernetes.io/') || object.metadata.annotations[k] in ['', 'runtime/default'] || object.metadata.annotations[k].startsWith('localhost/'))`,
  'disallow-selinux':
    `${podSc('seLinuxOptions.?type')}.orValue('') in ${list(SELINUX_TYPES)} && ${podSc('seLinuxOptions.?user')}.orValue('') == '' && ${podSc('seLinuxOptions.?role')}.orValue('') == '' && ` +
    `variables.containers.all(c, ${cSc('seLinuxOptions.?type')}.orValue('') in ${list(SELINUX_TYPES)} && ${cSc('seLinuxOptions.?user')}.orValue('') == '' && ${cSc('seLinuxOptions.?role')}.orValue('') == '')`,
  'disallow-proc-mount': `variables.containers.all(c, ${cSc('procMount')}.orValue('Default') == 'Default')`,
  'restrict-seccomp': `${podSc('seccompProfile.?type')}.orValue('RuntimeDefault') in ${VALID_PROFILES} && variables.containers.all(c, ${cSc('seccompProfile.?type')}.orValue('RuntimeDefault') in ${VALID_PROFILES})`,
  'restrict-sysctls': `${podSc('sysctls')}.orValue([]).all(s, s.name in ${list(SAFE_SYSCTLS)})`,
  'disallow-probe-hosts': `variables.containers.all(c, ${probeHosts})`,
  'restrict-volume-types': `object.spec.?volumes.orValue([]).all(v, ${ALLOWED_VOLUMES.map((k) => `has(v.${k})`).join(' || ')})`,
  'disallow-privilege-escalation': `variables.windows || variables.containers.all(c, ${cSc('allowPrivilegeEscalation')}.orValue(true) == false)`,
  'require-run-as-nonroot': `${podSc('runAsNonRoot')}.orValue(true) != false && variables.containers.all(c, ${cSc('runAsNonRoot')}.orValue(${podSc('runAsNonRoot')}.orValue(false)) == true)`,
  'require-run-as-non-root-user': `${podSc('runAsUser')}.orValue(1) != 0 && variables.containers.all(c, ${cSc('runAsUser')}.orValue(1) != 0)`,
  'restrict-seccomp-strict':
    `variables.windows || (${podSc('seccompProfile.?type')}.orValue('RuntimeDefault') in ${VALID_PROFILES} && ` +
    `variables.containers.all(c, ${cSc('seccompProfile.?type')}.orValue(${podSc('seccompProfile.?type')}.orValue('')) in ${VALID_PROFILES}))`,
  'disallow-capabilities-strict': `variables.windows || variables.containers.all(c, 'ALL' in ${cSc('capabilities.?drop')}.orValue([]) && ${cSc('capabilities.?add')}.orValue([]).all(a, a == 'NET_BIND_SERVICE'))`,
};

/**
 * The pack as one ValidatingAdmissionPolicy (one validation per control) and its binding, for
 * Pods in every namespace but the excluded ones, as the ClusterKCLRuns select them.
 */
export function celPolicyManifests(name) {
  const policy = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] }] },
      variables: [
        // The ephemeral containers are another type in the OpenAPI schema; dyn() lets the lists join.
        { name: 'containers', expression: 'dyn(object.spec.containers) + dyn(object.spec.?initContainers.orValue([])) + dyn(object.spec.?ephemeralContainers.orValue([]))' },
        { name: 'windows', expression: "object.spec.?os.?name.orValue('') == 'windows'" },
      ],
      validations: Object.entries(PSS_CEL).map(([control, expression]) => ({ expression, message: `violates PodSecurity: ${control}` })),
    },
  };
  const binding = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name },
    spec: {
      policyName: name,
      validationActions: ['Deny'],
      matchResources: { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'kube-node-lease'] }] } },
    },
  };
  return [policy, binding];
}

/**
 * Every case of the pack's kclguard-test.yaml files whose expectation is `passed` or `violated`
 * (their expectations come from the reference KCL): `{id, control, object, admitted}`, where
 * `admitted` is the decision of that one control. The benches send them to each peer before
 * measuring, so a peer that does not implement the same checks is caught instead of measured.
 */
export function packCases(root) {
  const base = join(root, 'policies', 'pod-security');
  const cases = [];
  for (const level of ['baseline', 'restricted']) {
    for (const name of readdirSync(join(base, level)).sort()) {
      const dir = join(base, level, name);
      const test = yaml.load(readFileSync(join(dir, 'kclguard-test.yaml'), 'utf8'));
      for (const c of test.cases) {
        if (c.expect.result !== 'passed' && c.expect.result !== 'violated') continue;
        const object = yaml.load(readFileSync(join(dir, c.resource), 'utf8'));
        cases.push({ id: `${name}: ${c.name}`, control: name, object, admitted: c.expect.result === 'passed', operation: c.operation ?? 'CREATE' });
      }
    }
  }
  return cases;
}
