FROM alpine:3.20
COPY app.conf /etc/app/
ADD https://example.com/f /f
