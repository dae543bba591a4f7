"""The model: the domain rules, the stores and MockState, the whole interface to them. It imports no web framework
(tests/model/test_imports.py checks it); everything else in mockserver/ may import it."""
