FROM alpine:3.20
RUN chmod 755 /app && chmod 1777 /tmp/shared && chmod o-w /data && chmod +x /entrypoint.sh
COPY --chmod=644 app.conf /etc/app.conf
