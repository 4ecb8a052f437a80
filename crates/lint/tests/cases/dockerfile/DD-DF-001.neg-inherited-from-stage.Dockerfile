FROM alpine:3.20 AS base
USER 65534
FROM base AS final
COPY app /app
