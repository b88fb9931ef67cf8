{{/* Names as the upstream chart derives them, so objects match a real install. */}}
{{- define "external-secrets.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "external-secrets.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "external-secrets.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "external-secrets.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* A component's ServiceAccount: dict "root" $ "component" "webhook" ("" for the controller). */}}
{{- define "external-secrets.serviceAccountName" -}}
{{- $values := .root.Values -}}
{{- $name := include "external-secrets.fullname" .root -}}
{{- if .component -}}
{{- $values = index .root.Values .component -}}
{{- $name = printf "%s-%s" $name (include "external-secrets.componentSuffix" .component) -}}
{{- end -}}
{{- if $values.serviceAccount.create -}}
{{- default $name $values.serviceAccount.name -}}
{{- else -}}
{{- default "default" $values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* certController -> cert-controller, webhook -> webhook */}}
{{- define "external-secrets.componentSuffix" -}}
{{- . | kebabcase -}}
{{- end -}}

{{- define "external-secrets.selectorLabels" -}}
app.kubernetes.io/name: {{ include "external-secrets.name" .root }}{{ with .component }}-{{ include "external-secrets.componentSuffix" . }}{{ end }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "external-secrets.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{ include "external-secrets.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
bespin.platform/stand-in: "true"
{{- end -}}
