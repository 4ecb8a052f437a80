# dockerignore: node_modules, .git
# expect: DD-DF-010@4
FROM node:20
COPY --chown=node:node ./ /app/
