"""Monitoring: status timelines and availability/reliability (A/R), computed as ARGO does."""
