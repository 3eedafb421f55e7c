"""Looking at a release from outside, standard library only (plus boto3 where AWS runs it).

One package, three callers: scripts/smoke.py after a deploy, the pre-traffic hook Lambda of a
blue/green deployment (hook.py; this directory is its code asset) and the Synthetics canary
(canary.py, inline). Modules import each other relatively, so they work as `infra.probe` here and
as the top-level `probe` package inside the Lambda.
"""
