FROM alpine:3.20 AS tools
EXPOSE 22
FROM alpine:3.20
COPY --from=tools /bin/true /bin/true
