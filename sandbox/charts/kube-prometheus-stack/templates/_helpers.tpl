{{/* Names as the upstream chart derives them (its full name is cut to 26 characters). */}}
{{- define "kps.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 50 | trimSuffix "-" -}}
{{- end -}}

{{- define "kps.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 26 | trimSuffix "-" -}}
{{- else if contains (include "kps.name" .) .Release.Name -}}
{{- .Release.Name | trunc 26 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "kps.name" .) | trunc 26 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* A former subchart's full name: dict "root" $ "chart" "grafana" -> <release>-grafana, as the subchart names itself. */}}
{{- define "kps.subchartFullname" -}}
{{- $values := index .root.Values .chart -}}
{{- if $values.fullnameOverride -}}
{{- $values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains .chart .root.Release.Name -}}
{{- .root.Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .root.Release.Name .chart | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* dict "root" $ "app" <object name> */}}
{{- define "kps.selectorLabels" -}}
app: {{ .app }}
release: {{ .root.Release.Name | quote }}
{{- end -}}

{{- define "kps.labels" -}}
{{ include "kps.selectorLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/part-of: {{ include "kps.name" .root }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
bespin.platform/stand-in: "true"
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* A ServiceAccount's name from its values block and the name it defaults to. */}}
{{- define "kps.accountName" -}}
{{- if .serviceAccount.create -}}
{{- default .default .serviceAccount.name -}}
{{- else -}}
{{- default "default" .serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
One component: its ServiceAccount (when the block has one to create), its Deployment or
DaemonSet, and its Service. dict "root" $ "name" <object name> "kind" "Deployment"|"DaemonSet"
"values" <the component's value block> "image" <registry/repository:tag> "replicas" N
"port" N "portName" S "servicePort" N "args" [...] "hostNetwork" bool "env" [...]
*/}}
{{- define "kps.component" -}}
{{- $scope := dict "root" .root "app" .name -}}
{{- $values := .values -}}
{{- $account := .name -}}
{{- with $values.serviceAccount -}}
{{- $account = include "kps.accountName" (dict "serviceAccount" . "default" $account) -}}
{{- end -}}
{{- if or (not $values.serviceAccount) $values.serviceAccount.create }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ $account }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "kps.labels" $scope | nindent 4 }}
  {{- with ($values.serviceAccount | default dict).annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
---
apiVersion: apps/v1
kind: {{ .kind }}
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "kps.labels" $scope | nindent 4 }}
spec:
  {{- if eq .kind "Deployment" }}
  replicas: {{ .replicas }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "kps.selectorLabels" $scope | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "kps.labels" $scope | nindent 8 }}
    spec:
      serviceAccountName: {{ $account }}
      {{- if .hostNetwork }}
      hostNetwork: true
      hostPID: true
      {{- end }}
      containers:
        - name: {{ .container }}
          image: {{ .image | quote }}
          {{- with .args }}
          args: {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with .env }}
          env: {{- toYaml . | nindent 12 }}
          {{- end }}
          ports:
            - name: {{ .portName }}
              containerPort: {{ .port }}
          {{- with $values.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
      {{- with $values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "kps.labels" $scope | nindent 4 }}
spec:
  type: {{ (($values.service | default dict).type) | default "ClusterIP" }}
  selector:
    {{- include "kps.selectorLabels" $scope | nindent 4 }}
  ports:
    - name: {{ .portName }}
      port: {{ .servicePort | default .port }}
      targetPort: {{ .portName }}
{{- end -}}

{{/* A ServiceMonitor for one component's Service: dict "root" $ "app" <name> "port" <port name> */}}
{{- define "kps.serviceMonitor" -}}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ .app }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "kps.labels" . | nindent 4 }}
spec:
  namespaceSelector:
    matchNames: [{{ .root.Release.Namespace }}]
  selector:
    matchLabels:
      {{- include "kps.selectorLabels" . | nindent 6 }}
  endpoints:
    - port: {{ .port }}
      {{- with .scheme }}
      scheme: {{ . }}
      {{- end }}
{{- end -}}
