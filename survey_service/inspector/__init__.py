"""The inspectors' side: one service (service.py) that the portal, the JSON API and the CLI
call; sessions and tokens, the audit trail, the pages and their templates."""
