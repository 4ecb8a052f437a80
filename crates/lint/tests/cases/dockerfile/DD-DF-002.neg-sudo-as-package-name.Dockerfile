FROM ubuntu:24.04
RUN apt-get install -y --no-install-recommends sudo=1.9.15p5-3ubuntu5 && echo sudo > /etc/note
