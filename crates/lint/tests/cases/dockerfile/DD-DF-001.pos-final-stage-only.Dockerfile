# expect: DD-DF-001@5
FROM golang:1.22 AS build
USER 1000
RUN go build ./...
FROM alpine:3.20
COPY --from=build /x /x
