FROM quay.io/somebody/image:1.0
