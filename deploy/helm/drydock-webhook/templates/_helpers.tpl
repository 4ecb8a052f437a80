{{- define "drydock.fullname" -}}{{ .Release.Name }}-drydock-webhook{{- end -}}
{{- define "drydock.image" -}}
{{- if .Values.image.digest -}}{{ .Values.image.repository }}@{{ .Values.image.digest }}{{- else -}}{{ .Values.image.repository }}:{{ .Values.image.tag }}{{- end -}}
{{- end -}}
