"""The JafarShop contract suite: verifies any implementation of the partner API against the guide and the spec."""
