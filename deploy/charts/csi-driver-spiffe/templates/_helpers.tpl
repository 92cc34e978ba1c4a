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

{{/*
The signer name the approver may `approve` (cert-manager's webhook lets a user set Approved/Denied
only with `approve` on cert-manager.io `signers` named "<issuer resource>.<group>/<name>" for a
cluster-scoped issuer, "<issuer resource>.<group>/<request namespace>.<name>" for a namespaced one,
or "<issuer resource>.<group>/*"). An explicit app.approver.signerName wins. Otherwise:
- ClusterIssuer of cert-manager.io: exactly that issuer, clusterissuers.cert-manager.io/<name>.
- Issuer of cert-manager.io: issuers.cert-manager.io/*. The name of a namespaced issuer's signer
  carries each request's namespace, and the driver creates every request in its Pod's namespace;
  RBAC cannot match a name pattern, so naming one namespace (e.g. the release's) would leave the
  approver unable to decide any other namespace's requests.
- An external issuer group: <lowercased kind>s.<group>/* (CRD plural by convention; whether it is
  namespaced is unknown here, and the wildcard form covers both). Set signerName if the plural differs.
- With app.runtimeIssuanceConfigMap set: empty, i.e. every signer, as before. That ConfigMap can
  switch the approver to any issuer after install, which RBAC rendered now cannot follow; set
  signerName when the issuers it will name are known.
- With app.approver.autoApproveNonSPIFFE: empty, i.e. every signer, even over an explicit
  signerName: it stands in for cert-manager's approver, which approves for every issuer.
*/}}
{{- define "cert-manager-csi-driver-spiffe.approverSignerName" -}}
{{- $issuer := .Values.app.issuer -}}
{{- $kind := $issuer.kind | default "Issuer" -}}
{{- $group := $issuer.group | default "cert-manager.io" -}}
{{- if .Values.app.approver.autoApproveNonSPIFFE -}}
{{- else if .Values.app.approver.signerName -}}
{{- .Values.app.approver.signerName -}}
{{- else if not .Values.app.runtimeIssuanceConfigMap -}}
{{- if and (eq $group "cert-manager.io") (eq $kind "ClusterIssuer") -}}
{{- printf "clusterissuers.cert-manager.io/%s" $issuer.name -}}
{{- else -}}
{{- printf "%ss.%s/*" (lower $kind) $group -}}
{{- end -}}
{{- end -}}
{{- end -}}
