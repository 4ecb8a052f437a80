FROM golang:1.22 AS build
RUN apt-get install -y --no-install-recommends git gcc && go build -o /app
FROM debian:12
RUN apt-get install -y --no-install-recommends ca-certificates openssh-client
RUN pip install --no-cache-dir flask
RUN npm ci && npm cache clean --force
COPY --from=build /app /app
