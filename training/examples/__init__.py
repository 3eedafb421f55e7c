"""The example models of the other kinds (digits, census income, banknotes): `make examples`."""
