"""The model: the domain rules, the stores and MockState, the whole interface to them. It imports no web framework
(an import contract in pyproject.toml checks it); everything else in mockserver/ may import it."""
