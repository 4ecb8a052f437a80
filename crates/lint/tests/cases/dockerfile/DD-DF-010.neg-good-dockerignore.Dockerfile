# dockerignore: .git, .env*, **/*.pem, node_modules
FROM node:20
COPY . .
