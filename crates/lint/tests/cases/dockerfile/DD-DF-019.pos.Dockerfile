# expect: DD-DF-019@3 DD-DF-019@4
FROM rockylinux:9
RUN yum install -y httpd-2.4.57
RUN microdnf install -y tar-1.34
