# expect: DD-DF-001@4
FROM alpine:3.20
USER 1000
USER 0:0
