FROM alpine:3.20
RUN --mount=type=secret,id=token curl -H "Authorization: Bearer $(cat /run/secrets/token)" https://api.example.com/x
RUN curl "https://example.com/?page=12345678&token=$TOKEN"
