# dockerignore: none
# expect: DD-DF-010@4
FROM node:20
COPY . .
