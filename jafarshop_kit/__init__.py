"""What the mock and the contract suite share: where the kit's specs and fixtures are (see resources.py)."""
