{{/* The release's objects are named after it ("aviary" when the release is called aviary). */}}
{{- define "aviary.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "aviary.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "aviary.labels" -}}
{{ include "aviary.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "aviary.serviceAccountName" -}}
{{- default (include "aviary.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* The --config file: the values' config, with the Lease in the release's namespace by default. */}}
{{- define "aviary.config" -}}
{{- $config := deepCopy .Values.config -}}
{{- if not (index $config "leader-election-namespace") -}}
{{- $_ := set $config "leader-election-namespace" .Release.Namespace -}}
{{- end -}}
{{- toYaml $config -}}
{{- end -}}

{{- define "aviary.metricsPort" -}}
{{- $address := index .Values.config "listen-address" | toString -}}
{{- last (splitList ":" $address) -}}
{{- end -}}
