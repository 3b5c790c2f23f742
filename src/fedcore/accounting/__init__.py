"""Accounting: usage records from every site, summaries and reports (APEL's repository and
the accounting portal).

Sites send the messages APEL clients and cASO produce (grid jobs, summaries, sync records,
cloud VMs, StAR storage, accelerators, public IPs) by ``fedcore accounting load``,
``POST /api/accounting/messages`` or the AMS publish route (S/MIME-signed, as ``ssmsend``
sends them). One loader parses them with APEL's rules, stores them under APEL's uniqueness keys
and moves the summaries; reports, exports and pages read the summaries. The manual is
docs/accounting.md.
"""
