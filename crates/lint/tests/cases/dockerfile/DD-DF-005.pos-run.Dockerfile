# expect: DD-DF-005@3 DD-DF-005@4 DD-DF-005@5 DD-DF-005@6
FROM alpine:3.20
RUN curl -H "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc123" https://api.example.com/x
RUN git clone https://ci:s3cr3tPassw0rd@git.example.com/app.git
RUN mysql --password=rootpw123 -e 'select 1'
RUN wget "https://example.com/file?token=0123456789abcdef"
