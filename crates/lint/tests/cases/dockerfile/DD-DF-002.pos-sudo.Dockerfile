# expect: DD-DF-002@4
FROM ubuntu:24.04
USER dev
RUN sudo -E apt-get install -y --no-install-recommends vim
