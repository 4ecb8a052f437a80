# dockerignore: none
FROM golang:1.22 AS build
COPY . .
RUN go build -o /app
FROM alpine:3.20
COPY --from=build /app /app
