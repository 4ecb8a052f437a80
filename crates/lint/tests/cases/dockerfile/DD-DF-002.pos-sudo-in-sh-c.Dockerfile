# expect: DD-DF-002@3
FROM ubuntu:24.04
RUN sh -c 'sudo chown app /data'
