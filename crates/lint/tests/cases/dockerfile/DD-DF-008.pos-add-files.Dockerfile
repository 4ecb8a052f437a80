# expect: DD-DF-008@3 DD-DF-008@4
FROM alpine:3.20
ADD app.conf /etc/app/
ADD src/ /app/src/
