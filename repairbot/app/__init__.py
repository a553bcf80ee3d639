"""The GitHub App (`repairbot serve`): webhook receiver, durable job queue, worker, pull requests.

server.py receives and verifies webhooks and queues jobs (queue.py) decided by events.py;
worker.py runs each job: clone, repair in a limited subprocess (sandbox.py), then the policy's
action through github.py, with the pull request text from body.py; every step is journalled
(repairbot.audit) with secrets redacted (redact.py).
"""
