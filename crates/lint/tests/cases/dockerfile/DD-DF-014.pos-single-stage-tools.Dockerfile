# expect: DD-DF-014@3 DD-DF-014@4 DD-DF-014@5
FROM debian:12
RUN apt-get install -y --no-install-recommends build-essential git libssl-dev
RUN apk add --no-cache gcc musl-dev
RUN pip install flask
