"""jafarshop-certify: run a partner's own client against the mock and grade it against the guide's client rules."""
