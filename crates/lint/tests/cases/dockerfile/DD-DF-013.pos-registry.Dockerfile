# allowed-registries: registry.example.com, ghcr.io/acme
# expect: DD-DF-013@3 DD-DF-013@4
FROM node:20.15.1
FROM ghcr.io/other/tool:1.0
FROM ghcr.io/acme/base:1.0
FROM registry.example.com/x/y:2
