# expect: DD-DF-012@2 DD-DF-012@3
FROM golang:1.22 AS build
FROM registry.example.com/base/runtime:2.1
