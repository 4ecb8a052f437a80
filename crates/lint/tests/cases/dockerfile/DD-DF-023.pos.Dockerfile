# expect: DD-DF-023@3 DD-DF-023@4 DD-DF-023@5
FROM alpine:3.20
RUN chmod 4755 /usr/local/bin/tool
RUN chmod u+s,g+s /usr/local/bin/other
COPY --chmod=2755 helper /usr/local/bin/helper
