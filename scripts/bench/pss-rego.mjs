/**
 * The Pod Security Standards pack (policies/pod-security) in Rego v1, for the OPA peer: one
 * package per control, each with the same fields, allowed values and exemptions as the KCL policy
 * of the same name (and the in-tree PodSecurity admission checks they follow), each collecting
 * the offending names into its message as the KCL policy does. `data.kclguard.validate.main`
 * (REGO_VALIDATE in rego-examples.mjs) gathers every package's `deny`.
 */

/** Where the Pod spec is, for each kind, and its containers (what the KCL policies' _pod_spec lambdas do). */
export const REGO_POD_SPEC = `
pod_path := "/spec" if {
  input.request.object.kind == "Pod"
} else := "/spec/jobTemplate/spec/template/spec" if {
  input.request.object.kind == "CronJob"
} else := "/spec/template/spec"
pod_spec := object.get(input.request.object, split(trim_prefix(pod_path, "/"), "/"), {})
containers := array.concat(array.concat(object.get(pod_spec, "initContainers", []), object.get(pod_spec, "containers", [])), object.get(pod_spec, "ephemeralContainers", []))
`;

/** And the Pod's metadata, the OS and the helpers of the PSS controls. */
const REGO_POD = `${REGO_POD_SPEC}pod_meta := input.request.object.metadata if {
  input.request.object.kind == "Pod"
} else := object.get(input.request.object, ["spec", "jobTemplate", "spec", "template", "metadata"], {}) if {
  input.request.object.kind == "CronJob"
} else := object.get(input.request.object, ["spec", "template", "metadata"], {})
windows if object.get(pod_spec, ["os", "name"], "") == "windows"
quote(names) := concat(", ", [sprintf("%q", [n]) | some n in names])
sc(c, path) := object.get(c, array.concat(["securityContext"], path), null)
pod_sc(path) := object.get(pod_spec, array.concat(["securityContext"], path), null)
`;

const KINDS = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob'];

/** name -> [level, body]; each body defines `deny` for its control. */
export const PSS_REGO = {
  'disallow-host-process': ['baseline', `
bad := [c.name | some c in containers; sc(c, ["windowsOptions", "hostProcess"]) == true]
setters := array.concat([s | pod_sc(["windowsOptions", "hostProcess"]) == true; s := "pod"], [sprintf("containers %s", [quote(bad)]) | count(bad) > 0])
deny contains sprintf("hostProcess (%s must not set securityContext.windowsOptions.hostProcess=true)", [concat(" and ", setters)]) if count(setters) > 0
`],
  'disallow-host-namespaces': ['baseline', `
shared := [sprintf("%s=true", [f]) | some f in ["hostNetwork", "hostPID", "hostIPC"]; pod_spec[f] == true]
deny contains sprintf("host namespaces (%s)", [concat(", ", shared)]) if count(shared) > 0
`],
  'disallow-privileged-containers': ['baseline', `
bad := [c.name | some c in containers; sc(c, ["privileged"]) == true]
deny contains sprintf("privileged (containers %s must not set securityContext.privileged=true)", [quote(bad)]) if count(bad) > 0
`],
  'disallow-capabilities': ['baseline', `
allowed := {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
added(c) := [a | some a in object.get(c, ["securityContext", "capabilities", "add"], []); not a in allowed]
bad := [c.name | some c in containers; count(added(c)) > 0]
capabilities := sort({a | some c in containers; some a in added(c)})
deny contains sprintf("non-default capabilities (containers %s must not include %s in securityContext.capabilities.add)", [quote(bad), quote(capabilities)]) if count(bad) > 0
`],
  'disallow-host-path': ['baseline', `
bad := [v.name | some v in object.get(pod_spec, "volumes", []); v.hostPath]
deny contains sprintf("hostPath volumes (volumes %s)", [quote(bad)]) if count(bad) > 0
`],
  'disallow-host-ports': ['baseline', `
ports(c) := [sprintf("%v", [p.hostPort]) | some p in object.get(c, "ports", []); object.get(p, "hostPort", 0) != 0]
bad := [c.name | some c in containers; count(ports(c)) > 0]
used := sort({p | some c in containers; some p in ports(c)})
deny contains sprintf("hostPort (containers %s use hostPorts %s)", [quote(bad), concat(", ", used)]) if count(bad) > 0
`],
  'restrict-apparmor-profiles': ['baseline', `
allowed_type(profile) if profile.type in {"RuntimeDefault", "Localhost"}
allowed_annotation(v) if v in {"", "runtime/default"}
allowed_annotation(v) if startswith(v, "localhost/")
pod_bad := [p.type | p := pod_sc(["appArmorProfile"]); p != null; not allowed_type(p)]
bad := [c | some c in containers; p := sc(c, ["appArmorProfile"]); p != null; not allowed_type(p)]
annotations := sort([sprintf("%s=%q", [k, v]) | some k, v in object.get(pod_meta, "annotations", {}); startswith(k, "container.apparmor.security.beta.kubernetes.io/"); not allowed_annotation(v)])
values := array.concat(sort({t | some t in array.concat(pod_bad, [c.securityContext.appArmorProfile.type | some c in bad])}), annotations)
setters := array.concat(array.concat([s | count(pod_bad) > 0; s := "pod"], [sprintf("containers %s", [quote([c.name | some c in bad])]) | count(bad) > 0]), [s | count(annotations) > 0; s := "annotations"])
deny contains sprintf("forbidden AppArmor profiles (%s must not set AppArmor profile type to %s)", [concat(" and ", setters), quote(values)]) if count(setters) > 0
`],
  'disallow-selinux': ['baseline', `
types := {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
options := array.concat([["pod", object.get(pod_spec, ["securityContext", "seLinuxOptions"], {})]], [[sprintf("container %q", [c.name]), object.get(c, ["securityContext", "seLinuxOptions"], {})] | some c in containers])
bad_type := [o[0] | some o in options; not object.get(o[1], "type", "") in types]
bad_user := [o[0] | some o in options; object.get(o[1], "user", "") != ""]
bad_role := [o[0] | some o in options; object.get(o[1], "role", "") != ""]
deny contains sprintf("seLinuxOptions (%s set forbidden securityContext.seLinuxOptions: type %s)", [concat(", ", bad_type), quote(sort({o[1].type | some o in options; not object.get(o[1], "type", "") in types}))]) if count(bad_type) > 0
deny contains sprintf("seLinuxOptions (%s set forbidden securityContext.seLinuxOptions: user)", [concat(", ", bad_user)]) if count(bad_user) > 0
deny contains sprintf("seLinuxOptions (%s set forbidden securityContext.seLinuxOptions: role)", [concat(", ", bad_role)]) if count(bad_role) > 0
`],
  'disallow-proc-mount': ['baseline', `
bad := [c | some c in containers; object.get(c, ["securityContext", "procMount"], "Default") != "Default"]
deny contains sprintf("procMount (containers %s must not set securityContext.procMount to %s)", [quote([c.name | some c in bad]), quote(sort({c.securityContext.procMount | some c in bad}))]) if count(bad) > 0
`],
  'restrict-seccomp': ['baseline', `
valid := {"RuntimeDefault", "Localhost"}
pod_bad := [p.type | p := pod_sc(["seccompProfile"]); p != null; not p.type in valid]
bad := [c | some c in containers; p := sc(c, ["seccompProfile"]); p != null; not p.type in valid]
values := sort({t | some t in array.concat(pod_bad, [c.securityContext.seccompProfile.type | some c in bad])})
setters := array.concat([s | count(pod_bad) > 0; s := "pod"], [sprintf("containers %s", [quote([c.name | some c in bad])]) | count(bad) > 0])
deny contains sprintf("seccompProfile (%s must not set securityContext.seccompProfile.type to %s)", [concat(" and ", setters), quote(values)]) if count(setters) > 0
`],
  'restrict-sysctls': ['baseline', `
safe := {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}
bad := [s.name | some s in object.get(pod_spec, ["securityContext", "sysctls"], []); not s.name in safe]
deny contains sprintf("forbidden sysctls (%s)", [concat(", ", bad)]) if count(bad) > 0
`],
  'disallow-probe-hosts': ['baseline', `
handlers(c) := [h | some h in [object.get(c, "livenessProbe", null), object.get(c, "readinessProbe", null), object.get(c, "startupProbe", null), object.get(c, ["lifecycle", "postStart"], null), object.get(c, ["lifecycle", "preStop"], null)]; h != null]
hosts(c) := [host | some h in handlers(c); some kind in ["httpGet", "tcpSocket"]; host := object.get(h, [kind, "host"], ""); host != ""]
bad := [c.name | some c in containers; count(hosts(c)) > 0]
deny contains sprintf("probe or lifecycle host (containers %s use probe or lifecycle hosts %s)", [quote(bad), quote(sort({h | some c in containers; some h in hosts(c)}))]) if count(bad) > 0
`],
  'restrict-volume-types': ['restricted', `
allowed := {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected", "secret"}
bad := [v | some v in object.get(pod_spec, "volumes", []); count({k | some k, _ in v; k in allowed}) == 0]
deny contains sprintf("restricted volume types (volumes %s use restricted volume types %s)", [quote([v.name | some v in bad]), quote(sort({k | some v in bad; some k, _ in v; k != "name"}))]) if count(bad) > 0
`],
  'disallow-privilege-escalation': ['restricted', `
bad := [c.name | some c in containers; sc(c, ["allowPrivilegeEscalation"]) != false]
deny contains sprintf("allowPrivilegeEscalation != false (containers %s must set securityContext.allowPrivilegeEscalation=false)", [quote(bad)]) if {
  not windows
  count(bad) > 0
}
`],
  'require-run-as-nonroot': ['restricted', `
pod_value := pod_sc(["runAsNonRoot"])
explicit := [c.name | some c in containers; sc(c, ["runAsNonRoot"]) == false]
implicit := [c.name | some c in containers; sc(c, ["runAsNonRoot"]) == null; pod_value != true]
setters := array.concat([s | pod_value == false; s := "pod"], [sprintf("containers %s", [quote(explicit)]) | count(explicit) > 0])
deny contains sprintf("runAsNonRoot != true (%s must not set securityContext.runAsNonRoot=false)", [concat(" and ", setters)]) if count(setters) > 0
deny contains sprintf("runAsNonRoot != true (pod or containers %s must set securityContext.runAsNonRoot=true)", [quote(implicit)]) if {
  count(setters) == 0
  count(implicit) > 0
}
`],
  'require-run-as-non-root-user': ['restricted', `
bad := [c.name | some c in containers; sc(c, ["runAsUser"]) == 0]
setters := array.concat([s | pod_sc(["runAsUser"]) == 0; s := "pod"], [sprintf("containers %s", [quote(bad)]) | count(bad) > 0])
deny contains sprintf("runAsUser=0 (%s must not set runAsUser=0)", [concat(" and ", setters)]) if count(setters) > 0
`],
  'restrict-seccomp-strict': ['restricted', `
valid := {"RuntimeDefault", "Localhost"}
pod_profile := pod_sc(["seccompProfile"])
pod_bad := [pod_profile.type | pod_profile != null; not pod_profile.type in valid]
pod_good if {
  pod_profile != null
  pod_profile.type in valid
}
explicit := [c | some c in containers; p := sc(c, ["seccompProfile"]); p != null; not p.type in valid]
implicit := [c.name | some c in containers; sc(c, ["seccompProfile"]) == null; not pod_good]
setters := array.concat([s | count(pod_bad) > 0; s := "pod"], [sprintf("containers %s", [quote([c.name | some c in explicit])]) | count(explicit) > 0])
values := sort({t | some t in array.concat(pod_bad, [c.securityContext.seccompProfile.type | some c in explicit])})
deny contains sprintf("seccompProfile (%s must not set securityContext.seccompProfile.type to %s)", [concat(" and ", setters), quote(values)]) if {
  not windows
  count(setters) > 0
}
deny contains sprintf("seccompProfile (pod or containers %s must set securityContext.seccompProfile.type to RuntimeDefault or Localhost)", [quote(implicit)]) if {
  not windows
  count(setters) == 0
  count(implicit) > 0
}
`],
  'disallow-capabilities-strict': ['restricted', `
missing := [c.name | some c in containers; not "ALL" in object.get(c, ["securityContext", "capabilities", "drop"], [])]
added(c) := [a | some a in object.get(c, ["securityContext", "capabilities", "add"], []); a != "NET_BIND_SERVICE"]
adding := [c.name | some c in containers; count(added(c)) > 0]
details := array.concat(
  [sprintf("containers %s must set securityContext.capabilities.drop=[\\"ALL\\"]", [quote(missing)]) | count(missing) > 0],
  [sprintf("containers %s must not include %s in securityContext.capabilities.add", [quote(adding), quote(sort({a | some c in containers; some a in added(c)}))]) | count(adding) > 0]
)
deny contains sprintf("unrestricted capabilities (%s)", [concat("; ", details)]) if {
  not windows
  count(details) > 0
}
`],
};

/** One package per control, selected as the ClusterKCLRun is (kinds, operations, not the excluded namespaces). */
export function pssRegoPackage(name) {
  const [level, body] = PSS_REGO[name];
  const pkg = `pss_${name.replaceAll('-', '_')}`;
  const text = `package kclguard.policies.${pkg}

import rego.v1

# ${name} (${level}), as the ClusterKCLRun in policies/pod-security/${level}/${name}/policy.yaml
selected if {
  not input.request.namespace in {"kube-system", "kube-node-lease"}
  input.request.kind.kind in ${JSON.stringify(KINDS)}
  input.request.operation in ["CREATE", "UPDATE"]
}
${REGO_POD}${body.replaceAll('deny contains ', 'deny_control contains ')}
deny contains sprintf("%s %s violates PodSecurity ${level}:latest: %s", [input.request.object.kind, input.request.object.metadata.name, msg]) if {
  selected
  some msg in deny_control
}
`;
  return { file: `${pkg}.rego`, text };
}
