# expect: DD-DF-001@4
FROM debian:12
RUN useradd app
USER root
