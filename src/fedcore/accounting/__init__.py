"""Accounting: usage records from every site, summaries and reports (APEL's repository).

The design is in docs/accounting.md.
"""
