FROM nginx:1.27.0
