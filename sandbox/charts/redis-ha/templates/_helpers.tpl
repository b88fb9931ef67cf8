{{/* Names as upstream derives them: release "petclinic-redis" gives petclinic-redis-redis-ha. */}}
{{- define "redis-ha.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "redis-ha.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "redis-ha.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "redis-ha.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Upstream's label set (app/release/heritage/chart), plus ours. */}}
{{- define "redis-ha.labels" -}}
app: {{ include "redis-ha.name" . }}
release: {{ .Release.Name }}
heritage: {{ .Release.Service }}
chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
bespin.platform/stand-in: "true"
{{- end -}}

{{- define "redis-ha.selectorLabels" -}}
app: {{ include "redis-ha.name" . }}
release: {{ .Release.Name }}
{{- end -}}

{{/* The server pods also carry "<fullname>: replica", which the PDB and anti-affinity select on. */}}
{{- define "redis-ha.serverSelectorLabels" -}}
{{ include "redis-ha.selectorLabels" . }}
{{ include "redis-ha.fullname" . }}: replica
{{- end -}}

{{- define "redis-ha.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "redis-ha.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "redis-ha.masterGroupName" -}}
{{- $group := tpl (toString .Values.redis.masterGroupName) . -}}
{{- if not (regexMatch "^[\\w.-]+$" $group) -}}
{{- fail (printf "redis.masterGroupName %q must match ^[\\w.-]+$" $group) -}}
{{- end -}}
{{- $group -}}
{{- end -}}

{{/* The Secret holding the Redis password, and whether TLS is on (redis.tlsPort, as upstream). */}}
{{- define "redis-ha.authSecretName" -}}
{{- default (include "redis-ha.fullname" .) .Values.existingSecret -}}
{{- end -}}

{{- define "redis-ha.tls" -}}
{{- if .Values.redis.tlsPort -}}
{{- if not .Values.tls.secretName -}}
{{- fail "redis.tlsPort is set but tls.secretName is empty: this stand-in does not generate the TLS Secret (upstream would, from tls.cert/tls.key)" -}}
{{- end -}}
true
{{- else if .Values.tls.secretName -}}
{{- fail "tls.secretName is set but redis.tlsPort is not: the upstream chart turns TLS on by redis.tlsPort (and sentinel.tlsPort) and would silently ignore the Secret" -}}
{{- end -}}
{{- end -}}

{{/* A config value as written in a .conf file: YAML numbers arrive as floats, print them whole. */}}
{{- define "redis-ha.confValue" -}}
{{- if and (kindIs "float64" .) (eq . (float64 (int64 .))) -}}
{{- int64 . -}}
{{- else -}}
{{- . -}}
{{- end -}}
{{- end -}}

{{/* One env entry per container that needs the password, read from the Secret. */}}
{{- define "redis-ha.authEnv" -}}
{{- if .Values.auth -}}
env:
  - name: AUTH
    valueFrom:
      secretKeyRef:
        name: {{ include "redis-ha.authSecretName" . }}
        key: {{ .Values.authKey }}
{{- end }}
{{- end -}}
