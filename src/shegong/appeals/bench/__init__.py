"""`shegong bench intake`: the appeal intake API under load, served as in production.

corpus.py writes the realistic appeals the clients post; prepare.py (run in a child process on the fresh
benchmark database) migrates and seeds it; server.py creates the database and runs `shegong serve`;
load.py drives wrk (intake.lua, baseline.lua, report.lua) or the Python fallback client; results.py reads
the clients' reports and checks every acknowledged appeal against the database. The command is
appeals/management/commands/bench_intake.py; bench/README.md records the numbers.
"""
