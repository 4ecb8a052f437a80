# expect: DD-DF-001@2
FROM debian:12
CMD ["bash"]
