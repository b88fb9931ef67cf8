{{/* Names as the upstream chart derives them: nameOverride "argocd" makes release "argocd" argocd-*. */}}
{{- define "argo-cd.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "argo-cd.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "argo-cd.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "argo-cd.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The redis-ha objects are named by that subchart upstream: <release>-redis-ha. */}}
{{- define "argo-cd.redisHaFullname" -}}
{{- $values := index .Values "redis-ha" -}}
{{- if $values.fullnameOverride -}}
{{- $values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains "redis-ha" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-redis-ha" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The address every component reaches Redis at. */}}
{{- define "argo-cd.redisAddress" -}}
{{- if (index .Values "redis-ha").enabled -}}
{{- printf "%s-haproxy:6379" (include "argo-cd.redisHaFullname" .) -}}
{{- else -}}
{{- printf "%s-redis:6379" (include "argo-cd.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* dict "root" $ "name" <object name> "component" <component> */}}
{{- define "argo-cd.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "argo-cd.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{ include "argo-cd.selectorLabels" . }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: argocd
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
bespin.platform/stand-in: "true"
{{- end -}}

{{/* Labels of the fixed-name config objects Argo CD watches (it needs part-of: argocd). */}}
{{- define "argo-cd.configLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/part-of: argocd
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
bespin.platform/stand-in: "true"
{{- end -}}

{{/* A settings map without the chart's own switches, every value a string. */}}
{{- define "argo-cd.settings" -}}
{{- range $key, $value := omit . "create" "annotations" }}
{{ $key }}: {{ toString $value | quote }}
{{- end }}
{{- end -}}
