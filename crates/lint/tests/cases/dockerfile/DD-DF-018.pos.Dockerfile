# expect: DD-DF-018@3 DD-DF-018@4 DD-DF-018@5
FROM debian:12
RUN apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u7 jq
RUN apk add --no-cache openssl
RUN dnf install -y nginx && dnf clean all
