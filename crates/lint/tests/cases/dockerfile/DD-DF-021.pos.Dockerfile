# expect: DD-DF-021@4
FROM alpine:3.20 AS build
HEALTHCHECK CMD true
FROM alpine:3.20
