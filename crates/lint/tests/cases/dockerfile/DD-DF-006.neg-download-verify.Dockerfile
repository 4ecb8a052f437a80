FROM debian:12
RUN curl -fsSLo /tmp/install.sh https://example.com/install.sh \
    && echo "1d0f8b1c2e3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4  /tmp/install.sh" | sha256sum -c - \
    && sh /tmp/install.sh
RUN curl -s https://example.com/data.json | jq .version
