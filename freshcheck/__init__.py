"""make fresh-check: the README's two commands on a new minimal Debian 12, apart from make rehearse."""
