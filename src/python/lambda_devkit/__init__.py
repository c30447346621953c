"""Tooling for a Lambda service built by Pants: nothing here ships in a zip.

local/      serve and invoke the packaged zips on this machine, with a local token issuer
emulator/   Lambda's python3.13 runtime layout and runtime API, and the cold-start benchmark
rehearsal/  deploy the template and the zips to moto on loopback, and verify the guards
scaffold/   add or remove a function of the service in one command each
bench/      benchmarks of the developer loop
testing/    what the tests share: moto on loopback, the template's tables, event fixtures, a context
template.py / service_spec.py   the SAM template, read once, as data for all of the above
moto_server.py                  the one moto server of tests, serve and the rehearsal
"""
