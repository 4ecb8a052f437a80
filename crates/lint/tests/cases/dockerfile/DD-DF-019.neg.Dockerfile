FROM rockylinux:9
RUN yum install -y httpd-2.4.57 && yum clean all
RUN dnf install -y tar-1.34 && rm -rf /var/cache/dnf
