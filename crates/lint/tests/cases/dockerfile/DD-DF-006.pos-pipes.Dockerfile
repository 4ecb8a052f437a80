# expect: DD-DF-006@3 DD-DF-006@4 DD-DF-006@5 DD-DF-006@6
FROM debian:12
RUN curl -fsSL https://get.example.com | sh
RUN wget -qO- https://example.com/install | sudo bash -s -- --yes
RUN sh -c "$(curl -fsSL https://example.com/install.sh)"
RUN bash <(curl -s https://example.com/setup)
