"""The graders: a certification record in, a scorecard out, nothing else (no HTTP, no mock, no process).

`record.py` indexes the record the mock keeps (its types are jafarshop_kit/run_record.py's), `rules.py` and
`rules_*.py` grade it against the guide's client rules, `report.py` and `timeline.py` write the scorecard and draw
the record, `scorecard.py` is what the mock's console shows of a run still going. The mock (its admin API) and
`jafarshop-certify` both import them; they import only jafarshop_kit.
"""
