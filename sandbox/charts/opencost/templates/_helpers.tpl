{{/* Names as the upstream chart derives them, so objects match a real install. */}}
{{- define "opencost.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "opencost.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "opencost.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "opencost.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "opencost.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "opencost.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "opencost.selectorLabels" -}}
app.kubernetes.io/name: {{ include "opencost.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "opencost.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{ include "opencost.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
bespin.platform/stand-in: "true"
{{- end -}}

{{/* Where the exporter reads metrics from. */}}
{{- define "opencost.prometheusServerEndpoint" -}}
{{- $prometheus := .Values.opencost.prometheus -}}
{{- if $prometheus.external.enabled -}}
{{- $prometheus.external.url -}}
{{- else -}}
{{- printf "http://%s.%s.svc.cluster.local:%v" $prometheus.internal.serviceName $prometheus.internal.namespaceName $prometheus.internal.port -}}
{{- end -}}
{{- end -}}
