"""Deliberately broken JafarShop implementations: each breaks one promise of the guide, and the contract suite must
catch it (DEFECTS: in the state behind the API, state_defects.py; in what goes in or out, rewriting_defects.py; in
what a store sends and reads back, its times and identifiers, data_defects.py; under concurrency, in sequences,
for altered ids and past the largest sizes, model_defects.py). Also correct implementations that
decide the guide's silences otherwise than the mock (ALTERNATIVES: alternatives.py, and data_alternatives.py for
transport, times, identifiers and body size): the suite must pass them. Serve one by hand with
`python -m tests.broken_targets NAME [PORT]`."""

from __future__ import annotations

from tests.broken_targets.alternatives import ALTERNATIVES as MOCK_ALTERNATIVES
from tests.broken_targets.alternatives import EVERY_ALTERNATIVE
from tests.broken_targets.data_alternatives import DATA_ALTERNATIVES
from tests.broken_targets.data_defects import DATA_DEFECTS
from tests.broken_targets.model_defects import MODEL_DEFECTS
from tests.broken_targets.rewriting_defects import REWRITING_DEFECTS
from tests.broken_targets.state_defects import STATE_DEFECTS
from tests.broken_targets.targets import Alternative, Defect

__all__ = ["ALTERNATIVES", "BY_NAME", "BY_NAME_ALTERNATIVE", "DEFECTS", "EVERY_ALTERNATIVE", "Alternative", "Defect"]

DEFECTS = [*STATE_DEFECTS, *REWRITING_DEFECTS, *DATA_DEFECTS, *MODEL_DEFECTS]
ALTERNATIVES = [*MOCK_ALTERNATIVES, *DATA_ALTERNATIVES]
BY_NAME = {defect.name: defect for defect in DEFECTS}
BY_NAME_ALTERNATIVE = {alternative.name: alternative for alternative in [*ALTERNATIVES, EVERY_ALTERNATIVE]}
