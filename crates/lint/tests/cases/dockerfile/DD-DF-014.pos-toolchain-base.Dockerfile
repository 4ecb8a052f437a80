# expect: DD-DF-014@2
FROM golang:1.22
RUN go build -o /app .
