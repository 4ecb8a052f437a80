FROM debian:12
RUN apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u7 ./local.deb
RUN apk add --no-cache openssl=3.3.2-r0 busybox~1.36
RUN dnf install -y nginx-1.24.0 && dnf clean all
RUN apt-get install -y --no-install-recommends "$PACKAGES"
