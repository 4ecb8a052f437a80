# expect: DD-DF-022@3 DD-DF-022@4 DD-DF-022@4 DD-DF-022@5
FROM alpine:3.20
RUN chmod -R 777 /app
RUN chmod a+rwx /data && chmod o+w /logs
COPY --chmod=0666 app.conf /etc/app.conf
