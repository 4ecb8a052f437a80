FROM alpine:3.20 AS base
HEALTHCHECK --interval=10s CMD wget -qO- http://localhost/ || exit 1
FROM base
