# expect: DD-DF-014@3
FROM debian:12
RUN apt-get install -y --no-install-recommends openssh-client && ssh-keygen -t ed25519 -f /root/.ssh/id_ed25519 -N ''
