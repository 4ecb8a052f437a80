FROM alpine:3.20
RUN chmod a-s /usr/bin/* && chmod 0755 /usr/local/bin/tool
