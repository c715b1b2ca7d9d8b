"""The playbooks, one module per playbook, and the signal functions they share.

Empty until the engine issue lands: playbooks need the backtrader engine and accounting first.
"""
