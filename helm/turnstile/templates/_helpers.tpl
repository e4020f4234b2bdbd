{{- define "turnstile.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "turnstile.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Name of a component's objects: dict "root" . "c" "order" */}}
{{- define "turnstile.cname" -}}
{{- printf "%s-%s" (include "turnstile.fullname" .root | trunc 50 | trimSuffix "-") .c -}}
{{- end -}}

{{- define "turnstile.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: turnstile
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
{{ include "turnstile.selectorLabels" . }}
{{- end -}}

{{- define "turnstile.selectorLabels" -}}
app.kubernetes.io/name: {{ include "turnstile.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .c }}
{{- end -}}

{{/* Pod selector of a component, for NetworkPolicies. */}}
{{- define "turnstile.peer" -}}
- podSelector:
    matchLabels:
      app.kubernetes.io/name: {{ include "turnstile.name" .root }}
      app.kubernetes.io/instance: {{ .root.Release.Name }}
      app.kubernetes.io/component: {{ .c }}
{{- end -}}

{{/* image: dict "root" . "img" <per-component image map> */}}
{{- define "turnstile.image" -}}
{{- $g := .root.Values.image -}}
{{- $i := .img | default dict -}}
{{- $reg := $i.registry | default $g.registry -}}
{{- $repo := $i.repository | default $g.repository -}}
{{- $tag := $i.tag | default $g.tag | default .root.Chart.AppVersion -}}
{{- if $reg }}{{ printf "%s/%s:%s" $reg $repo $tag }}{{ else }}{{ printf "%s:%s" $repo $tag }}{{ end -}}
{{- end -}}

{{- define "turnstile.pullPolicy" -}}
{{- (.img | default dict).pullPolicy | default .root.Values.image.pullPolicy -}}
{{- end -}}

{{/* Service DNS address of a component's gRPC port. */}}
{{- define "turnstile.addr" -}}
{{- $v := index .root.Values .c -}}
{{- printf "%s.%s.svc:%v" (include "turnstile.cname" .) .root.Release.Namespace $v.port -}}
{{- end -}}

{{/* libpq conninfo of a component's own database (no password). */}}
{{- define "turnstile.pgConninfo" -}}
{{- $pg := .root.Values.postgresql -}}
{{- $v := index .root.Values .c -}}
{{- $s := printf "host=%s port=%v dbname=%s_%s user=%s" $pg.host $pg.port $pg.databasePrefix .c $v.database.user -}}
{{- if $pg.sslmode }}{{ $s = printf "%s sslmode=%s" $s $pg.sslmode }}{{ end -}}
{{- $s -}}
{{- end -}}

{{/* Secret holding an identity's certificate: dict "root" . "id" "order" */}}
{{- define "turnstile.tlsSecret" -}}
{{- if eq .root.Values.tls.source "certManager" -}}
{{- printf "%s-tls" (include "turnstile.cname" (dict "root" .root "c" .id)) -}}
{{- else -}}
{{- $n := index .root.Values.tls.existingSecrets .id -}}
{{- required (printf "tls.existingSecrets.%s is required when tls.source=existingSecrets" .id) $n -}}
{{- end -}}
{{- end -}}

{{/* Projected TLS volume in the layout of scripts/pki.sh (--tls_dir). */}}
{{- define "turnstile.tlsVolume" -}}
- name: tls
  projected:
    defaultMode: 0440
    sources:
      - secret:
          name: {{ include "turnstile.tlsSecret" . }}
          items:
            - key: {{ .root.Values.tls.secretKeys.ca }}
              path: ca.pem
            - key: {{ .root.Values.tls.secretKeys.cert }}
              path: {{ .id }}.pem
            - key: {{ .root.Values.tls.secretKeys.key }}
              path: {{ .id }}-key.pem
{{- end -}}

{{- define "turnstile.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "turnstile.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "turnstile.uses.redis" -}}
{{- if has . (list "inventory" "seat" "booking" "order" "gateway") }}true{{ end -}}
{{- end -}}
{{- define "turnstile.uses.pg" -}}
{{- if ne . "gateway" }}true{{ end -}}
{{- end -}}
{{- define "turnstile.components" -}}coordinator order inventory seat booking payment gateway{{- end -}}
{{- define "turnstile.stateless" -}}order inventory seat booking payment gateway{{- end -}}
