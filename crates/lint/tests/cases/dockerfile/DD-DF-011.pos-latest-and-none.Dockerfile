# expect: DD-DF-011@2 DD-DF-011@3
FROM node:latest AS build
FROM nginx
