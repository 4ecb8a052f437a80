# expect: DD-DF-009@3 DD-DF-009@4
FROM alpine:3.20
ADD vendor.tar.gz /opt/vendor/
ADD data.tar.xz /srv/
