"""Demo appeals: the three demo districts as a working 接诉即办 centre.

Modules: `places` (the districts' units and dispatch rules), `plan` (what is filed: texts from `texts`,
places, channels, the journey's appeals), `timeline` with `steps` and `rows` (what happens to each appeal),
`seed` (the run and the bulk writes).

Run by `shegong demo` after the demo divisions, units, stations and accounts (ops/demo_data.py). It seeds

- the dispatch catalogue of the three districts: one district rule per category to the department that
  handles it, and at every street ACCESS and REST → the street office (through `catalogue.dispatch_rule_set`
  by demo_admin, so the rules are audited like an administrator's);
- about 3,000 appeals filed over the last 183 days, every one with the timeline the services would have
  written: accept or reject or merge, dispatch (by the catalogue, or the dispatcher's choice of a platform
  branch or a specialist unit), 退单 and re-dispatch, sign-for, first contact, 延期, reply, rating with 重办,
  unrated closing, withdrawal, 督办 by the leader, and the SLA sweep's warnings, reminders, 催办 and 督办
  with their marks. A few units are reliably on time, a few reliably late (so the rates differ and open
  appeals are overdue now); a few closed appeals are excluded from the rates.

Deterministic: all choices come from random generators with a constant seed; times are offsets from the
local midnight of the run date, so two runs on the same date write the same appeals and timelines (phone
ciphertexts, which are randomised, aside). Idempotent: the tracking numbers are derived from the constant
seed, and when any of them exists the appeals are left alone (a demo database keeps the appeals of its
first run; `shegong demo --reset` makes fresh ones that end at the new date).

Rows are written with bulk_create for speed. They pass the model's field validation and the database's
check constraints (merged → target, dispatched → unit); no audit rows are written for the history, which
stands for work done before the audit trail of this installation began.
"""

from shegong.appeals.demo.plan import APPEALS, DAYS, SEED, demo_tracking_numbers
from shegong.appeals.demo.seed import seed_demo_appeals

__all__ = ["APPEALS", "DAYS", "SEED", "demo_tracking_numbers", "seed_demo_appeals"]
