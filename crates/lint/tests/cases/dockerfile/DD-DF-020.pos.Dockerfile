# expect: DD-DF-020@3 DD-DF-020@4
FROM debian:12
RUN apt-get update
RUN apk update
