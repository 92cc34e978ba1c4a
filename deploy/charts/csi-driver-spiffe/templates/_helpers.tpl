{{/* Base name of every object: the chart name, or nameOverride. */}}
{{- define "cert-manager-csi-driver-spiffe.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "cert-manager-csi-driver-spiffe.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "cert-manager-csi-driver-spiffe.labels" -}}
app.kubernetes.io/name: {{ include "cert-manager-csi-driver-spiffe.name" . }}
helm.sh/chart: {{ include "cert-manager-csi-driver-spiffe.chart" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
Image reference: `repository` wins; else <imageRegistry>/<imageNamespace>/<name>; a per-image
`registry` is prefixed (sidecars); then :tag@digest, :tag or @digest (tag defaults to appVersion).
Call with (dict "image" .Values.x "root" $ "defaultTag" "...").
*/}}
{{- define "cert-manager-csi-driver-spiffe.image" -}}
{{- $image := .image -}}
{{- $repo := $image.repository | default "" -}}
{{- if not $repo -}}
{{- $repo = printf "%s/%s/%s" .root.Values.imageRegistry .root.Values.imageNamespace $image.name -}}
{{- end -}}
{{- if $image.registry -}}
{{- $repo = printf "%s/%s" $image.registry $repo -}}
{{- end -}}
{{- $tag := $image.tag | default .defaultTag -}}
{{- if and $tag $image.digest -}}
{{- printf "%s:%s@%s" $repo $tag $image.digest -}}
{{- else if $image.digest -}}
{{- printf "%s@%s" $repo $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}
{{- end -}}

{{/* Flags both apps share, so driver and approver can never disagree on policy. */}}
{{- define "cert-manager-csi-driver-spiffe.sharedArgs" -}}
- --log-level={{ .Values.app.logLevel }}
- --csi-driver-name={{ .Values.app.name }}
- --certificate-request-duration={{ .Values.app.certificateRequestDuration }}
- --issuer-name={{ .Values.app.issuer.name }}
- --issuer-kind={{ .Values.app.issuer.kind }}
- --issuer-group={{ .Values.app.issuer.group }}
- --trust-domain={{ .Values.app.trustDomain }}
- --key-algorithm={{ .Values.app.keyAlgorithm }}
{{- if .Values.app.runtimeIssuanceConfigMap }}
- --runtime-issuance-config-map-name={{ .Values.app.runtimeIssuanceConfigMap }}
- --runtime-issuance-config-map-namespace={{ .Release.Namespace }}
{{- end }}
{{- end -}}
