{{- define "kclguard.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "kclguard.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kclguard.labels" -}}
{{ include "kclguard.selectorLabels" . }}
{{ include "kclguard.releaseLabels" . }}
{{- end -}}

{{/* The labels every object of the release carries, without the ones selectors match on. */}}
{{- define "kclguard.releaseLabels" -}}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "kclguard.serviceAccountName" -}}
{{- default (include "kclguard.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "kclguard.tlsSecretName" -}}
{{- printf "%s-tls" (include "kclguard.fullname" .) -}}
{{- end -}}

{{- define "kclguard.serviceHost" -}}
{{- printf "%s.%s.svc" (include "kclguard.fullname" .) .Release.Namespace -}}
{{- end -}}

{{/* Namespaces the API server never sends to kclguard (DESIGN section 4). */}}
{{- define "kclguard.excludedNamespaces" -}}
{{- $ns := list "kube-system" "kube-node-lease" .Release.Namespace -}}
{{- range .Values.webhook.excludedNamespaces }}{{- $ns = append $ns . -}}{{- end -}}
{{- toJson (uniq $ns) -}}
{{- end -}}

{{/*
One webhook entry; called with (dict "root" $ "name" "mutate" "path" "/mutate" "caBundle" $ca).
Leases and Events are filtered out by matchConditions so the API server does not even call us
for the busiest objects in a cluster; kclguard also refuses them in-process. Nodes,
PersistentVolumes, CSRs and APIServices are filtered out so that an outage of kclguard with
failurePolicy Fail cannot stop the cluster from healing itself.
*/}}
{{- define "kclguard.webhook" -}}
{{- $root := .root -}}
- name: {{ .name }}.kclguard.krm.kcl.dev
  admissionReviewVersions: ["v1"]
  sideEffects: None
  failurePolicy: {{ index $root.Values.webhook.failurePolicy .name }}
  timeoutSeconds: {{ $root.Values.webhook.timeoutSeconds }}
  matchPolicy: Equivalent
  {{- if eq .name "mutate" }}
  reinvocationPolicy: IfNeeded
  {{- end }}
  clientConfig:
    service:
      name: {{ include "kclguard.fullname" $root }}
      namespace: {{ $root.Release.Namespace }}
      path: {{ .path }}
      port: {{ $root.Values.service.port }}
    {{- if .caBundle }}
    caBundle: {{ .caBundle }}
    {{- end }}
  namespaceSelector:
    matchExpressions:
      - key: kubernetes.io/metadata.name
        operator: NotIn
        values: {{ include "kclguard.excludedNamespaces" $root }}
  rules:
    - apiGroups: ["*"]
      apiVersions: ["*"]
      resources: {{ toJson $root.Values.webhook.resources }}
      operations: {{ toJson $root.Values.webhook.operations }}
      scope: "*"
  matchConditions:
    - name: exclude-leases
      expression: "!(request.resource.group == 'coordination.k8s.io' && request.resource.resource == 'leases')"
    - name: exclude-events
      expression: "!(request.resource.resource == 'events' && (request.resource.group == '' || request.resource.group == 'events.k8s.io'))"
    - name: exclude-access-reviews
      expression: "!(request.resource.group == 'authorization.k8s.io' || request.resource.group == 'authentication.k8s.io')"
    {{- /* Same list as MATCH_CONDITIONS in src/cluster/webhook-registration.ts (test/chart checks). */}}
    - name: exclude-cluster-infrastructure
      expression: "!((request.resource.group == '' && (request.resource.resource == 'nodes' || request.resource.resource == 'persistentvolumes')) || (request.resource.group == 'certificates.k8s.io' && request.resource.resource == 'certificatesigningrequests') || (request.resource.group == 'apiregistration.k8s.io' && request.resource.resource == 'apiservices'))"
{{- end -}}

{{/* Whether kclguard registers its own webhook configurations (selfRegister, or narrowed mode). */}}
{{- define "kclguard.selfRegister" -}}
{{- if or .Values.webhook.selfRegister (eq .Values.webhook.mode "narrowed") }}true{{ end -}}
{{- end }}

{{/*
The resources kclguard may cache, as serve --cache-resources takes them (resource.group, or
"none"): the same list the ClusterRole grants get/list/watch on.
*/}}
{{- define "kclguard.cacheResources" -}}
{{- $names := list -}}
{{- range .Values.cache.resources -}}
{{- $names = append $names (ternary .resource (printf "%s.%s" .resource .apiGroup) (eq .apiGroup "")) -}}
{{- end -}}
{{- if $names }}{{ join "," $names }}{{ else }}none{{ end -}}
{{- end -}}
