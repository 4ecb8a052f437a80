# expect: DD-DF-017@3
FROM alpine:3.20
RUN apk add --update curl
