# expect: DD-DF-007@3
FROM alpine:3.20
ADD https://example.com/tool-1.2.3-linux-amd64 /usr/local/bin/tool
